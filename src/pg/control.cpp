#include "pg/control.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "cluster/replication.hpp"
#include "util/process.hpp"

namespace repmgr {

ServerControl::ServerControl(const Config& config, Logger& log, std::string data_directory)
    : config_(config), log_(log), data_directory_(std::move(data_directory)) {}

std::vector<std::string> ServerControl::pg_ctl(const std::string& action) const {
    std::string bin = config_.pg_bindir.empty() ? "pg_ctl" : config_.pg_bindir + "/pg_ctl";
    std::vector<std::string> argv{bin, "-D", data_directory_};
    std::vector<std::string> extra = split_words(config_.pg_ctl_options);
    bool has_log = false;
    for (const auto& w : extra)
        if (w == "-l" || w.rfind("--log", 0) == 0) has_log = true;
    if (action == "start" || action == "restart") {
        argv.push_back("-w");
        argv.push_back("-t");
        argv.push_back(std::to_string(config_.standby_reconnect_timeout));
        // Without -l the postmaster would keep our stdout open for its whole life.
        if (!has_log) {
            argv.push_back("-l");
            argv.push_back(data_directory_ + "/log/startup.log");
        }
    }
    if (action == "stop") {
        argv.push_back("-w");
        argv.push_back("-t");
        argv.push_back(std::to_string(config_.shutdown_check_timeout));
    }
    if (action == "promote") {
        argv.push_back("-w");
        argv.push_back("-t");
        argv.push_back(std::to_string(config_.promote_check_timeout));
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(action);
    return argv;
}

void ServerControl::run_or_fail(const std::vector<std::string>& argv,
                                const std::string& service_command, const std::string& what,
                                ExitCode code) {
    ProcessResult r;
    if (!service_command.empty()) {
        log_.info("{}: running \"{}\"", what, service_command);
        r = run_shell(service_command, true, config_.command_timeout);
        if (r.timed_out)
            fail(code,
                 fmt::format("the service command to {} PostgreSQL did not finish within {} "
                             "seconds and was killed",
                             what, config_.command_timeout),
                 service_command,
                 "run the command by hand to see where it hangs; raise command_timeout in "
                 "repmgr.conf if it needs longer");
    } else {
        std::string shown;
        for (const auto& a : argv) shown += (shown.empty() ? "" : " ") + a;
        log_.info("{}: running \"{}\"", what, shown);
        r = run_pg_ctl(argv, code);
    }
    if (r.exit_status != 0)
        fail(code, fmt::format("unable to {} PostgreSQL in \"{}\"", what, data_directory_),
             r.output.empty() ? describe_exit(r) : r.output,
             "check the server log, then retry");
}

void ServerControl::make_log_directory() const {
    std::string dir = data_directory_ + "/log";
    mkdir(dir.c_str(), 0700);
}

void ServerControl::start() {
    if (config_.service_start_command.empty()) make_log_directory();
    std::vector<std::string> argv = pg_ctl("start");
    run_or_fail(argv, config_.service_start_command, "start", ExitCode::NoRestart);
}

void ServerControl::stop(StopMode mode) {
    std::vector<std::string> argv = pg_ctl("stop");
    const char* m = mode == StopMode::Smart ? "smart" : mode == StopMode::Fast ? "fast" : "immediate";
    argv.insert(argv.end() - 1, {"-m", m});
    run_or_fail(argv, config_.service_stop_command, "stop", ExitCode::NoRestart);
}

void ServerControl::restart() {
    if (config_.service_restart_command.empty()) make_log_directory();
    run_or_fail(action_argv(ServiceAction::Restart), config_.service_restart_command, "restart",
                ExitCode::NoRestart);
}

void ServerControl::reload() {
    run_or_fail(pg_ctl("reload"), config_.service_reload_command, "reload", ExitCode::NoRestart);
}

std::string_view service_action_name(ServiceAction action) {
    switch (action) {
        case ServiceAction::Start: return "start";
        case ServiceAction::Stop: return "stop";
        case ServiceAction::Restart: return "restart";
        case ServiceAction::Reload: return "reload";
        case ServiceAction::Promote: return "promote";
    }
    return "start";
}

std::optional<ServiceAction> parse_service_action(std::string_view text) {
    for (ServiceAction a : kServiceActions) {
        std::string_view name = service_action_name(a);
        if (name.size() == text.size() &&
            std::equal(name.begin(), name.end(), text.begin(),
                       [](char x, char y) { return x == std::tolower(static_cast<unsigned char>(y)); }))
            return a;
    }
    return std::nullopt;
}

const std::string& ServerControl::service_command(ServiceAction action) const {
    switch (action) {
        case ServiceAction::Start: return config_.service_start_command;
        case ServiceAction::Stop: return config_.service_stop_command;
        case ServiceAction::Restart: return config_.service_restart_command;
        case ServiceAction::Reload: return config_.service_reload_command;
        case ServiceAction::Promote: return config_.service_promote_command;
    }
    return config_.service_start_command;
}

std::vector<std::string> ServerControl::action_argv(ServiceAction action) const {
    std::vector<std::string> argv = pg_ctl(std::string(service_action_name(action)));
    if (action == ServiceAction::Stop || action == ServiceAction::Restart)
        argv.insert(argv.end() - 1, {"-m", "fast"});
    return argv;
}

bool ServerControl::uses_pg_ctl(ServiceAction action) const {
    return service_command(action).empty();
}

std::string ServerControl::command_line(ServiceAction action) const {
    if (!uses_pg_ctl(action)) return service_command(action);
    return shown_command(action_argv(action));
}

void ServerControl::run(ServiceAction action, ExitCode code) {
    bool starts = action == ServiceAction::Start || action == ServiceAction::Restart;
    if (starts && uses_pg_ctl(action)) make_log_directory();
    run_or_fail(action_argv(action), service_command(action),
                std::string(service_action_name(action)), code);
}

void ServerControl::promote(Connection& conn) {
    if (!config_.service_promote_command.empty()) {
        run_or_fail({}, config_.service_promote_command, "promote", ExitCode::Promoted);
        return;
    }
    if (!promote_standby(conn, config_.promote_check_timeout))
        fail(ExitCode::Promoted,
             fmt::format("promotion did not complete within {} seconds", config_.promote_check_timeout),
             {}, "check the server log; the server may still finish promoting");
}

bool ServerControl::is_running() const {
    return run_pg_ctl(pg_ctl("status"), ExitCode::LocalCommand).exit_status == 0;
}

int pg_ctl_deadline(const std::vector<std::string>& argv, int margin) {
    // pg_ctl takes the last -t, and ours come before pg_ctl_options.
    int wait = 0;
    for (size_t i = 0; i < argv.size(); ++i) {
        std::string_view value;
        if ((argv[i] == "-t" || argv[i] == "--timeout") && i + 1 < argv.size())
            value = argv[i + 1];
        else if (argv[i].starts_with("--timeout="))
            value = std::string_view(argv[i]).substr(10);
        else
            continue;
        int parsed = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
        if (ec == std::errc() && end == value.data() + value.size() && parsed >= 0) wait = parsed;
    }
    // restart waits up to -t for the stop and again for the start.
    int phases = !argv.empty() && argv.back() == "restart" ? 2 : 1;
    long long total = static_cast<long long>(wait) * phases + margin;
    return static_cast<int>(std::min<long long>(total, 2147483647));
}

ProcessResult ServerControl::run_pg_ctl(const std::vector<std::string>& argv,
                                        ExitCode code) const {
    ProcessResult r = run_process(
        argv, RunOptions{.capture = true,
                         .timeout_secs = pg_ctl_deadline(argv, config_.pg_ctl_timeout),
                         .timeout_setting = "pg_ctl_timeout"});
    const std::string& action = argv.back();
    std::string state = action == "status" || action == "reload"
                            ? fmt::format("nothing is known of PostgreSQL in \"{}\" from it",
                                          data_directory_)
                            : fmt::format("pg_ctl was ended, not the server: PostgreSQL in \"{}\" "
                                          "may still be in the middle of its {} (check it with "
                                          "\"pg_ctl status\" and its log before retrying)",
                                          data_directory_, action);
    fail_if_timed_out(r, code, fmt::format("\"pg_ctl {}\"", action), state);
    return r;
}

}  // namespace repmgr
