#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace repmgr {

// The syntax of PostgreSQL's configuration files (postgresql.conf,
// postgresql.auto.conf) as its own lexer (guc-file.l) reads them: one
// `name [=] value [# comment]` per line, the value either a bare word or a
// single-quoted string in which '' and \' are a quote, \\ a backslash, and
// \b \f \n \r \t and \ooo (octal) the usual escapes. Pure, so it is unit-tested
// and fuzzed without a server.

// Quotes a value so that PostgreSQL reads back exactly `value`: doubles ' and
// \, and writes newline and carriage return as \n and \r (a raw line break
// would end the setting). quote_guc_value(x) parsed by parse_guc_value is x.
std::string quote_guc_value(std::string_view value);

// The value that PostgreSQL reads from `text` (what follows `name =`): the
// unescaped content of a quoted string, or a bare word up to white space or
// `#`. nullopt when PostgreSQL would refuse it (an unterminated string).
std::optional<std::string> parse_guc_value(std::string_view text);

struct GucLine {
    std::string name;
    std::string value;
};

// One line of a configuration file: nullopt for blank lines, comments and
// lines PostgreSQL would refuse.
std::optional<GucLine> parse_guc_line(std::string_view line);

}  // namespace repmgr
