// What zero data loss (synchronous=on|strict) and the asynchronous lag
// bounds need to see: on the primary, synchronous_standby_names, its
// position and pg_stat_replication (in that order: decide/zero_loss.hpp); on
// a standby electing, the recorded zero-loss candidates and its own lag.
#include "cluster/zero_loss.hpp"
#include "daemon/observe/observer.hpp"

namespace repmgr::repmgrd {

void Observer::observe_zero_loss(Snapshot& s) {
    for (const auto& n : s.nodes)
        if (n.id == s.node_id) s.location = n.location;
    if (s.tuning.synchronous == SyncMode::Off || s.role != NodeRole::Primary ||
        !s.local.reachable || s.local.in_recovery)
        return;
    try {
        Connection& c = links_.local.require();
        ZeroLossView v;
        v.current_names = read_synchronous_standby_names(c);
        v.primary_lsn = parse_lsn(c.one_row("SELECT pg_current_wal_lsn()::text AS l").text("l"))
                            .value_or(0);
        std::vector<ReplicationRow> rows = read_replication_rows(c);
        if (auto rec = read_zero_loss_record(c)) v.record = rec->candidate_ids;
        for (const auto& n : s.nodes) {
            if (n.type != NodeType::Standby || !n.active || n.id == s.node_id) continue;
            if (n.upstream_node_id && *n.upstream_node_id != s.node_id) continue;
            SyncStandby sb;
            sb.node_id = n.id;
            sb.name = n.name;
            sb.priority = n.priority;
            sb.location = n.location;
            for (const auto& r : rows)
                if (r.application_name == n.name) {
                    sb.streaming = r.state == "streaming";
                    sb.flush_lsn = r.flush_lsn;
                    sb.sync_state = r.sync_state;
                    sb.reply_age_s = r.reply_age_s;
                }
            v.standbys.push_back(std::move(sb));
        }
        s.zero_loss = std::move(v);
    } catch (const Failure& f) {
        ctx_.log.warning("unable to read the synchronous replication state: {}", failure_text(f));
    }
}

void Observer::zero_loss_election(const Snapshot& s, const Memory& memory, Connection& local,
                                  ElectionInput& e) {
    const Config& c = ctx_.config;
    e.max_lag_bytes = c.failover_max_lag_bytes;
    e.max_lag_secs = c.failover_max_lag_secs;
    e.primary_last_lsn = memory.primary_last_lsn.value_or(0);
    if (c.failover_max_lag_secs > 0 && memory.times.last_contact) {
        // Both instants are wall clocks of two hosts: the error is their
        // skew plus up to one monitor_interval_secs between heartbeats. A
        // sibling is measured against this node's last contact too (it saw
        // the same primary fail, within one monitor interval): each standby
        // must judge every candidate, or two lagging standbys each wait for
        // the other and the second election forgets why.
        double contact =
            std::chrono::duration<double>(memory.times.last_contact->time_since_epoch()).count();
        auto mine = read_heartbeat_epoch(local, e.failed_primary_id);
        for (auto& v : e.standbys) {
            auto beat = v.node_id == s.node_id ? mine : v.heartbeat_epoch;
            if (beat) v.heartbeat_lag_s = std::max(0.0, contact - *beat);
        }
    }
    if (s.tuning.synchronous == SyncMode::Off) return;
    // The newer of this standby's replica and the witness's copy: a standby
    // that acknowledged anything after a widening has received the widening.
    auto mine = read_zero_loss_record(local);
    auto theirs = arbiters_.for_nodes(s.nodes).read_zero_loss();
    auto rec = newer_record(mine, theirs);
    e.zero_loss_candidates = rec ? rec->candidate_ids : std::vector<int>{};
}

}  // namespace repmgr::repmgrd
