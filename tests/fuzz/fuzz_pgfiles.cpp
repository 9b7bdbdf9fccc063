// libFuzzer target: what we read from PostgreSQL's own files and tools, on
// arbitrary bytes (a damaged file, another version's format):
//  - LSNs: parse_lsn accepts only what format_lsn can write back, and the
//    round trip is exact.
//  - timeline history files: every entry read has a position that formats
//    and parses back to itself, and no more entries than lines.
//  - pg_controldata output: never crashes; the derived answers agree.
//  - backup_label: the WAL file named is one word of the label's line (no
//    line break, no parenthesis) or nothing.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cluster/replication.hpp"
#include "pg/rewind.hpp"
#include "pg/rsync_clone.hpp"
#include "util/lsn.hpp"

using namespace repmgr;

namespace {

[[noreturn]] void broken(const std::string& why, const std::string& input) {
    std::fprintf(stderr, "invariant broken: %s\ninput: [%s]\n", why.c_str(), input.c_str());
    std::abort();
}

void check_lsn(const std::string& s) {
    auto lsn = parse_lsn(s);
    if (!lsn) return;
    std::string text = format_lsn(*lsn);
    auto again = parse_lsn(text);
    if (!again || *again != *lsn) broken("an LSN does not survive format and parse: " + text, s);
}

void check_history(const std::string& s) {
    auto entries = parse_timeline_history(s);
    auto lines = static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')) + 1;
    if (entries.size() > lines) broken("more history entries than lines", s);
    for (const auto& e : entries) {
        auto again = parse_lsn(format_lsn(e.switchpoint));
        if (!again || *again != e.switchpoint) broken("a history switchpoint does not round-trip", s);
    }
}

void check_control_data(const std::string& s) {
    ControlData cd = parse_control_data(s);
    if (cd.shut_down_cleanly() && cd.state != "shut down" && cd.state != "shut down in recovery")
        broken("clean shutdown claimed for state " + cd.state, s);
    if (cd.rewindable() != (cd.wal_log_hints || cd.data_checksums)) broken("rewindable", s);
}

void check_backup_label(const std::string& s) {
    std::string file = start_wal_file_of(s);
    if (file.find_first_of("\n)") != std::string::npos)
        broken("the start WAL file runs past its line: " + file, s);
    if (!file.empty() && s.find("START WAL LOCATION:") == std::string::npos)
        broken("a start WAL file without a START WAL LOCATION line", s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string s(reinterpret_cast<const char*>(data), size);
    check_lsn(s);
    check_history(s);
    check_control_data(s);
    check_backup_label(s);
    return 0;
}
