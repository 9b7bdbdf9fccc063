#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "db/connection.hpp"
#include "util/log.hpp"
#include "util/process.hpp"

namespace repmgr {

enum class StopMode { Smart, Fast, Immediate };

// Seconds a pg_ctl command line may run: the wait it was given (its last
// -t; twice for restart, which waits for the stop and then the start) plus
// `margin` (pg_ctl_timeout) for what pg_ctl does outside that wait.
int pg_ctl_deadline(const std::vector<std::string>& argv, int margin);

// The actions of "repmgr node service --action=..." (repmgr 5's names).
enum class ServiceAction { Start, Stop, Restart, Reload, Promote };
constexpr ServiceAction kServiceActions[] = {ServiceAction::Start, ServiceAction::Stop,
                                             ServiceAction::Restart, ServiceAction::Reload,
                                             ServiceAction::Promote};
std::string_view service_action_name(ServiceAction action);
// Case-insensitive, as repmgr 5 reads --action; nullopt for anything else.
std::optional<ServiceAction> parse_service_action(std::string_view text);

// Starts, stops, restarts, reloads and promotes the local PostgreSQL server:
// through the configured service_*_command when set, else pg_ctl from
// pg_bindir. Failures throw Failure(ERR_NO_RESTART / ERR_PROMOTED ...) with
// the command's own output as DETAIL.
class ServerControl {
public:
    ServerControl(const Config& config, Logger& log, std::string data_directory);

    void start();
    void stop(StopMode mode = StopMode::Fast);
    void restart();
    void reload();
    // pg_promote(wait => true) through `conn`, or service_promote_command.
    void promote(Connection& conn);
    // pg_ctl status: true while a postmaster runs on the data directory.
    bool is_running() const;

    // The command line `run(action)` executes: service_<action>_command when
    // set, else pg_ctl (promote: "pg_ctl promote", which waits).
    std::string command_line(ServiceAction action) const;
    // Whether the action runs pg_ctl, which needs the data directory.
    bool uses_pg_ctl(ServiceAction action) const;
    // Runs the action's command; throws Failure(`code`) with its output.
    void run(ServiceAction action, ExitCode code);
    const std::string& data_directory() const { return data_directory_; }

private:
    std::vector<std::string> pg_ctl(const std::string& action) const;
    std::vector<std::string> action_argv(ServiceAction action) const;
    const std::string& service_command(ServiceAction action) const;
    // pg_ctl start/restart without -l in pg_ctl_options log to <datadir>/log.
    void make_log_directory() const;
    // pg_ctl with its deadline (pg_ctl_deadline); a timeout throws Failure(`code`).
    ProcessResult run_pg_ctl(const std::vector<std::string>& argv, ExitCode code) const;
    void run_or_fail(const std::vector<std::string>& argv, const std::string& service_command,
                     const std::string& what, ExitCode code);

    const Config& config_;
    Logger& log_;
    std::string data_directory_;
};

}  // namespace repmgr
