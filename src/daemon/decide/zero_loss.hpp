#pragma once

// Zero data loss (synchronous=on|strict): what the primary's repmgrd does
// with synchronous_standby_names and the recorded set of zero-loss
// candidates, one step per tick. Pure: no I/O, unit-tested from fabricated
// views (tests/unit/zero_loss_test.cpp).
//
// The invariant: the recorded set always contains every standby that may
// have acknowledged a commit. Hence the order of a change of synchronous
// standbys, one step per tick, each seen done by the next observation:
//   1. widen    record := record ∪ new names (before the names change)
//   2. set      synchronous_standby_names := new names (ALTER SYSTEM + reload)
//   3. narrow   record := new names, only once SHOW reports the new names and
//               every new synchronous standby has flushed up to the primary's
//               position read at a tick after the change was seen in effect
//               (so it holds everything the old ones acknowledged).
// A standby is named only when it streams with priority > 0 and has caught
// up (its flush position within kCatchUpBytes of the primary's): naming a
// far-behind standby would stall commits until it catches up.

#include <optional>
#include <string>
#include <vector>

#include "util/lsn.hpp"

namespace repmgr::repmgrd {

enum class SyncMode { Off, On, Strict };

inline constexpr Lsn kCatchUpBytes = 16 * 1024 * 1024;

struct SyncStandby {
    int node_id = 0;
    std::string name;  // its application_name (the node name)
    int priority = 100;
    std::string location = "default";
    bool streaming = false;       // pg_stat_replication state = streaming
    std::optional<Lsn> flush_lsn;
    std::string sync_state;       // pg_stat_replication.sync_state
    // Seconds since its last reply (pg_stat_replication.reply_time): a
    // standby cut off looks "streaming" until wal_sender_timeout.
    std::optional<double> reply_age_s;
};

// A standby behind the primary that has not replied for this long is taken
// for gone (a caught-up one is not: an idle standby replies only every
// wal_receiver_status_interval).
inline constexpr double kReplyStaleSecs = 5.0;

// The primary's view, read by the observer in this order: SHOW, then the
// primary's position, then pg_stat_replication.
struct ZeroLossView {
    std::string current_names;             // SHOW synchronous_standby_names
    std::optional<std::vector<int>> record;  // the recorded candidates; nullopt: none recorded
    std::vector<SyncStandby> standbys;     // registered standbys of this primary
    Lsn primary_lsn = 0;
};

// Kept across ticks: the primary's position read at the first tick that saw
// `names` in effect with a wider record (step 3 waits for it).
struct NarrowMark {
    std::string names;
    Lsn lsn = 0;
};

struct ZeroLossPlan {
    enum class Kind { None, WidenRecord, SetNames, NarrowRecord } kind = Kind::None;
    std::vector<int> record;  // WidenRecord / NarrowRecord: the set to record
    std::string names;        // SetNames: the new synchronous_standby_names
    bool fallback = false;    // SetNames to '' in mode on: commits no longer wait
    std::optional<NarrowMark> mark;  // what to remember for step 3
    std::string reason;       // a sentence (empty when nothing happens)
    bool warn = false;        // worth a WARNING: strict mode waits for a standby
};

ZeroLossPlan plan_zero_loss(SyncMode mode, int count, int primary_id,
                            const std::string& primary_location, const ZeroLossView& view,
                            const std::optional<NarrowMark>& mark);

// synchronous_standby_names for these names: FIRST n ("a", "b").
std::string render_sync_names(int count, const std::vector<std::string>& names);
// The standby names a synchronous_standby_names value lists ("*" lists none).
std::vector<std::string> parse_sync_names(const std::string& value);
std::string id_list(const std::vector<int>& ids);  // "2, 3"

}  // namespace repmgr::repmgrd
