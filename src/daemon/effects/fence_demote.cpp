// A fence that holds: the isolated primary restarted as a standby, and its
// way back (promoted again after claiming its own term, or rejoined).
#include <fmt/format.h>

#include "actions/role_change.hpp"
#include "cluster/nodes.hpp"
#include "daemon/effects/demote.hpp"
#include "daemon/effects/effects.hpp"
#include "pg/control.hpp"

namespace repmgr::repmgrd {

void Effects::demote_fenced(const Action& a) {
    Connection* local = links_.local.current();
    std::string data_directory;
    try {
        data_directory = local_data_directory(ctx_, local);
    } catch (const Failure& f) {
        ctx_.log.error("cannot demote this fenced primary: {}", f.what());
        return;
    }
    ctx_.log.warning("{}", a.details);
    links_.local.drop("restarted as a standby by the isolation fence");
    links_.primary_own.drop("restarted as a standby by the isolation fence");
    std::string why;
    bool ok = demote_local_server(ctx_.config, ctx_.log, data_directory, a.term.timeline, why);
    if (!ok) {
        ctx_.log.error("fence demotion failed: {}", why);
        ctx_.log.hint("the read-only fence stays up; repmgrd tries again at the next check");
    }
    // Nowhere to write: this node's server is a standby now and the others
    // are out of reach. The log and the notification command get it.
    ctx_.record(nullptr, a.event, ok, ok ? a.details : a.details + ": " + why);
}

void Effects::start_demoted(const Action& a) {
    ctx_.log.notice("{}", a.details);
    try {
        std::string data_directory = local_data_directory(ctx_, nullptr);
        ServerControl(ctx_.config, ctx_.log, data_directory).start();
    } catch (const Failure& f) {
        ctx_.log.error("unable to start this node's server as a standby: {}", failure_text(f));
    }
}

void Effects::restore_demoted(const Snapshot& s, const Action& a) {
    Arbiter& arbiter = arbiters_.for_nodes(s.nodes);
    ArbiterAnswer claim = claim_own_term(s, arbiter, a.term);
    if (claim.granted()) claim = arbiter.confirm(a.term, s.node_id);
    if (!claim.granted()) {
        ctx_.log.notice("node {} stays a standby: its term (timeline {}) {} on the {}", s.node_id,
                        a.term.timeline,
                        claim.result == ArbiterAnswer::Result::Refused
                            ? fmt::format("is held by node {}", claim.holder)
                            : fmt::format("could not be claimed ({})", claim.error),
                        arbiter.name());
        return;
    }
    ctx_.log.notice("{}", a.details);
    try {
        // A connection without the monitoring statement_timeout: pg_promote waits.
        Connection local = Connection::open(ctx_.config.conninfo);
        std::string data_directory = local_data_directory(ctx_, &local);
        promote_local_server(ctx_, local, data_directory);
        remove_fence_marker(data_directory);
        use_metadata_schema(local, schema_name(ctx_.config));
        ctx_.record(&local, a.event, true,
                    fmt::format("node {} is the primary again after its fence demotion ({})",
                                s.node_id, a.details));
        checkpoint_new_timeline(ctx_, local);
    } catch (const Failure& f) {
        ctx_.log.error("node {} could not be promoted after its fence demotion: {}", s.node_id,
                       failure_text(f));
        ctx_.record(nullptr, a.event, false, failure_text(f));
    }
}

void Effects::rejoin_demoted(const Snapshot& s, const Action& a) {
    const NodeRecord* primary = find_record(s.nodes, a.node);
    if (!primary) return;
    std::string data_directory;
    try {
        data_directory = local_data_directory(ctx_, links_.local.current());
    } catch (const Failure& f) {
        ctx_.log.error("cannot rejoin this demoted primary: {}", f.what());
        return;
    }
    ctx_.log.warning("{}", a.details);
    if (!stop_local_server(data_directory, "fence rejoin")) return;
    bool ok = rejoin_with_rewind(*primary, data_directory, "fence rejoin");
    if (ok) remove_fence_marker(data_directory);
    record_on(s, a.node, a.event, ok,
              ok ? fmt::format("node {} rejoined node {} as a standby after its fence demotion",
                               s.node_id, a.node)
                 : fmt::format("node {} could not rejoin node {} after its fence demotion",
                               s.node_id, a.node));
}

}  // namespace repmgr::repmgrd
