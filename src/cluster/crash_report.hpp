#pragma once

// The crash report of a primary's repmgrd (docs/failover.md, "A crash the
// primary's repmgrd sees"): written on the witness when the local postmaster
// is gone, read there by the standbys whose upstream fails. The SQL expects
// the search_path on the cluster schema.

#include <optional>

#include "db/connection.hpp"

namespace repmgr {

// The notification channel a report is announced on, so that a standby
// waiting between reconnect attempts wakes up at once.
inline constexpr const char* kCrashReportChannel = "repmgr_crash_report";

struct CrashReportRow {
    int node_id = 0;           // the node whose server crashed
    int timeline = 0;          // the timeline it was primary on
    int reporter_node_id = 0;  // the repmgrd that wrote it
    long long age_ms = 0;      // how long ago it was written, by the witness's clock
};

// Records (or refreshes) the crash report of `node_id` and notifies the
// listeners. Throws DbError, e.g. undefined_table on a witness schema older
// than version 6.
void write_crash_report(Connection& witness, int node_id, int timeline, int reporter_node_id);
// The newest report of any node; nullopt when there is none (or the witness
// schema predates version 6: nothing can have been reported there).
std::optional<CrashReportRow> read_newest_crash_report(Connection& witness);
// LISTEN on kCrashReportChannel (a no-op when already listening).
void listen_for_crash_reports(Connection& witness);

}  // namespace repmgr
