// libFuzzer target: the postgresql.auto.conf value syntax (util/guc_value).
//  - quote_guc_value: whatever the value (no NUL: a C string cannot hold one),
//    parse_guc_value reads back exactly that value, and a line
//    `name = <quoted>` reads back as that name and value: a node name or
//    password never changes or breaks the standby's configuration.
//  - parse_guc_value / parse_guc_line on arbitrary text never crash, and what
//    they read survives quoting and reading again.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "util/guc_value.hpp"

using namespace repmgr;

namespace {

[[noreturn]] void broken(const std::string& why, const std::string& input) {
    std::fprintf(stderr, "invariant broken: %s\ninput: [%s]\n", why.c_str(), input.c_str());
    std::abort();
}

void check_round_trip(const std::string& value) {
    if (value.find('\0') != std::string::npos) return;
    std::string quoted = quote_guc_value(value);
    auto back = parse_guc_value(quoted);
    if (!back) broken("a quoted value is refused: " + quoted, value);
    if (*back != value) broken("a quoted value reads back as [" + *back + "]", value);
    if (quoted.find('\n') != std::string::npos || quoted.find('\r') != std::string::npos)
        broken("a quoted value spans lines", value);
    auto line = parse_guc_line("primary_conninfo = " + quoted + "  # set by repmgr");
    if (!line || line->name != "primary_conninfo" || line->value != value)
        broken("a setting line with a quoted value reads back differently", value);
}

void check_reader(const std::string& text) {
    if (auto value = parse_guc_value(text)) check_round_trip(*value);
    if (auto line = parse_guc_line(text)) {
        if (line->name.empty()) broken("a line read with an empty name", text);
        check_round_trip(line->value);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string s(reinterpret_cast<const char*>(data), size);
    check_round_trip(s);
    check_reader(s);
    return 0;
}
