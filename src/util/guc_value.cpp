#include "util/guc_value.hpp"

namespace repmgr {
namespace {

bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v'; }

std::string_view skip_space(std::string_view s) {
    size_t i = 0;
    while (i < s.size() && is_space(s[i])) ++i;
    return s.substr(i);
}

bool is_octal(char ch) { return ch >= '0' && ch <= '7'; }

// guc-file.l's DeescapeQuotedString, applied to the text between the quotes.
char escaped(std::string_view s, size_t& i) {
    char ch = s[i];
    switch (ch) {
        case 'b': return '\b';
        case 'f': return '\f';
        case 'n': return '\n';
        case 'r': return '\r';
        case 't': return '\t';
        default: break;
    }
    if (!is_octal(ch)) return ch;
    int octal = 0;
    size_t k = 0;
    for (; k < 3 && i + k < s.size() && is_octal(s[i + k]); ++k) octal = octal * 8 + (s[i + k] - '0');
    i += k - 1;
    return static_cast<char>(octal);
}

}  // namespace

std::string quote_guc_value(std::string_view value) {
    std::string out = "'";
    for (char ch : value) {
        if (ch == '\n') {
            out += "\\n";
        } else if (ch == '\r') {
            out += "\\r";
        } else {
            // '' rather than \' for a quote: what ALTER SYSTEM writes, and
            // what older readers of the file (also ours) understood.
            if (ch == '\'' || ch == '\\') out += ch;
            out += ch;
        }
    }
    return out + "'";
}

std::optional<std::string> parse_guc_value(std::string_view text) {
    text = skip_space(text);
    if (text.empty() || text[0] != '\'') {
        size_t end = 0;
        while (end < text.size() && !is_space(text[end]) && text[end] != '#' && text[end] != '\n') ++end;
        return std::string(text.substr(0, end));
    }
    std::string out;
    for (size_t i = 1; i < text.size(); ++i) {
        char ch = text[i];
        if (ch == '\n') return std::nullopt;  // the lexer's strings never span lines
        if (ch == '\\') {
            if (++i >= text.size() || text[i] == '\n') return std::nullopt;
            out += escaped(text, i);
        } else if (ch == '\'') {
            if (i + 1 < text.size() && text[i + 1] == '\'') {
                out += '\'';
                ++i;
            } else {
                return out;
            }
        } else {
            out += ch;
        }
    }
    return std::nullopt;  // no closing quote
}

std::optional<GucLine> parse_guc_line(std::string_view line) {
    line = skip_space(line);
    size_t end = 0;
    while (end < line.size() && !is_space(line[end]) && line[end] != '=' && line[end] != '#') ++end;
    if (end == 0) return std::nullopt;
    GucLine out{std::string(line.substr(0, end)), {}};
    std::string_view rest = skip_space(line.substr(end));
    if (!rest.empty() && rest[0] == '=') rest = rest.substr(1);
    auto value = parse_guc_value(rest);
    if (!value) return std::nullopt;
    out.value = std::move(*value);
    return out;
}

}  // namespace repmgr
