#pragma once

#include <string>

#include "config/config.hpp"
#include "db/connection.hpp"
#include "util/log.hpp"

namespace repmgr {

enum class StopMode { Smart, Fast, Immediate };

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
    const std::string& data_directory() const { return data_directory_; }

private:
    std::vector<std::string> pg_ctl(const std::string& action) const;
    void run_or_fail(const std::vector<std::string>& argv, const std::string& service_command,
                     const std::string& what, ExitCode code);

    const Config& config_;
    Logger& log_;
    std::string data_directory_;
};

}  // namespace repmgr
