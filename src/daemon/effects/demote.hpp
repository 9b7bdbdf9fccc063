#pragma once

// Demotion of a fenced primary (docs/failover.md, "A fence that holds"):
// shared by repmgrd's effects and by the guard process, which must do exactly
// the same when repmgrd is gone.

#include <optional>
#include <string>

#include "config/config.hpp"
#include "util/log.hpp"

namespace repmgr::repmgrd {

// <data directory>/repmgr_fence_demoted: this server was a primary on
// `timeline` and was restarted as a standby by its fence. Its presence is
// what tells a (restarted) repmgrd that the node may come back.
inline constexpr const char* kFenceMarker = "repmgr_fence_demoted";
void write_fence_marker(const std::string& data_directory, int timeline);
// The timeline in the marker (0 when unreadable); nullopt without a marker.
std::optional<int> read_fence_marker(const std::string& data_directory);
void remove_fence_marker(const std::string& data_directory);

// Restarts the local server as a standby without upstream: the marker
// first, an immediate stop (a fast stop of a primary waits for its cut-off
// standbys to confirm the shutdown checkpoint, up to wal_sender_timeout),
// standby.signal with an empty primary_conninfo, start. Recovery then
// refuses every write, whatever a session sets. False with `why` on failure.
// SIGQUIT (immediate shutdown) to the postmaster of `data_directory` and to
// each of its children directly: on a frozen server, a backend that runs
// again before the postmaster passes the signal on must not commit first.
// Returns the number of processes signalled.
int queue_immediate_stop(const std::string& data_directory);

bool demote_local_server(const Config& config, Logger& log, const std::string& data_directory,
                         int timeline, std::string& why);

}  // namespace repmgr::repmgrd
