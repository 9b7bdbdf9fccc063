#pragma once

#include <string>

#include "db/connection.hpp"

namespace repmgr {

// Inserts one repl_events row and returns its timestamp as text.
std::string insert_event_row(Connection& conn, int node_id, const std::string& event,
                             bool successful, const std::string& details);

}  // namespace repmgr

#include <optional>
#include <vector>

namespace repmgr {

struct EventRow {
    int node_id = 0;
    std::string node_name;  // empty when the node is no longer registered
    std::string event;
    bool successful = true;
    std::string timestamp;
    std::string details;
};

struct EventFilter {
    std::optional<int> node_id;
    std::optional<std::string> event;
    std::optional<int> limit;  // nullopt = all
};

// Newest first.
std::vector<EventRow> list_events(Connection& conn, const EventFilter& filter);

// Deletes repl_monitor rows older than `keep_days` days; returns how many.
long long prune_monitor_history(Connection& conn, int keep_days);

}  // namespace repmgr
