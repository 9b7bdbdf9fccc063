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

// One event_notification_command to run, placeholders already expanded.
struct Notification {
    std::string event;
    std::string command;
    int timeout_secs = 0;  // event_notification_timeout
};

// Where notifications go when they must not run in the caller's thread
// (repmgrd: a queue with its own worker, see notify/queue.hpp).
class NotificationSink {
public:
    virtual ~NotificationSink() = default;
    virtual void submit(Notification n) = 0;
};

// Records an event: a repl_events row through `conn` (when given and writable;
// a failure to write it is a warning, never hides the action's own outcome),
// then the event_notification_command filtered by event_notifications: handed
// to `sink` when given, else run here (with its deadline) before returning.
void record_event(const Config& config, Logger& log, Connection* conn, const EventInfo& event,
                  NotificationSink* sink = nullptr);

// Runs one notification with its deadline; a failure or timeout is a warning.
void run_notification(const Notification& n, Logger& log);

// Whether event_notifications lets `event` through (empty list = all).
bool event_selected(const std::string& event_notifications, const std::string& event);

}  // namespace repmgr
