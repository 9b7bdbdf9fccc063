// repmgr daemon start | stop (alias: service): starts or stops repmgrd on
// this node through repmgrd_service_start_command / repmgrd_service_stop_command,
// else directly (repmgrd -d; SIGTERM to its pid). Then waits (unless
// -W/--no-wait) until the metadata or the process says it happened.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "actions/actions.hpp"
#include "cluster/history.hpp"
#include "cluster/nodes.hpp"
#include "util/process.hpp"

namespace repmgr {
namespace {

constexpr int kStartStopWait = 15;  // seconds, as repmgr 5
std::string status_hint(std::string_view done) {
    return fmt::format("use \"repmgr service status\" to confirm that repmgrd was successfully {}",
                       done);
}

// Whether `pid` is a repmgrd process of this host: a pid from the metadata
// may be stale and reused by something else, which must never be signalled.
bool is_repmgrd(int pid) {
    if (pid <= 0) return false;
    std::ifstream comm(fmt::format("/proc/{}/comm", pid));
    std::string name;
    return comm && std::getline(comm, name) && name == "repmgrd";
}

// repmgrd's pid as this node's metadata copy records it, when that process
// is a live repmgrd.
std::optional<int> recorded_pid(Connection& conn, int node_id) {
    if (!daemon_table_exists(conn)) return std::nullopt;
    for (const auto& row : daemon_rows(conn))
        if (row.node_id == node_id && row.pid && is_repmgrd(*row.pid)) return row.pid;
    return std::nullopt;
}

std::optional<int> pid_from_file(const std::string& path) {
    if (path.empty()) return std::nullopt;
    std::ifstream in(path);
    int pid = 0;
    if (in >> pid && is_repmgrd(pid)) return pid;
    return std::nullopt;
}

std::optional<Connection> metadata_connection(Context& ctx) {
    try {
        Connection conn = ctx.connect_local();
        use_metadata_schema(conn, schema_name(ctx.config));
        return conn;
    } catch (const DbError&) {
        return std::nullopt;
    }
}

// repmgrd next to this repmgr (an install puts both in one bindir), else PATH.
std::string repmgrd_binary() {
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        auto beside = self.parent_path() / "repmgrd";
        if (access(beside.c_str(), X_OK) == 0) return beside.string();
    }
    return "repmgrd";
}

// The command line daemon start runs.
std::string start_command(const Context& ctx) {
    if (!ctx.config.repmgrd_service_start_command.empty())
        return ctx.config.repmgrd_service_start_command;
    std::vector<std::string> argv{repmgrd_binary()};
    if (!ctx.config.source_file.empty()) {
        argv.push_back("-f");
        argv.push_back(std::filesystem::absolute(ctx.config.source_file).string());
    }
    argv.push_back("-d");
    if (!ctx.config.repmgrd_pid_file.empty()) {
        argv.push_back("-p");
        argv.push_back(std::filesystem::absolute(ctx.config.repmgrd_pid_file).string());
    }
    return shown_command(argv);
}

template <typename Pred>
bool poll_for(int seconds, Pred done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
}

void run_service_command(Context& ctx, const std::string& command, const char* verb) {
    ctx.log.notice("executing: \"{}\"", command);
    ProcessResult r = run_shell(command, true);
    if (r.exit_status != 0)
        fail(ExitCode::RepmgrdService, fmt::format("unable to {} repmgrd", verb),
             r.output.empty() ? fmt::format("exit status {}", r.exit_status) : r.output,
             verb == std::string("start") ? "check repmgrd's log file (log_file in repmgr.conf)"
                                          : "check how repmgrd was started on this node");
}

}  // namespace

int run_daemon_start(Context& ctx) {
    require_node_identity(ctx.config);
    std::optional<Connection> conn;
    try {
        conn = ctx.connect_local();
    } catch (const DbError& e) {
        fail(ExitCode::DbConnection, "unable to connect to local node",
             "PostgreSQL must be running before \"repmgrd\" can be started (" + e.detail() + ")",
             "start the server, e.g. with \"repmgr node service --action=start\"");
    }
    use_metadata_schema(*conn, schema_name(ctx.config));
    if (auto pid = recorded_pid(*conn, ctx.config.node_id))
        fail(ExitCode::RepmgrdService, "repmgrd appears to be running already",
             fmt::format("repmgrd PID is {}", *pid), "stop it with \"repmgr daemon stop\" first");
    if (auto pid = pid_from_file(ctx.config.repmgrd_pid_file))
        fail(ExitCode::RepmgrdService, "repmgrd appears to be running already",
             fmt::format("repmgrd PID is {} (pid file \"{}\")", *pid, ctx.config.repmgrd_pid_file),
             "stop it with \"repmgr daemon stop\" first");

    const std::string command = start_command(ctx);
    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] prerequisites for starting repmgrd met");
        ctx.log.detail("following command would be executed:\n  " + command);
        return 0;
    }
    run_service_command(ctx, command, "start");

    if (ctx.opts.no_wait) {
        ctx.log.hint(status_hint("started"));
        return 0;
    }
    // Its first report reaches this node's copy of the metadata (written on
    // the primary, replicated to a standby).
    if (!poll_for(kStartStopWait, [&] {
            try {
                return recorded_pid(*conn, ctx.config.node_id).has_value();
            } catch (const DbError&) {
                return false;
            }
        })) {
        ctx.log.hint(status_hint("started"));
        fail(ExitCode::RepmgrdService,
             fmt::format("repmgrd does not appear to have started after {} seconds",
                         kStartStopWait),
             {}, "check repmgrd's log file (log_file in repmgr.conf)");
    }
    ctx.log.notice("repmgrd was successfully started");
    return 0;
}

int run_daemon_stop(Context& ctx) {
    require_node_identity(ctx.config);
    std::optional<Connection> conn = metadata_connection(ctx);
    std::optional<int> pid = pid_from_file(ctx.config.repmgrd_pid_file);
    if (conn) {
        if (!pid) pid = recorded_pid(*conn, ctx.config.node_id);
        if (!pid)
            fail(ExitCode::RepmgrdService, "repmgrd appears to be stopped already",
                 "no live repmgrd process is recorded for this node", {});
    } else {
        // A stopped server does not keep repmgrd from being stopped.
        ctx.log.warning("unable to connect to local node");
    }
    const bool direct = ctx.config.repmgrd_service_stop_command.empty();
    if (direct && !pid)
        fail(ExitCode::RepmgrdService, "unable to determine repmgrd PID",
             "this node's server does not answer, and no repmgrd_pid_file names a live repmgrd",
             "set repmgrd_service_stop_command or repmgrd_pid_file in repmgr.conf");

    const std::string command = direct ? fmt::format("kill -TERM {}", *pid)
                                       : ctx.config.repmgrd_service_stop_command;
    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] prerequisites for stopping repmgrd met");
        ctx.log.detail("following command would be executed:\n  " + command);
        return 0;
    }
    if (direct) {
        ctx.log.notice("sending SIGTERM to repmgrd (PID {})", *pid);
        if (kill(*pid, SIGTERM) != 0 && errno != ESRCH)
            fail(ExitCode::RepmgrdService, fmt::format("unable to signal repmgrd (PID {})", *pid),
                 std::strerror(errno), "check that repmgrd runs as this user");
    } else {
        run_service_command(ctx, command, "stop");
    }

    if (ctx.opts.no_wait) {
        if (conn) ctx.log.hint(status_hint("stopped"));
        return 0;
    }
    if (!pid) {
        ctx.log.warning("unable to determine repmgrd PID");
        fail(ExitCode::RepmgrdService, "cannot confirm that repmgrd stopped", {},
             status_hint("stopped"));
    }
    if (!poll_for(kStartStopWait, [&] { return kill(*pid, 0) != 0 && errno == ESRCH; }))
        fail(ExitCode::RepmgrdService,
             fmt::format("repmgrd does not appear to have stopped after {} seconds",
                         kStartStopWait),
             fmt::format("repmgrd PID is {}", *pid), status_hint("stopped"));
    ctx.log.notice("repmgrd was successfully stopped");
    return 0;
}

}  // namespace repmgr
