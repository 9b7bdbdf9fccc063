#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.hpp"
#include "util/lsn.hpp"

namespace repmgr {

// SQL (and replication-protocol commands) on server state: WAL positions,
// timelines, pg_stat_replication, pg_stat_wal_receiver. Metadata SQL lives in
// nodes.cpp; this file only reads what the servers themselves say.

// Where a server's WAL ends, on which timeline.
struct WalPosition {
    int timeline = 0;
    Lsn lsn = 0;
};

// One line of a timeline history file: `timeline` ended at `switchpoint`.
struct TimelineSwitch {
    int timeline = 0;
    Lsn switchpoint = 0;
};

// IDENTIFY_SYSTEM over a replication connection to `conninfo`: on a primary the
// flushed WAL end, on a standby its replay timeline and flushed position.
WalPosition identify_system(const std::string& conninfo);

// The same for a running standby over plain SQL (when replication connections
// to it are not allowed): the later of received and replayed WAL, on the
// timeline it receives (or its last restartpoint's when not streaming).
WalPosition standby_position(Connection& standby);

// How far a standby's replay trails: the time of the last replayed
// transaction, and the seconds since then (0 when everything received is
// replayed; nullopt when nothing was replayed yet). Not clamped: a negative
// value means the clocks differ.
struct ReplayDelay {
    std::optional<std::string> last_replay_time;  // pg_last_xact_replay_timestamp(), as text
    std::optional<double> lag_seconds;
};
ReplayDelay replay_delay(Connection& standby);

// TIMELINE_HISTORY of `timeline` on the server at `conninfo` (empty for 1).
std::vector<TimelineSwitch> timeline_history(const std::string& conninfo, int timeline);

// Parses the text of a .history file.
std::vector<TimelineSwitch> parse_timeline_history(std::string_view text);

enum class FollowVerdict {
    Compatible,  // the node can stream from the upstream as it is
    Diverged,    // the node has WAL the upstream's history does not contain
};

struct FollowCheck {
    FollowVerdict verdict = FollowVerdict::Compatible;
    std::string reason;  // a sentence for DETAIL
};

// Pure decision: can a node whose WAL ends at `local` stream from an upstream
// at `upstream` whose timeline history is `history`?
FollowCheck check_can_follow(const WalPosition& local, const WalPosition& upstream,
                             const std::vector<TimelineSwitch>& history);

// Same, fetching the upstream's position and history over replication connections.
FollowCheck check_can_follow(const WalPosition& local, const std::string& upstream_conninfo);

// Whether a walsender on `upstream` streams to a standby with this application_name.
bool is_streaming_to(Connection& upstream, const std::string& application_name);
// Polls is_streaming_to() for up to `timeout_s` seconds.
bool wait_streaming_to(Connection& upstream, const std::string& application_name, int timeout_s);

// pg_current_wal_flush_lsn() on a primary.
Lsn current_flush_lsn(Connection& primary);

// What a standby has received and replayed.
struct ReplayState {
    Lsn receive = 0;
    Lsn replay = 0;
    bool paused = false;
};
ReplayState replay_state(Connection& standby);

// Polls until the standby has replayed past `target` (strictly beyond: the
// record starting at `target` has been applied). False on timeout.
bool wait_replayed_past(Connection& standby, Lsn target, int timeout_s);
// Polls until the standby has replayed at least up to `target`.
bool wait_replayed_to(Connection& standby, Lsn target, int timeout_s);

// Polls pg_is_in_recovery() until false. False on timeout.
bool wait_until_writable(Connection& conn, int timeout_s);

// pg_promote(wait => true): promotes the standby and waits up to
// `wait_seconds` for it to finish. False when it did not finish in time.
bool promote_standby(Connection& standby, int wait_seconds);

// SHOW data_directory.
std::string server_data_directory(Connection& conn);

// CHECKPOINT (so that pg_rewind and pg_controldata see the current timeline).
void run_checkpoint(Connection& conn);

// Whether this session may run CHECKPOINT: a superuser, or (PostgreSQL 15)
// a member of pg_checkpoint.
bool can_checkpoint(Connection& conn);

}  // namespace repmgr
