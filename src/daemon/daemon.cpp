#include "daemon/daemon.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>

#include <fmt/format.h>

#include "cluster/history.hpp"
#include "config/settings.hpp"
#include "daemon/reload.hpp"
#include "util/sd_notify.hpp"

namespace repmgr::repmgrd {
Daemon::Daemon(Context& ctx, DaemonOptions options)
    : ctx_(ctx),
      options_(std::move(options)),
      arbiters_(ctx.config),
      observer_(ctx, links_, arbiters_),
      effects_(ctx, links_, arbiters_),
      publisher_(ctx, links_) {}

Tuning Daemon::tuning() const {
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
    t.primary_restart_grace = c.primary_restart_grace;
    t.fence_demote_timeout = c.fence_demote_timeout;
    t.synchronous = c.synchronous == "on"       ? SyncMode::On
                    : c.synchronous == "strict" ? SyncMode::Strict
                                                : SyncMode::Off;
    t.synchronous_standby_count = c.synchronous_standby_count;
    t.guard_timeout = c.guard_timeout;
    return t;
}

Daemon::Watch Daemon::what_to_watch(const Snapshot& s) {
    auto open_link = [](Link& link) -> Connection* {
        Connection* c = link.current();
        return c && c->ok() && c->socket() >= 0 ? c : nullptr;
    };
    using What = Watch::What;
    if (memory_.state == State::Monitoring && memory_.role == NodeRole::Standby) {
        // A crashed server closes every connection at once: the check runs now.
        if (Connection* c = open_link(links_.upstream)) return {What::Upstream, c, c->socket()};
        if (s.upstream.reachable && !looked_now_) return {What::Now, nullptr, -1};
    } else if (memory_.state == State::Monitoring && memory_.role == NodeRole::Primary) {
        // The same for the primary's own server: its crash is reported sooner.
        if (Connection* c = open_link(links_.local)) return {What::Local, c, c->socket()};
        if (s.local.reachable && !looked_now_) return {What::Now, nullptr, -1};
    } else if (memory_.state == State::UpstreamLost && memory_.role == NodeRole::Standby) {
        // Between reconnect attempts: a crash report ends the wait.
        int fd = arbiters_.for_nodes(memory_.nodes).report_socket();
        if (fd >= 0) return {What::CrashReport, nullptr, fd};
    }
    return {};
}

bool Daemon::watched_event(const Watch& w, const Snapshot& s) {
    switch (w.what) {
        case Watch::What::Upstream:
        case Watch::What::Local:
            if (w.conn->still_open_after_input()) return false;  // idle chatter, nothing lost
            if (w.what == Watch::What::Upstream)
                ctx_.log.notice("the connection to upstream node {} was closed: checking it now",
                                s.upstream_id.value_or(0));
            else
                ctx_.log.notice("the connection to the local server was closed: checking it now");
            return true;
        case Watch::What::CrashReport:
            if (!arbiters_.for_nodes(memory_.nodes).report_arrived()) return false;
            ctx_.log.notice("a crash report was written on the witness: checking it now");
            return true;
        case Watch::What::Now:
        case Watch::What::Nothing:
            break;
    }
    return false;
}

void Daemon::log_step(const Step& step) {
    for (const auto& t : step.transitions) {
        if (step.next.state == State::Monitoring)
            ctx_.log.notice("{}", t);
        else
            ctx_.log.warning("{}", t);
    }
    // Each failover decision of the tick, then the tick's reason: a NOTICE
    // when it changed outside plain monitoring (unless it is the decision just
    // logged), else INFO on a change and DEBUG otherwise. The log alone answers
    // "why did (or didn't) this node fail over at 03:12".
    for (const auto& d : step.decisions) ctx_.log.notice("{}", d);
    if (!step.decisions.empty() && step.decisions.back() == step.reason) return;
    if (step.reason_changed)
        ctx_.log.notice("{}", step.reason);
    else if (step.reason != memory_.reason)
        ctx_.log.info("{}", step.reason);
    else
        ctx_.log.debug("{}", step.reason);
}

void Daemon::reload() {
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
        ctx_.record(links_.primary(), "repmgrd_reload", false,
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
    ctx_.record(links_.primary(), "repmgrd_reload", true,
                applied.empty() ? "configuration reloaded; no setting changed"
                                : fmt::format("configuration reloaded; changed: {}", list));
}

void Daemon::shutdown() {
    systemd::notify_stopping();
    std::string details = fmt::format("repmgrd (pid {}) on node {} is shutting down", getpid(),
                                      ctx_.config.node_id);
    ctx_.log.notice("{}", details);
    ctx_.record(links_.primary(), "repmgrd_shutdown", true, details);
    if (Connection* p = links_.primary()) {
        try {
            daemon_stopped(*p, ctx_.config.node_id, static_cast<int>(getpid()));
        } catch (const Failure& f) {
            ctx_.log.warning("unable to mark repmgrd stopped: {}", failure_text(f));
        }
    }
}

int Daemon::run() {
    ctx_.log.notice("repmgrd {} (pid {}) starting for node {} (\"{}\")", REPMGR_VERSION, getpid(),
                    ctx_.config.node_id, ctx_.config.node_name);
    publisher_.start();
    bool first = true;
    std::vector<ActionOutcome> outcomes;  // the effects' report, for the next snapshot
    while (true) {
        Snapshot s = observer_.observe(memory_, tuning());
        // A witness runs a writable server too: only the primary is guarded.
        bool registered_primary = s.role == NodeRole::Primary;
        bool writable_primary = registered_primary && s.local.reachable && !s.local.in_recovery;
        guard_.feed(registered_primary, writable_primary);
        lease_.beat(arbiters_.for_nodes(s.nodes), s, memory_);
        s.outcomes = std::move(outcomes);
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
        outcomes = effects_.run(s, step);
        State before = memory_.state;
        memory_ = step.next;
        publisher_.publish(s, step, before);

        Clock::time_point deadline = s.at + step.wait;
        bool looked_now = false;
        while (true) {
            auto remaining =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (remaining.count() <= 0) break;
            Watch watched = what_to_watch(s);
            if (watched.what == Watch::What::Now) {
                // Seen answering at the start of the tick, lost during its
                // effects (they dropped the connection): a crash, most likely.
                ctx_.log.notice("the connection to the {} broke during this check: checking it "
                                "again now",
                                memory_.role == NodeRole::Primary ? "local server" : "upstream");
                looked_now = true;
                break;
            }
            // A report announced while another query ran on that connection
            // was queued by libpq: the socket will not become readable for it.
            if (watched.what == Watch::What::CrashReport && watched_event(watched, s)) break;
            SignalPipe::Wake wake =
                signals_.wait(remaining + std::chrono::milliseconds(1), watched.fd);
            if (wake.watched_ready) {
                if (watched_event(watched, s)) break;  // look now, not at the next interval
                continue;
            }
            std::optional<int> sig = wake.signal;
            if (!sig) continue;
            if (*sig == SIGHUP) {
                reload();
                // A shorter interval applies from now, not after the old one ends.
                deadline = std::min(deadline, s.at + wait_for(memory_.state, tuning()));
                continue;
            }
            shutdown();
            publisher_.stop();
            return 0;
        }
        looked_now_ = looked_now;  // an immediate look is never repeated at once
    }
}

}  // namespace repmgr::repmgrd
