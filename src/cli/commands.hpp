#pragma once

#include <span>
#include <string_view>

#include "actions/context.hpp"

namespace repmgr {

// One row per "repmgr <group> <verb>": the dispatch table and the --help text.
struct CommandSpec {
    std::string_view group;
    std::string_view verb;
    std::string_view summary;
    std::string_view synopsis;  // options particular to this command
    int (*run)(Context&);
};

std::span<const CommandSpec> command_table();

// "5.3.3" -> 50303, as repmgr 5's --version-number prints its version.
int version_as_number(std::string_view version);

// Parses argv into options. Returns an exit code when parsing already ended
// the program (--help, --version, a usage error), nullopt to go on.
std::optional<int> parse_command_line(int argc, char** argv, Options& opts);

}  // namespace repmgr
