#include "daemon/effects/demote.hpp"

#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "pg/control.hpp"
#include "util/error.hpp"
#include "pg/standby_config.hpp"

namespace repmgr::repmgrd {
namespace {

std::string marker_path(const std::string& data_directory) {
    return data_directory + "/" + kFenceMarker;
}

}  // namespace

void write_fence_marker(const std::string& data_directory, int timeline) {
    std::string path = marker_path(data_directory);
    std::ofstream out(path, std::ios::trunc);
    out << "timeline=" << timeline << "\n";
    out.flush();
    if (!out) fail(ExitCode::BadConfig, fmt::format("unable to write \"{}\"", path));
}

std::optional<int> read_fence_marker(const std::string& data_directory) {
    std::ifstream in(marker_path(data_directory));
    if (!in) return std::nullopt;
    std::string line;
    int timeline = 0;
    while (std::getline(in, line))
        if (line.rfind("timeline=", 0) == 0) {
            try {
                timeline = std::stoi(line.substr(9));
            } catch (const std::exception&) {
                timeline = 0;
            }
        }
    return timeline;
}

void remove_fence_marker(const std::string& data_directory) {
    std::remove(marker_path(data_directory).c_str());
}

int queue_immediate_stop(const std::string& data_directory) {
    std::ifstream pidfile(data_directory + "/postmaster.pid");
    long postmaster = 0;
    if (!(pidfile >> postmaster) || postmaster <= 1) return 0;
    int n = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        if (!std::getline(stat, line)) continue;
        // pid (comm) state ppid ...: comm may hold spaces, so after the last ')'.
        auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 1));
        std::string state;
        long ppid = 0;
        rest >> state >> ppid;
        if (ppid == postmaster && kill(static_cast<pid_t>(std::stol(name)), SIGQUIT) == 0) ++n;
    }
    if (kill(static_cast<pid_t>(postmaster), SIGQUIT) == 0) ++n;
    return n;
}

bool demote_local_server(const Config& config, Logger& log, const std::string& data_directory,
                         int timeline, std::string& why) {
    try {
        // The marker first: a demotion cut short still reads as one.
        write_fence_marker(data_directory, timeline);
        ServerControl server(config, log, data_directory);
        server.stop(StopMode::Immediate);
        // No upstream: the node does not know (or cannot reach) the new
        // primary. Rejoining points it at one later.
        write_standby_settings(data_directory, StandbySettings{});
        server.start();
        return true;
    } catch (const Failure& f) {
        why = f.detail().empty() ? std::string(f.what()) : fmt::format("{}: {}", f.what(), f.detail());
        return false;
    }
}

}  // namespace repmgr::repmgrd
