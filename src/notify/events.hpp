#pragma once

#include <optional>
#include <string>

#include "config/config.hpp"
#include "db/connection.hpp"
#include "util/log.hpp"

namespace repmgr {

struct EventInfo {
    int node_id = 0;
    std::string event;  // e.g. "standby_register"
    bool successful = true;
    std::string details;
    std::string node_name;
    std::string conninfo;
    std::optional<int> peer_node_id;
};

// Records an event: a repl_events row through `conn` (when given and writable;
// a failure to write it is a warning, never hides the action's own outcome),
// then the event_notification_command filtered by event_notifications.
void record_event(const Config& config, Logger& log, Connection* conn, const EventInfo& event);

// Whether event_notifications lets `event` through (empty list = all).
bool event_selected(const std::string& event_notifications, const std::string& event);

}  // namespace repmgr
