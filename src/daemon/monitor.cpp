#include "daemon/monitor.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>

#include <fmt/format.h>

#include "cluster/arbiter.hpp"
#include "cluster/history.hpp"
#include "cluster/node_checks.hpp"
#include "cluster/witness.hpp"
#include "config/conninfo.hpp"
#include "config/settings.hpp"
#include "daemon/reload.hpp"
#include "util/sd_notify.hpp"

namespace repmgr::repmgrd {
namespace {

NodeRole role_of(const NodeRecord& n) {
    switch (n.type) {
        case NodeType::Master: return NodeRole::Primary;
        case NodeType::Standby: return NodeRole::Standby;
        case NodeType::Witness: return NodeRole::Witness;
    }
    return NodeRole::Unknown;
}

}  // namespace

Monitor::Monitor(Context& ctx, DaemonOptions options)
    : ctx_(ctx), options_(std::move(options)) {}

LinkSettings Monitor::link_settings() const {
    // master_response_timeout bounds both the connect and every query.
    int timeout_s = std::max(1, ctx_.config.master_response_timeout);
    return LinkSettings{schema_name(ctx_.config), timeout_s, timeout_s * 1000};
}

Tuning Monitor::tuning() const {
    const Config& c = ctx_.config;
    Tuning t;
    t.monitor_interval_secs = c.monitor_interval_secs;
    t.reconnect_attempts = c.reconnect_attempts;
    t.reconnect_interval = c.reconnect_interval;
    t.master_response_timeout = c.master_response_timeout;
    t.witness_sync_interval = c.witness_sync_interval;
    t.monitoring_history = c.monitoring_history || options_.monitoring_history;
    t.automatic_failover = c.failover == "automatic";
    t.primary_follow_timeout = c.primary_follow_timeout;
    t.election_rerun_interval = c.election_rerun_interval;
    t.primary_fencing = c.primary_fencing == "stop"   ? Tuning::Fencing::Stop
                        : c.primary_fencing == "none" ? Tuning::Fencing::None
                                                      : Tuning::Fencing::Rejoin;
    t.isolation_fencing = c.primary_isolation_fencing && t.automatic_failover;
    return t;
}

Link* Monitor::primary_link() {
    switch (primary_via_) {
        case PrimaryVia::Local: return &local_;
        case PrimaryVia::Upstream: return &upstream_;
        case PrimaryVia::Own: return &primary_own_;
        case PrimaryVia::None: break;
    }
    return nullptr;
}

Connection* Monitor::primary() {
    Link* link = primary_link();
    return link ? link->current() : nullptr;
}

// ---- observe ---------------------------------------------------------------

// The metadata must name the node this standby really streams from: a
// repmgrd killed in the middle of a follow leaves the old upstream recorded,
// and the restarted one would monitor (and fail over from) the wrong node.
void Monitor::reconcile_upstream(const Snapshot& s) {
    if (role_ != NodeRole::Standby || memory_.state != State::Monitoring || !s.local.reachable ||
        !s.local.in_recovery)
        return;
    Connection* local = local_.current();
    Connection* p = primary();
    if (!local || !p) return;
    try {
        auto rx = read_wal_receiver(*local);
        if (!rx || rx->status != "streaming") return;
        auto streams_from = [&](const NodeRecord& n) {
            Conninfo ci = Conninfo::parse(n.conninfo);
            return ci.get("host").value_or("") == rx->sender_host &&
                   (!rx->sender_port ||
                    ci.get("port").value_or("5432") == std::to_string(*rx->sender_port));
        };
        if (upstream_record_ && streams_from(*upstream_record_)) return;  // the usual case
        for (const auto& n : local_nodes()) {
            if (n.id == s.node_id || n.type == NodeType::Witness || !streams_from(n)) continue;
            ctx_.log.notice("node {} streams from node {}, but the metadata names node {} as its "
                            "upstream: recording node {}",
                            s.node_id, n.id, upstream_record_ ? upstream_record_->id : 0, n.id);
            use_metadata_schema(*p, schema_name(ctx_.config));
            NodeRepository(*p).set_upstream(s.node_id, n.id);
            upstream_record_ = n;
            return;
        }
    } catch (const Failure& f) {
        ctx_.log.warning("unable to check this standby's upstream: {}", failure_text(f));
    }
}

void Monitor::observe_local(Snapshot& s) {
    Connection* c = local_.get(ctx_.config.conninfo, link_settings());
    if (!c) {
        s.local.error = local_.error();
        return;
    }
    try {
        ServerPosition pos = read_server_position(*c);
        positions_.received_lsn = pos.received_lsn;
        positions_.replayed_lsn = pos.replayed_lsn;
        NodeRepository repo(*c);
        std::optional<NodeRecord> me = repo.by_id(s.node_id);
        primary_record_ = repo.active_primary();
        role_ = me ? role_of(*me) : NodeRole::Unknown;
        upstream_record_.reset();
        if (role_ == NodeRole::Standby) {
            std::optional<int> up = me->upstream_node_id;
            if (!up && primary_record_) up = primary_record_->id;
            if (up) upstream_record_ = repo.by_id(*up);
        }
        if (role_ == NodeRole::Primary) {
            s.expected_standbys = registered_standbys_of(*c, s.node_id, true);
            s.attached_standbys = read_attached_standbys(*c);
        }
        s.local.reachable = true;
        s.local.in_recovery = pos.in_recovery;
    } catch (const Failure& f) {
        local_.drop(failure_text(f));
        s.local = ServerView{false, false, local_.error()};
    }
}

void Monitor::observe_upstream(Snapshot& s) {
    if (role_ != NodeRole::Standby || !upstream_record_) return;
    s.upstream_id = upstream_record_->id;
    Connection* c = upstream_.get(upstream_record_->conninfo, link_settings());
    if (!c) {
        s.upstream.error = upstream_.error();
        return;
    }
    try {
        ServerPosition pos = read_server_position(*c);
        if (!pos.in_recovery && pos.read_only_fenced && memory_.state != State::Monitoring) {
            // A primary fenced read-only (isolated, or the old primary
            // restarted after a failover) does not end a failover under way:
            // it is being replaced, not back.
            s.upstream = ServerView{false, false, "upstream primary is fenced read-only"};
            return;
        }
        s.upstream.reachable = true;
        s.upstream.in_recovery = pos.in_recovery;
        if (!pos.in_recovery) positions_.primary_lsn = pos.current_lsn;
        // The failover term names the primary's timeline: learn it on every
        // check while the primary answers (a cached value outlived promotions
        // and rejoins, and made standbys claim a long-finished term).
        if (!pos.in_recovery) {
            upstream_timeline_ = primary_timeline(*c);
            upstream_timeline_of_ = s.upstream_id;
        }
    } catch (const Failure& f) {
        upstream_.drop(failure_text(f));
        s.upstream = ServerView{false, false, upstream_.error()};
    }
}

void Monitor::observe_primary(Snapshot& s) {
    primary_via_ = PrimaryVia::None;
    if (role_ == NodeRole::Primary && s.local.reachable && !s.local.in_recovery) {
        primary_via_ = PrimaryVia::Local;
    } else if (role_ == NodeRole::Standby && s.upstream.reachable && !s.upstream.in_recovery) {
        primary_via_ = PrimaryVia::Upstream;
        primary_record_ = upstream_record_;
    } else if (primary_record_ && primary_record_->id != s.node_id &&
               (role_ == NodeRole::Witness ||
                (role_ == NodeRole::Standby && upstream_record_ &&
                 upstream_record_->id != primary_record_->id))) {
        // A witness, or a cascaded standby: the primary is not our upstream.
        if (Connection* c = primary_own_.get(primary_record_->conninfo, link_settings())) {
            try {
                ServerPosition pos = read_server_position(*c);
                if (!pos.in_recovery) {
                    primary_via_ = PrimaryVia::Own;
                    positions_.primary_lsn = pos.current_lsn;
                }
            } catch (const Failure& f) {
                primary_own_.drop(failure_text(f));
            }
        }
    }
    if (role_ == NodeRole::Witness && primary_via_ == PrimaryVia::None) find_primary_for_witness();
    if (Connection* p = primary()) {
        try {
            paused_ = daemon_paused(*p, s.node_id);
        } catch (const DbError& e) {
            if (e.code() == ExitCode::DbConnection) {
                primary_link()->drop(failure_text(e));
                primary_via_ = PrimaryVia::None;
            } else {
                ctx_.log.warning("unable to read the pause flag: {}", failure_text(e));
            }
        }
    }
    // The pause flag lives on the primary: while it is gone, the last value holds.
    s.paused = paused_;
    s.primary_writable = primary() != nullptr;
}

Snapshot Monitor::observe() {
    Snapshot s;
    s.at = Clock::now();
    s.node_id = ctx_.config.node_id;
    s.tuning = tuning();
    positions_ = Positions{};
    observe_local(s);
    s.role = role_;  // the last known role while the local server is down
    observe_upstream(s);
    observe_primary(s);
    reconcile_upstream(s);
    observe_local_fence(s);
    observe_failover(s);
    observe_primary_peers(s);
    s.positions = positions_;
    return s;
}

// ---- act -------------------------------------------------------------------

void Monitor::run_action(const Snapshot& s, const Action& a) {
    switch (a.kind) {
        case ActionKind::RecordEvent:
            if (a.successful)
                ctx_.log.notice("{}", a.details);
            else
                ctx_.log.warning("{}", a.details);
            if (a.node != 0)
                record_on(a.node, a);
            else
                ctx_.record(primary(), a.event, a.successful, a.details);
            return;
        case ActionKind::PromoteSelf:
            promote_self(s, a);
            return;
        case ActionKind::Follow:
            follow(s, a);
            return;
        case ActionKind::FencePrimary:
            fence_primary(s, a);
            return;
        case ActionKind::ReadOnlyFence:
            read_only_fence(s, a);
            return;
        case ActionKind::PreFence:
            pre_fence(a);
            return;
        case ActionKind::RecordOwnPromotion:
            record_own_promotion(a);
            return;
        case ActionKind::LogWarning:
            ctx_.log.warning("{}", a.details);
            return;
        case ActionKind::Heartbeat:
            if (Connection* p = primary())
                daemon_heartbeat(*p, s.node_id, static_cast<int>(getpid()),
                                 s.tuning.monitor_interval_secs);
            return;
        case ActionKind::WriteHistory: {
            Connection* p = primary();
            Connection* local = local_.current();
            if (!p || !local || !primary_record_) return;
            MonitorSample sample{primary_record_->id, s.node_id, *s.positions.primary_lsn,
                                 s.positions.received_lsn, *s.positions.replayed_lsn, {}, 0};
            read_apply_delay(*local, sample);
            insert_monitor_row(*p, sample);
            ctx_.log.debug("monitoring history written: primary at {}, received {}, replayed {}",
                           sample.primary_lsn, sample.received_lsn.value_or("-"),
                           sample.replayed_lsn);
            return;
        }
        case ActionKind::SyncWitness: {
            Connection* p = primary();
            Connection* local = local_.current();
            if (!p || !local) return;
            int n = copy_node_records(*p, *local);
            ctx_.log.debug("witness metadata synced: {} node record(s)", n);
            return;
        }
    }
}

void Monitor::act(const Snapshot& s, const Step& step) {
    for (const auto& action : step.actions) {
        try {
            run_action(s, action);
        } catch (const Failure& f) {
            ctx_.log.warning("monitoring step failed: {}", failure_text(f));
            // A lost connection is noticed here first; the next tick reconnects.
            if (f.code() == ExitCode::DbConnection) {
                if (Link* link = primary_link()) link->drop(failure_text(f));
                primary_via_ = PrimaryVia::None;
            }
        }
    }
}

void Monitor::log_step(const Step& step) {
    for (const auto& t : step.transitions) {
        if (step.next.state == State::Monitoring)
            ctx_.log.notice("{}", t);
        else
            ctx_.log.warning("{}", t);
    }
    if (step.reason != last_reason_)
        ctx_.log.info("{}", step.reason);
    else
        ctx_.log.debug("{}", step.reason);
    last_reason_ = step.reason;
}

// ---- signals -----------------------------------------------------------------

void Monitor::reload() {
    const std::string& path = ctx_.config.source_file;
    ctx_.log.notice("SIGHUP received: re-reading \"{}\"", path);
    systemd::notify_reloading();
    struct ReadyAgain {
        ~ReadyAgain() { systemd::notify_ready(); }
    } ready_again;  // on every way out, accepted or refused
    LoadedConfig fresh;
    try {
        fresh = load_config_file(path);
    } catch (const Failure& f) {
        ctx_.log.error("{}", f.what());
        if (!f.detail().empty()) ctx_.log.detail(f.detail());
        ctx_.log.hint("the running configuration is kept; correct the file and send SIGHUP again");
        ctx_.record(primary(), "repmgrd_reload", false,
                    fmt::format("configuration file \"{}\" is invalid; running configuration kept",
                                path));
        return;
    }
    for (const auto& w : fresh.warnings) ctx_.log.warning("{}", w);
    if (options_.log_level) fresh.config.loglevel = ctx_.config.loglevel;  // -L wins

    std::vector<std::string> applied;
    for (const auto& change : diff_settings(ctx_.config, fresh.config)) {
        if (change.reloadable) {
            ctx_.log.notice("setting \"{}\" changed from \"{}\" to \"{}\"", change.name,
                            change.old_value, change.new_value);
            applied.push_back(change.name);
        } else {
            ctx_.log.warning("setting \"{}\" changed to \"{}\" but needs a restart of repmgrd; "
                             "keeping \"{}\"", change.name, change.new_value, change.old_value);
        }
    }
    ctx_.config = apply_reloadable(ctx_.config, fresh.config);
    ctx_.log.set_level(parse_log_level(ctx_.config.loglevel).value_or(LogLevel::Notice));
    std::string facility = ctx_.config.logfacility;
    if (facility.empty() || facility == "STDERR" || facility == "stderr") {
        try {
            // Re-opening also lets logrotate move the old file away.
            if (!ctx_.config.logfile.empty())
                ctx_.log.open_file(ctx_.config.logfile);
            else
                ctx_.log.use_stderr();
        } catch (const Failure& f) {
            ctx_.log.error("{}: {}", f.what(), f.detail());
        }
    }
    std::string list;
    for (const auto& a : applied) list += (list.empty() ? "" : ", ") + a;
    ctx_.record(primary(), "repmgrd_reload", true,
                applied.empty() ? "configuration reloaded; no setting changed"
                                : fmt::format("configuration reloaded; changed: {}", list));
}

void Monitor::shutdown() {
    systemd::notify_stopping();
    std::string details = fmt::format("repmgrd (pid {}) on node {} is shutting down", getpid(),
                                      ctx_.config.node_id);
    ctx_.log.notice("{}", details);
    ctx_.record(primary(), "repmgrd_shutdown", true, details);
    if (Connection* p = primary()) {
        try {
            daemon_stopped(*p, ctx_.config.node_id, static_cast<int>(getpid()));
        } catch (const Failure& f) {
            ctx_.log.warning("unable to mark repmgrd stopped: {}", failure_text(f));
        }
    }
}

int Monitor::run() {
    ctx_.log.notice("repmgrd {} (pid {}) starting for node {} (\"{}\")", REPMGR_VERSION, getpid(),
                    ctx_.config.node_id, ctx_.config.node_name);
    start_http();
    bool first = true;
    while (true) {
        Snapshot s = observe();
        if (first && s.local.reachable && s.role == NodeRole::Unknown)
            fail(ExitCode::BadConfig,
                 fmt::format("node {} is not registered in the cluster metadata",
                             ctx_.config.node_id),
                 fmt::format("no record with id {} in {}.repl_nodes on the local server",
                             ctx_.config.node_id, schema_name(ctx_.config)),
                 "register the node (\"repmgr primary register\" or \"repmgr standby register\") "
                 "before starting repmgrd");
        if (first)
            systemd::notify_ready(fmt::format("monitoring node {} (\"{}\")", ctx_.config.node_id,
                                              ctx_.config.node_name));
        first = false;
        systemd::notify_watchdog();
        Step step = decide(s, memory_);
        log_step(step);
        act(s, step);
        State before = memory_.state;
        memory_ = step.next;
        publish_status(s, step, before);

        Clock::time_point deadline = s.at + step.wait;
        while (true) {
            auto remaining =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (remaining.count() <= 0) break;
            std::optional<int> sig = signals_.wait(remaining + std::chrono::milliseconds(1));
            if (!sig) continue;
            if (*sig == SIGHUP) {
                reload();
                // A shorter interval applies from now, not after the old one ends.
                deadline = std::min(deadline, s.at + wait_for(memory_.state, tuning()));
                continue;
            }
            shutdown();
            stop_http();
            return 0;
        }
    }
}

}  // namespace repmgr::repmgrd
