#include "daemon/effects/effects.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "cluster/history.hpp"
#include "cluster/nodes.hpp"
#include "cluster/witness.hpp"

namespace repmgr::repmgrd {

const NodeRecord* find_record(const std::vector<NodeRecord>& nodes, int id) {
    for (const auto& n : nodes)
        if (n.id == id) return &n;
    return nullptr;
}

void Effects::record_on(const Snapshot& s, int node_id, const std::string& event, bool ok,
                        const std::string& details) {
    if (const NodeRecord* n = find_record(s.nodes, node_id)) {
        try {
            Connection c =
                Connection::open(n->conninfo, std::max(1, ctx_.config.master_response_timeout));
            use_metadata_schema(c, schema_name(ctx_.config));
            ctx_.record(&c, event, ok, details, node_id);
            return;
        } catch (const Failure& f) {
            ctx_.log.warning("unable to record \"{}\" on node {}: {}", event, node_id,
                             failure_text(f));
        }
    }
    ctx_.record(links_.primary(), event, ok, details, node_id);
}

void Effects::record_event(const Snapshot& s, const Action& a) {
    if (a.successful)
        ctx_.log.notice("{}", a.details);
    else
        ctx_.log.warning("{}", a.details);
    if (a.node != 0)
        record_on(s, a.node, a.event, a.successful, a.details);
    else
        ctx_.record(links_.primary(), a.event, a.successful, a.details);
}

void Effects::write_history(const Snapshot& s) {
    Connection* p = links_.primary();
    Connection* local = links_.local.current();
    if (!p || !local || !links_.primary_record) return;
    MonitorSample sample{links_.primary_record->id, s.node_id, *s.positions.primary_lsn,
                         s.positions.received_lsn, *s.positions.replayed_lsn, {}, 0};
    read_apply_delay(*local, sample);
    insert_monitor_row(*p, sample);
    ctx_.log.debug("monitoring history written: primary at {}, received {}, replayed {}",
                   sample.primary_lsn, sample.received_lsn.value_or("-"), sample.replayed_lsn);
}

void Effects::record_upstream(const Snapshot& s, const Action& a) {
    Connection* p = links_.primary();
    if (!p) return;
    ctx_.log.notice("{}", a.details);
    NodeRepository(*p).set_upstream(s.node_id, a.node);
}

void Effects::run_action(const Snapshot& s, const Step& step, const Action& a,
                         std::vector<ActionOutcome>& outcomes) {
    switch (a.kind) {
        case ActionKind::RecordEvent:
            record_event(s, a);
            return;
        case ActionKind::PromoteSelf:
            outcomes.push_back(
                promote(s, PromoteParams{a.term, a.take_over_from, a.details, a.times}));
            return;
        case ActionKind::ReportCrash:
            outcomes.push_back(report_crash(s, a));
            return;
        case ActionKind::Follow:
            outcomes.push_back(follow(s, FollowParams{a.node, a.details}));
            return;
        case ActionKind::FencePrimary:
            fence_split_brain(s, SplitBrainFenceParams{a.node, s.tuning.primary_fencing});
            return;
        case ActionKind::ReadOnlyFence:
            read_only_fence(s, a);
            return;
        case ActionKind::PreFence:
            pre_fence(a);
            return;
        case ActionKind::DemoteFenced:
            demote_fenced(a);
            return;
        case ActionKind::RestoreDemoted:
            restore_demoted(s, a);
            return;
        case ActionKind::RejoinDemoted:
            rejoin_demoted(s, a);
            return;
        case ActionKind::StartDemoted:
            start_demoted(a);
            return;
        case ActionKind::RecordOwnPromotion:
            record_own_promotion(a);
            return;
        case ActionKind::RecordUpstream:
            record_upstream(s, a);
            return;
        case ActionKind::RecordZeroLoss:
            record_zero_loss(s, a);
            return;
        case ActionKind::SetSyncNames:
            set_sync_names(a);
            return;
        case ActionKind::LogWarning:
            ctx_.log.warning("{}", a.details);
            return;
        case ActionKind::Heartbeat:
            if (Connection* p = links_.primary())
                daemon_heartbeat(*p, s.node_id, static_cast<int>(getpid()),
                                 s.tuning.monitor_interval_secs,
                                 std::string(state_name(step.next.state)), step.reason);
            return;
        case ActionKind::WriteHistory:
            write_history(s);
            return;
        case ActionKind::SyncWitness: {
            Connection* p = links_.primary();
            Connection* local = links_.local.current();
            if (!p || !local) return;
            int n = copy_node_records(*p, *local);
            ctx_.log.debug("witness metadata synced: {} node record(s)", n);
            return;
        }
    }
}

ActionOutcome Effects::report_crash(const Snapshot& s, const Action& a) {
    Arbiter& arbiter = arbiters_.for_nodes(s.nodes);
    if (!arbiter.required()) {
        // Nowhere to write (the standbys' metadata are read-only replicas):
        // not a failure to retry every tick, and no event, as nothing was
        // reported.
        ActionOutcome none{ActionOutcome::Kind::CrashReport, true, s.node_id, {}};
        none.reason = fmt::format("the postmaster of node {} is gone; no witness is registered, "
                                  "so the crash is not reported: the standbys confirm the "
                                  "failure by their reconnect attempts",
                                  s.node_id);
        ctx_.log.notice("{}", none.reason);
        return none;
    }
    if (a.on && !demote_crashed_on_disk(a)) {
        ActionOutcome out{ActionOutcome::Kind::CrashReport, false, s.node_id, {}};
        out.reason = fmt::format("the crash of node {}'s server is not reported: its data "
                                 "directory could not be demoted first (a restart would bring it "
                                 "back writable beside a new primary); the standbys confirm the "
                                 "failure by their reconnect attempts",
                                 s.node_id);
        ctx_.log.warning("{}", out.reason);
        return out;
    }
    ArbiterAnswer answer = arbiter.report_crash(a.term, s.node_id);
    ActionOutcome out{ActionOutcome::Kind::CrashReport, answer.granted(), s.node_id, {}};
    if (out.ok) {
        out.reason = fmt::format("{}; recorded on the {}", a.details, arbiter.name());
        ctx_.log.notice("{}", out.reason);
    } else {
        out.reason = fmt::format("the crash of node {}'s server could not be reported on the {}: "
                                 "{}; the standbys confirm the failure by their reconnect "
                                 "attempts",
                                 s.node_id, arbiter.name(), answer.error);
        ctx_.log.warning("{}", out.reason);
    }
    // This node's server is the primary and it is down: there is no
    // repl_events to write to, so the event reaches the log and the
    // notification command only.
    ctx_.record(nullptr, "repmgrd_crash_reported", out.ok, out.reason);
    return out;
}

std::vector<ActionOutcome> Effects::run(const Snapshot& s, const Step& step) {
    std::vector<ActionOutcome> outcomes;
    for (const auto& action : step.actions) {
        try {
            run_action(s, step, action, outcomes);
        } catch (const Failure& f) {
            ctx_.log.warning("monitoring step failed: {}", failure_text(f));
            // A lost connection is noticed here first; the next tick reconnects.
            if (f.code() == ExitCode::DbConnection) links_.drop_primary(failure_text(f));
        }
    }
    return outcomes;
}

}  // namespace repmgr::repmgrd
