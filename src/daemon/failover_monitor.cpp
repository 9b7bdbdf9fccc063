// repmgrd's failover and fencing, the parts with I/O: what a standby sees of
// its siblings and of the witness once its upstream has failed, what a primary
// sees of the other nodes, and the effects decide() asks for (claim and
// promote, follow, fence). The decisions themselves are in decide_failover.cpp.
#include <algorithm>
#include <csignal>

#include <fmt/format.h>

#include "actions/actions.hpp"
#include "actions/role_change.hpp"
#include "cluster/arbiter.hpp"
#include "cluster/history.hpp"
#include "cluster/replication.hpp"
#include "daemon/monitor.hpp"
#include "db/probe.hpp"
#include "notify/placeholders.hpp"
#include "pg/control.hpp"
#include "pg/datadir.hpp"
#include "pg/standby_config.hpp"
#include "util/process.hpp"

namespace repmgr::repmgrd {
namespace {

// A sibling's WAL receiver counts as still seeing the primary when it heard
// from it within the time the standbys need to declare it failed.
int receiver_freshness_s(const Config& c) {
    return std::max(10, c.reconnect_attempts * c.reconnect_interval + c.master_response_timeout);
}

struct Probed {
    const NodeRecord* node;
    std::optional<PeerState> state;  // nullopt: unreachable
};

// Connects to every node at once (one timeout in total, not one per dead
// node) and asks each what it is.
std::vector<Probed> probe_nodes(const std::vector<const NodeRecord*>& nodes, const Config& config) {
    std::vector<std::string> conninfos;
    for (const auto* n : nodes) conninfos.push_back(n->conninfo);
    int timeout_s = std::max(1, config.master_response_timeout);
    auto results = connect_all(conninfos, timeout_s);
    std::vector<Probed> out;
    for (size_t i = 0; i < nodes.size(); ++i) {
        Probed p{nodes[i], std::nullopt};
        if (results[i].connection) {
            try {
                set_statement_timeout(*results[i].connection, timeout_s * 1000);
                p.state = read_peer_state(*results[i].connection, receiver_freshness_s(config));
            } catch (const Failure&) {
            }
        }
        out.push_back(std::move(p));
    }
    return out;
}

}  // namespace

std::vector<NodeRecord> Monitor::local_nodes() {
    // While the local server is down, the last list read stands in.
    Connection* local = local_.current();
    if (!local) return known_nodes_;
    known_nodes_ = NodeRepository(*local).all();
    return known_nodes_;
}

void Monitor::observe_local_fence(Snapshot& s) {
    if (s.local.reachable && (role_ == NodeRole::Primary || role_ == NodeRole::Standby)) {
        try {
            s.local_fenced = read_only_fence_on(*local_.current());
        } catch (const Failure& f) {
            ctx_.log.warning("unable to read default_transaction_read_only: {}", failure_text(f));
        }
        if (role_ == NodeRole::Primary && known_nodes_.empty()) local_nodes();
        return;
    }
    // A registered primary whose server is down: is someone else primary now?
    if (s.local.reachable || role_ != NodeRole::Primary || memory_.prefenced) return;
    std::vector<const NodeRecord*> others;
    for (const auto& n : known_nodes_)
        if (n.id != s.node_id && n.type != NodeType::Witness) others.push_back(&n);
    for (const auto& p : probe_nodes(others, ctx_.config))
        if (p.state && !p.state->in_recovery) s.primary_elsewhere = p.node->id;
}

void Monitor::record_own_promotion(const Action& a) {
    Connection* local = local_.current();
    if (!local) return;
    ctx_.log.warning("{}", a.details);
    use_metadata_schema(*local, schema_name(ctx_.config));
    record_promotion(ctx_, *local, std::nullopt);
    ctx_.record(local, "repmgrd_failover_promote", true, a.details);
}

void Monitor::pre_fence(const Action& a) {
    ctx_.log.warning("{}", a.details);
    std::string data_directory = local_data_directory(ctx_, nullptr);
    set_auto_conf_setting(data_directory, "default_transaction_read_only", "on");
    // A server that is frozen rather than down reloads as soon as it runs
    // again, before it takes new transactions.
    bool signalled = signal_postmaster(data_directory, SIGHUP);
    ctx_.log.detail(fmt::format("default_transaction_read_only = 'on' written to \"{}/"
                                "postgresql.auto.conf\"{}; repmgrd lifts it when this node is a "
                                "standby again or sees a majority and no other primary",
                                data_directory,
                                signalled ? " and a reload signalled to its postmaster" : ""));
}

// ---- observe -----------------------------------------------------------------

void Monitor::observe_failover(Snapshot& s) {
    bool wanted = role_ == NodeRole::Standby && s.local.reachable && upstream_record_ &&
                  !s.upstream.reachable &&
                  (memory_.state != State::Monitoring || s.tuning.reconnect_attempts <= 1);
    if (!wanted && memory_.state != State::Promoting) return;
    if (!s.local.reachable || !upstream_record_) return;
    try {
        Connection& local = *local_.current();
        std::vector<NodeRecord> nodes = local_nodes();
        const NodeRecord& failed = *upstream_record_;
        FailoverView f;
        f.upstream_was_primary = failed.type == NodeType::Master;
        f.term.failed_primary_id = failed.id;
        // Every standby must name the same term: the primary's timeline as
        // last read from it, checked against the newest this standby knows.
        f.term.timeline = std::max(upstream_timeline_of_ == failed.id ? upstream_timeline_ : 0,
                                   standby_timeline(local));
        ElectionInput& e = f.election;
        e.self_id = s.node_id;
        e.failed_primary_id = failed.id;
        e.primary_location = failed.location;

        PeerState mine = read_peer_state(local, receiver_freshness_s(ctx_.config));
        CandidateView self;
        self.node_id = s.node_id;
        self.priority = ctx_.config.priority;
        self.location = ctx_.config.location.empty() ? "default" : ctx_.config.location;
        for (const auto& n : nodes)
            if (n.id == s.node_id) {
                self.priority = n.priority;
                self.location = n.location;
            }
        self.reachable = true;
        self.sees_primary = mine.streaming;
        self.in_recovery = mine.in_recovery;
        self.received_lsn = mine.received_lsn;
        e.standbys.push_back(self);

        std::vector<const NodeRecord*> others;
        const NodeRecord* witness = nullptr;
        for (const auto& n : nodes) {
            if (n.id == s.node_id || n.id == failed.id) continue;
            if (n.type == NodeType::Witness) {
                if (n.active) witness = &n;
                continue;
            }
            others.push_back(&n);
        }
        int best_timeline = 0;
        for (const auto& p : probe_nodes(others, ctx_.config)) {
            const NodeRecord& n = *p.node;
            bool sibling = n.type == NodeType::Standby && n.active &&
                           n.upstream_node_id.value_or(failed.id) == failed.id;
            if (sibling) {
                CandidateView v;
                v.node_id = n.id;
                v.priority = n.priority;
                v.location = n.location;
                v.reachable = p.state.has_value();
                if (p.state) {
                    v.sees_primary = p.state->streaming;
                    v.in_recovery = p.state->in_recovery;
                    v.received_lsn = p.state->received_lsn;
                }
                e.standbys.push_back(v);
            }
            if (p.state && !p.state->in_recovery && p.state->timeline > best_timeline) {
                best_timeline = p.state->timeline;
                f.running_primary_id = n.id;
            }
        }
        if (witness) {
            e.has_witness = true;
            e.witness_location = witness->location;
            if (Connection* w = witness_.get(witness->conninfo, link_settings())) {
                try {
                    if (auto c = read_failover_claim(*w, f.term.failed_primary_id,
                                                     f.term.timeline)) {
                        f.claim_winner = c->winner_node_id;
                        f.claim_confirmed = c->confirmed;
                        f.claim_expired = c->expired;
                        f.claim_passed_over = c->passed_over;
                    }
                    e.witness_reachable = true;
                } catch (const Failure& fl) {
                    witness_.drop(failure_text(fl));
                }
            }
            if (!e.witness_reachable)
                ctx_.log.debug("witness node {} not reachable: {}", witness->id, witness_.error());
        }
        s.failover = std::move(f);
    } catch (const Failure& fl) {
        ctx_.log.warning("unable to observe the cluster for failover: {}", failure_text(fl));
    }
}

void Monitor::observe_primary_peers(Snapshot& s) {
    if (role_ != NodeRole::Primary || !s.local.reachable || s.local.in_recovery) return;
    bool some_missing = false;
    for (const auto& name : s.expected_standbys)
        if (std::find(s.attached_standbys.begin(), s.attached_standbys.end(), name) ==
            s.attached_standbys.end())
            some_missing = true;
    try {
        Connection& local = *local_.current();
        PrimaryView pv;
        pv.fenced_read_only = s.local_fenced;
        if (!some_missing && !s.tuning.isolation_fencing && !pv.fenced_read_only) return;
        pv.own_timeline = primary_timeline(local);
        std::vector<NodeRecord> nodes = local_nodes();
        std::vector<const NodeRecord*> others;
        for (const auto& n : nodes)
            if (n.id != s.node_id) others.push_back(&n);
        for (const auto& p : probe_nodes(others, ctx_.config)) {
            const NodeRecord& n = *p.node;
            // In this primary's copy of the metadata a node promoted elsewhere
            // is still a standby: ask the servers, not the records.
            bool peer = n.active && (n.type == NodeType::Standby || n.type == NodeType::Witness);
            if (peer) {
                pv.peers_total += 1;
                if (p.state) pv.peers_visible += 1;
            }
            if (n.type != NodeType::Witness && p.state && !p.state->in_recovery &&
                p.state->timeline > pv.own_timeline && p.state->timeline > pv.rival_timeline) {
                pv.rival_id = n.id;
                pv.rival_timeline = p.state->timeline;
            }
        }
        s.primary_view = pv;
    } catch (const Failure& fl) {
        ctx_.log.warning("unable to look for other primaries: {}", failure_text(fl));
    }
}

void Monitor::find_primary_for_witness() {
    // The recorded primary does not answer: after a failover the new primary
    // is a node this copy of the metadata still calls a standby.
    std::vector<NodeRecord> nodes = local_nodes();
    std::vector<const NodeRecord*> candidates;
    for (const auto& n : nodes)
        if (n.type != NodeType::Witness && n.id != ctx_.config.node_id &&
            (!primary_record_ || n.id != primary_record_->id))
            candidates.push_back(&n);
    const NodeRecord* best = nullptr;
    int best_timeline = 0;
    for (const auto& p : probe_nodes(candidates, ctx_.config))
        if (p.state && !p.state->in_recovery && p.state->timeline > best_timeline) {
            best = p.node;
            best_timeline = p.state->timeline;
        }
    if (!best) return;
    if (Connection* c = primary_own_.get(best->conninfo, link_settings())) {
        ctx_.log.notice("the recorded primary does not answer; node {} runs as primary "
                        "(timeline {}): syncing from it",
                        best->id, best_timeline);
        primary_record_ = *best;
        primary_via_ = PrimaryVia::Own;
        (void)c;
    }
}

// ---- act -----------------------------------------------------------------------

void Monitor::record_on(int node_id, const Action& a) {
    if (a.successful)
        ctx_.log.notice("{}", a.details);
    else
        ctx_.log.warning("{}", a.details);
    for (const auto& n : local_nodes()) {
        if (n.id != node_id) continue;
        try {
            Connection c = Connection::open(n.conninfo, std::max(1, ctx_.config.master_response_timeout));
            use_metadata_schema(c, schema_name(ctx_.config));
            ctx_.record(&c, a.event, a.successful, a.details, node_id);
            return;
        } catch (const Failure& f) {
            ctx_.log.warning("unable to record \"{}\" on node {}: {}", a.event, node_id,
                             failure_text(f));
        }
    }
    ctx_.record(primary(), a.event, a.successful, a.details, node_id);
}

void Monitor::promote_self(const Snapshot& s, const Action& a) {
    if (!s.failover) return;
    const FailoverView& f = *s.failover;
    const int self = ctx_.config.node_id;
    ctx_.log.notice("{}", a.details);
    const int confirm_within = claim_confirm_seconds(tuning());
    Connection* w = nullptr;
    std::string takeover;  // event details when this node took over an expired claim
    if (f.election.has_witness) {
        w = witness_.current();
        if (!w) {
            ctx_.log.warning("I will not promote because the witness cannot be reached to claim "
                             "the failover term: {}", witness_.error());
            return;
        }
        try {
            if (f.claim_winner && *f.claim_winner != self) {
                // decide() saw this claim expired unconfirmed and chose this node
                // to take it over; the witness re-checks all of that atomically.
                if (!take_over_failover_claim(*w, f.term.failed_primary_id, f.term.timeline,
                                              *f.claim_winner, self, confirm_within)) {
                    ctx_.log.notice("the claim of node {} on the failover of node {} (timeline {}) "
                                    "was confirmed or taken over meanwhile: not promoting",
                                    *f.claim_winner, f.term.failed_primary_id, f.term.timeline);
                    return;
                }
                takeover = fmt::format(
                    "node {} took over the failover claim of node {} for the failover of node {} "
                    "(timeline {}): node {} neither confirmed nor promoted within its deadline",
                    self, *f.claim_winner, f.term.failed_primary_id, f.term.timeline,
                    *f.claim_winner);
                ctx_.log.warning("{}", takeover);
            } else {
                FailoverClaim claim = claim_failover_term(*w, f.term.failed_primary_id,
                                                          f.term.timeline, self, confirm_within);
                if (claim.winner_node_id != self) {
                    ctx_.log.notice("node {} claimed the failover of node {} (timeline {}) first: "
                                    "not promoting",
                                    claim.winner_node_id, f.term.failed_primary_id, f.term.timeline);
                    return;
                }
                ctx_.log.notice("claimed the failover of node {} (timeline {}) on the witness; "
                                "confirming it within {} s",
                                f.term.failed_primary_id, f.term.timeline, confirm_within);
            }
        } catch (const Failure& fl) {
            // Unknown outcome. Not promoting is safe either way: the next
            // election reads the claim (ours: promote then; else follow), and
            // a claim of ours left unconfirmed expires for the others.
            witness_.drop(failure_text(fl));
            ctx_.log.warning("I will not promote because the failover claim on the witness "
                             "failed: {}", failure_text(fl));
            return;
        }
    }
    // Last check before the point of no return: nobody became primary meanwhile.
    std::vector<NodeRecord> nodes = local_nodes();
    std::vector<const NodeRecord*> others;
    for (const auto& n : nodes)
        if (n.id != self && n.id != f.term.failed_primary_id && n.type != NodeType::Witness)
            others.push_back(&n);
    for (const auto& p : probe_nodes(others, ctx_.config))
        if (p.state && !p.state->in_recovery) {
            ctx_.log.warning("I will not promote because node {} already runs as a primary",
                             p.node->id);
            return;
        }

    std::string details;
    try {
        // A connection without the monitoring statement_timeout: pg_promote waits.
        Connection local = Connection::open(ctx_.config.conninfo);
        std::string data_directory = local_data_directory(ctx_, &local);
        // The point of no return: from here this node promotes. The claim may
        // have been taken over while we were slow (stopped, swapping, a long
        // probe): the confirmation and a takeover cannot both succeed.
        if (w && !confirm_failover_claim(*w, f.term.failed_primary_id, f.term.timeline, self))
            fail(ExitCode::FailoverFail,
                 fmt::format("the claim of this node on the failover of node {} (timeline {}) "
                             "was taken over by another node before it could be confirmed",
                             f.term.failed_primary_id, f.term.timeline),
                 {}, "this node does not promote; it follows the node that took over");
        if (w) ctx_.log.notice("failover claim confirmed on the witness: promoting");
        if (!ctx_.config.promote_command.empty()) {
            ctx_.log.notice("running promote_command: {}", ctx_.config.promote_command);
            ProcessResult r = run_shell(ctx_.config.promote_command, true);
            if (r.exit_status != 0)
                fail(ExitCode::Promoted,
                     fmt::format("promote_command failed with exit status {}", r.exit_status),
                     r.output, "run the command by hand to see why, then fix it in repmgr.conf");
            if (!wait_until_writable(local, ctx_.config.promote_check_timeout))
                fail(ExitCode::Promoted, "the server does not accept writes after promote_command",
                     {}, "check the PostgreSQL log of this node");
        } else {
            promote_local_server(ctx_, local, data_directory);
        }
        use_metadata_schema(local, schema_name(ctx_.config));
        record_promotion(ctx_, local, std::nullopt);
        // Recorded on the new primary: that is the metadata that lives on.
        if (!takeover.empty())
            ctx_.record(&local, "repmgrd_failover_claim_superseded", true, takeover,
                        *f.claim_winner);
        details = fmt::format("node {} promoted to primary by repmgrd; former primary node {} "
                              "marked inactive ({})",
                              self, f.term.failed_primary_id, a.details);
        ctx_.log.notice("{}", details);
        ctx_.record(&local, "repmgrd_failover_promote", true, details, f.term.failed_primary_id);
    } catch (const Failure& fl) {
        if (!takeover.empty())
            ctx_.record(nullptr, "repmgrd_failover_claim_superseded", true, takeover,
                        *f.claim_winner);
        ctx_.log.error("automatic promotion of node {} failed: {}", self, fl.what());
        if (!fl.detail().empty()) ctx_.log.detail(fl.detail());
        ctx_.record(nullptr, "repmgrd_failover_promote", false,
                    fmt::format("node {}: promotion failed: {}", self, fl.what()),
                    f.term.failed_primary_id);
    }
}

void Monitor::follow(const Snapshot&, const Action& a) {
    const int leader = a.node;
    ctx_.log.notice("{}", a.details);
    bool ok = false;
    std::string why;
    try {
        if (!ctx_.config.follow_command.empty()) {
            std::string cmd =
                expand_placeholders(ctx_.config.follow_command, {{'n', std::to_string(leader)}});
            ctx_.log.notice("running follow_command: {}", cmd);
            ProcessResult r = run_shell(cmd, true);
            ok = r.exit_status == 0;
            if (!ok) why = fmt::format("follow_command exited with status {}: {}", r.exit_status, r.output);
        } else {
            // The manual "standby follow --upstream-node-id=<leader>", in-process.
            Options saved = ctx_.opts;
            ctx_.opts.upstream_node_id = leader;
            ctx_.opts.dry_run = false;
            try {
                ok = run_standby_follow(ctx_) == 0;
            } catch (...) {
                ctx_.opts = saved;
                throw;
            }
            ctx_.opts = saved;
        }
    } catch (const Failure& f) {
        why = f.detail().empty() ? f.what() : fmt::format("{}: {}", f.what(), f.detail());
        // This standby received WAL from the old primary past the point where
        // the new one forked (it kept streaming until the old primary was cut
        // off or fenced; found diverged before the switch, or too late, when
        // the new upstream never started streaming to it). That WAL exists
        // nowhere else now: rewinding it away is what rejoining the old
        // primary does too, and pg_rewind does nothing when it is not needed.
        std::string_view what(f.what());
        bool leader_answered = what.find("history has diverged") != std::string_view::npos ||
                               what.find("does not stream from") != std::string_view::npos;
        if (ctx_.config.follow_command.empty() && ctx_.config.primary_fencing == "rejoin" &&
            leader_answered)
            ok = follow_by_rewind(leader, why);
    }
    std::string details = ok ? fmt::format("node {} now follows new primary node {}",
                                           ctx_.config.node_id, leader)
                             : fmt::format("node {} could not follow new primary node {}: {}",
                                           ctx_.config.node_id, leader, why);
    Action event{ActionKind::RecordEvent, "repmgrd_failover_follow", details, ok, leader};
    record_on(leader, event);
}

bool Monitor::follow_by_rewind(int leader, const std::string& why) {
    std::optional<NodeRecord> leader_record;
    for (auto& n : local_nodes())
        if (n.id == leader) leader_record = n;
    if (!leader_record) return false;
    std::string data_directory;
    try {
        data_directory = local_data_directory(ctx_, local_.current());
    } catch (const Failure& f) {
        ctx_.log.error("cannot rewind this standby: {}", f.what());
        return false;
    }
    ctx_.log.warning("{}; stopping this standby and rewinding it to follow node {} "
                     "(primary_fencing=rejoin)", why, leader);
    if (!stop_local_server(data_directory, "follow by rewind")) return false;
    return rejoin_with_rewind(*leader_record, data_directory, "follow by rewind");
}

void Monitor::fence_primary(const Snapshot&, const Action& a) {
    const int rival = a.node;
    std::optional<NodeRecord> rival_record;
    for (auto& n : local_nodes())
        if (n.id == rival) rival_record = n;
    Connection* local = local_.current();
    if (!local || !rival_record) return;
    std::string data_directory;
    try {
        data_directory = local_data_directory(ctx_, local);
    } catch (const Failure& f) {
        ctx_.log.error("cannot fence this primary: {}", f.what());
        return;
    }
    ctx_.log.warning("fencing: stopping this node's server (node {} is the primary now)", rival);
    if (!stop_local_server(data_directory, "split-brain fencing")) {
        ctx_.log.hint("stop it by hand now: two primaries accept writes");
        return;
    }
    if (ctx_.config.primary_fencing != "rejoin") {
        ctx_.log.hint(fmt::format("bring it back as a standby with \"repmgr node rejoin -d '{}' "
                                  "--force-rewind\"",
                                  rival_record->conninfo));
        return;
    }
    ctx_.log.notice("fencing: rejoining this node as a standby of node {}", rival);
    rejoin_with_rewind(*rival_record, data_directory, "fencing");
}

bool Monitor::stop_local_server(const std::string& data_directory, const char* why) {
    local_.drop(fmt::format("stopped by {}", why));
    primary_own_.drop(fmt::format("stopped by {}", why));
    try {
        ServerControl(ctx_.config, ctx_.log, data_directory).stop(StopMode::Fast);
        return true;
    } catch (const Failure& f) {
        ctx_.log.error("{}: unable to stop the server: {}", why, f.what());
        if (!f.detail().empty()) ctx_.log.detail(f.detail());
        return false;
    }
}

bool Monitor::rejoin_with_rewind(const NodeRecord& upstream, const std::string& data_directory,
                                 const char* why) {
    Options saved = ctx_.opts;
    ctx_.opts.dbname = upstream.conninfo;
    ctx_.opts.host.clear();
    ctx_.opts.port.clear();
    ctx_.opts.user.clear();
    ctx_.opts.force_rewind = true;
    ctx_.opts.dry_run = false;
    ctx_.opts.upstream_node_id.reset();
    ctx_.opts.pgdata = data_directory;
    bool ok = false;
    try {
        ok = run_node_rejoin(ctx_) == 0;
    } catch (const Failure& f) {
        ctx_.log.error("{}: node rejoin failed: {}", why, f.what());
        if (!f.detail().empty()) ctx_.log.detail(f.detail());
        ctx_.log.hint(fmt::format("the server stays stopped; run \"repmgr node rejoin -d '{}' "
                                  "--force-rewind\" by hand",
                                  upstream.conninfo));
    }
    ctx_.opts = saved;
    return ok;
}

void Monitor::read_only_fence(const Snapshot& s, const Action& a) {
    Connection* local = local_.current();
    if (!local) return;
    if (a.on) {
        ctx_.log.warning("{}", a.details);
        // The fence first: recording the event can fail (this session opts
        // out of the read-only default; see set_read_only_fence).
        set_read_only_fence(*local, true);
        ctx_.record(local, "repmgrd_isolation_fence", true, a.details);
    } else {
        set_read_only_fence(*local, false);
        ctx_.log.notice("{}", a.details);
        ctx_.record(primary(), "repmgrd_isolation_fence_lifted", true, a.details);
    }
    (void)s;
}

}  // namespace repmgr::repmgrd
