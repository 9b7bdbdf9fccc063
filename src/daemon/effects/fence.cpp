// Fencing a primary that must not take writes: stopped (and rejoined) when
// another node is primary on a newer timeline, read-only while it cannot see
// a majority, started read-only when it comes back after a failover.
#include <csignal>

#include <fmt/format.h>

#include "actions/role_change.hpp"
#include "cluster/arbiter.hpp"
#include "cluster/history.hpp"
#include "daemon/effects/demote.hpp"
#include "daemon/effects/effects.hpp"
#include "pg/control.hpp"
#include "pg/datadir.hpp"
#include "pg/standby_config.hpp"

namespace repmgr::repmgrd {

FenceOutcome Effects::fence_split_brain(const Snapshot& s, const SplitBrainFenceParams& p) {
    FenceOutcome out;
    const NodeRecord* rival = find_record(s.nodes, p.rival);
    Connection* local = links_.local.current();
    if (!local || !rival) return out;
    std::string data_directory;
    try {
        data_directory = local_data_directory(ctx_, local);
    } catch (const Failure& f) {
        ctx_.log.error("cannot fence this primary: {}", f.what());
        return out;
    }
    ctx_.log.warning("fencing: stopping this node's server (node {} is the primary now)", p.rival);
    if (!stop_local_server(data_directory, "split-brain fencing")) {
        ctx_.log.hint("stop it by hand now: two primaries accept writes");
        return out;
    }
    out.stopped = true;
    if (p.mode != Tuning::Fencing::Rejoin) {
        ctx_.log.hint(fmt::format("bring it back as a standby with \"repmgr node rejoin -d '{}' "
                                  "--force-rewind\"",
                                  rival->conninfo));
        return out;
    }
    ctx_.log.notice("fencing: rejoining this node as a standby of node {}", p.rival);
    out.rejoined = rejoin_with_rewind(*rival, data_directory, "fencing");
    return out;
}

ArbiterAnswer Effects::claim_own_term(const Snapshot& s, Arbiter& arbiter,
                                      const FailoverTerm& term) {
    const int hold_for = claim_confirm_seconds(s.tuning);
    ArbiterAnswer held = arbiter.claim(term, s.node_id, hold_for);
    if (held.result != ArbiterAnswer::Result::Refused) return held;
    // A standby's claim left to expire unconfirmed (it gave up or died)
    // would otherwise hold this node back for good.
    ArbiterView now = arbiter.read(term);
    if (now.claim && now.claim->expired)
        return arbiter.take_over(term, now.claim->holder, s.node_id, hold_for);
    return held;
}

void Effects::read_only_fence(const Snapshot& s, const Action& a) {
    Connection* local = links_.local.current();
    if (!local) return;
    if (a.on) {
        ctx_.log.warning("{}", a.details);
        // The fence first: recording the event can fail (this session opts
        // out of the read-only default; see set_read_only_fence).
        set_read_only_fence(*local, true);
        ctx_.record(local, "repmgrd_isolation_fence", true, a.details);
        return;
    }
    // A standby takes no writes: nothing to exclude, so the arbiter is not
    // asked (a demoted primary must shed the fence while the arbiter is down
    // too, or it comes back as the primary still read-only). On a primary, a
    // standby whose election began before the heal may be claiming this
    // node's failover right now (bugs.md entry 18). Held by this node while
    // the fence comes down, the term cannot be claimed; claimed after,
    // the claimant's last probe finds this node writable and unfenced.
    if (read_server_position(*local).in_recovery) {
        set_read_only_fence(*local, false);
    } else {
        Arbiter& arbiter = arbiters_.for_nodes(s.nodes);
        ArbiterAnswer held = claim_own_term(s, arbiter, a.term);
        if (!held.granted()) {
            ctx_.log.warning(
                "{}",
                held.result == ArbiterAnswer::Result::Unreachable
                    ? fmt::format("the read-only fence stays: the {} could not be asked whether a "
                                  "standby is taking over ({})",
                                  arbiter.name(), held.error)
                    : fmt::format("the read-only fence stays: node {} claimed the failover of "
                                  "this node (timeline {}) first",
                                  held.holder, a.term.timeline));
            return;
        }
        try {
            set_read_only_fence(*local, false);
        } catch (const Failure&) {
            arbiter.release(a.term, s.node_id);
            throw;
        }
        arbiter.release(a.term, s.node_id);
    }
    ctx_.log.notice("{}", a.details);
    ctx_.record(links_.primary(), "repmgrd_isolation_fence_lifted", true, a.details);
}

void Effects::pre_fence(const Action& a) {
    ctx_.log.warning("{}", a.details);
    std::string data_directory = local_data_directory(ctx_, nullptr);
    set_auto_conf_setting(data_directory, "default_transaction_read_only", "on");
    // A server that is frozen rather than down reloads as soon as it runs
    // again, before it takes new transactions.
    bool signalled = signal_postmaster(data_directory, SIGHUP);
    // Not signalled is not enough: a postmaster killed a moment ago is still a
    // zombie that kill() reaches.
    bool running = postmaster_state(data_directory) == PostmasterState::Running;
    if ((a.node != 0 && !running) || a.on) {
        // Not running, and another node is primary (or frozen, its stop
        // queued below): it starts as a standby (demoted, as by the isolation
        // fence), which no session can write to.
        write_fence_marker(data_directory, a.term.timeline);
        write_standby_settings(data_directory, StandbySettings{});
        ctx_.log.detail(fmt::format("standby.signal written to \"{}\": the server starts in "
                                    "recovery and {}",
                                    data_directory,
                                    a.node != 0 ? fmt::format("rejoins node {}", a.node)
                                                : std::string("returns as the primary only if no "
                                                              "other node took over")));
        if (running && a.on) {
            // Frozen: the stop is delivered before it runs again; repmgrd
            // then starts it as a standby.
            int n = queue_immediate_stop(data_directory);
            ctx_.log.detail(fmt::format("an immediate stop queued for its postmaster and {} "
                                        "server process(es)",
                                        n > 0 ? n - 1 : 0));
        }
        ctx_.record(nullptr, "repmgrd_isolation_fence_demote", true, a.details);
    }
    ctx_.log.detail(fmt::format("default_transaction_read_only = 'on' written to \"{}/"
                                "postgresql.auto.conf\"{}; repmgrd lifts it when this node is a "
                                "standby again or sees a majority and no other primary",
                                data_directory,
                                signalled ? " and a reload signalled to its postmaster" : ""));
}

bool Effects::demote_crashed_on_disk(const Action& a) {
    try {
        std::string data_directory = local_data_directory(ctx_, nullptr);
        write_fence_marker(data_directory, a.term.timeline);
        write_standby_settings(data_directory, StandbySettings{});
        ctx_.log.notice("standby.signal written to \"{}\": if the server is started "
                                    "again it runs in recovery; repmgrd then rejoins it to the "
                                    "node that took over, or promotes it again once its term "
                                    "(timeline {}) is its own on the witness",
                                    data_directory, a.term.timeline);
        return true;
    } catch (const Failure& f) {
        ctx_.log.error("unable to demote the crashed primary's data directory: {}", failure_text(f));
        return false;
    }
}

void Effects::record_own_promotion(const Action& a) {
    Connection* local = links_.local.current();
    if (!local) return;
    ctx_.log.warning("{}", a.details);
    use_metadata_schema(*local, schema_name(ctx_.config));
    record_promotion(ctx_, *local, std::nullopt);
    ctx_.record(local, "repmgrd_failover_promote", true, a.details);
}

}  // namespace repmgr::repmgrd
