#include "daemon/effects/demote.hpp"

#include <cstdio>
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
