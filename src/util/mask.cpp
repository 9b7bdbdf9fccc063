#include "util/mask.hpp"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "util/conninfo_syntax.hpp"

namespace repmgr {
namespace {

bool ident_char(char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; }
// libpq splits conninfo on isspace() in the C locale.
bool space_char(char ch) { return ch == ' ' || (ch >= '\t' && ch <= '\r'); }

bool is_password_key(std::string_view key) {
    constexpr std::string_view kSuffix = "password";
    if (key.size() < kSuffix.size()) return false;
    return strncasecmp(key.data() + key.size() - kSuffix.size(), kSuffix.data(), kSuffix.size()) == 0;
}

// Free text (a log line, an event detail, an error): every "<...>password ="
// and every URI "scheme://user:password@" has its value replaced. It errs on
// the side of masking too much: the text is for people, not for libpq.
std::string mask_free_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        char ch = text[i];
        if (ident_char(ch) && (i == 0 || !ident_char(text[i - 1]))) {
            size_t j = i;
            while (j < text.size() && ident_char(text[j])) ++j;
            size_t k = j;
            while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
            if (!is_password_key(text.substr(i, j - i)) || k >= text.size() || text[k] != '=') {
                out.append(text.substr(i, j - i));
                i = j;
                continue;
            }
            ++k;
            while (k < text.size() && space_char(text[k])) ++k;
            out.append(text.substr(i, k - i));
            // An empty value is masked too, as libpq reads it as a password.
            if (k >= text.size()) return out + kMaskedPassword;
            if (text[k] == '\'') {
                size_t e = k + 1;
                while (e < text.size() && text[e] != '\'') e += text[e] == '\\' ? 2 : 1;
                out += '\'';
                out += kMaskedPassword;
                if (e < text.size()) out += '\'';
                i = e + 1;
                continue;
            }
            // A bare value; in a URI query ("?password=x&...") it ends at '&'.
            bool in_query = i > 0 && (text[i - 1] == '?' || text[i - 1] == '&');
            size_t e = k;
            while (e < text.size() && !space_char(text[e]) &&
                   !(in_query && (text[e] == '&' || text[e] == '#')))
                e += (!in_query && text[e] == '\\' && e + 1 < text.size()) ? 2 : 1;
            e = std::min(e, text.size());
            out += kMaskedPassword;
            if (text[e - 1] == '"') out += '"';
            i = e;
            continue;
        }
        if (ch == ':' && text.substr(i, 3) == "://") {
            size_t a = i + 3;
            size_t e = a;
            while (e < text.size() && !space_char(text[e]) &&
                   std::strchr("/?#\"'<>", text[e]) == nullptr)
                ++e;
            std::string_view authority = text.substr(a, e - a);
            size_t at = authority.find('@');
            size_t colon = authority.substr(0, at).find(':');
            if (at != std::string_view::npos && colon != std::string_view::npos && colon + 1 < at) {
                out.append(text.substr(i, 3 + colon + 1));
                out += kMaskedPassword;
                i = a + at;
                continue;
            }
            out.append("://");
            i = a;
            continue;
        }
        out += ch;
        ++i;
    }
    return out;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// A valid URI conninfo: the userinfo password and "...password" query values,
// found the way libpq finds them (the first '@' before any '/').
std::string mask_uri(std::string_view text, size_t prefix_len) {
    std::string out;
    size_t rest = prefix_len;
    size_t stop = text.find_first_of("@/", prefix_len);
    if (stop != std::string_view::npos && text[stop] == '@') {
        size_t colon = text.find(':', prefix_len);
        if (colon < stop) {
            out.append(text.substr(0, colon + 1));
            out += kMaskedPassword;
        } else {
            out.append(text.substr(0, stop));
        }
        rest = stop;
    } else {
        out.append(text.substr(0, prefix_len));
    }
    size_t q = text.find('?', rest);
    out.append(text.substr(rest, q == std::string_view::npos ? q : q + 1 - rest));
    if (q == std::string_view::npos) return out;
    std::string_view query = text.substr(q + 1);
    size_t pos = 0;
    while (true) {
        size_t amp = query.find('&', pos);
        std::string_view pair = query.substr(pos, amp == std::string_view::npos ? amp : amp - pos);
        size_t eq = pair.find('=');
        if (eq != std::string_view::npos && is_password_key(percent_decode(pair.substr(0, eq)))) {
            out.append(pair.substr(0, eq + 1));
            out += kMaskedPassword;
        } else {
            out.append(pair);
        }
        if (amp == std::string_view::npos) break;
        out += '&';
        pos = amp + 1;
    }
    return out;
}

std::string mask_at_depth(std::string_view text, int depth);

// A valid key=value conninfo, tokenized exactly as libpq's conninfo_parse()
// does: "...password" values become the mask, other values are masked too (a
// dbname may itself be a connection string). Only one level deep as a
// conninfo, then as free text: each level re-quotes, and re-quoting nested
// values at every level grew a 1 kB input to 58 MB (fuzz finding).
std::string mask_key_values(std::string_view text, int depth) {
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        size_t k = i;
        while (k < text.size() && space_char(text[k])) ++k;
        size_t key_start = k;
        while (k < text.size() && text[k] != '=' && !space_char(text[k])) ++k;
        std::string_view key = text.substr(key_start, k - key_start);
        while (k < text.size() && space_char(text[k])) ++k;
        if (k >= text.size()) {  // validated text never ends in a key; copy defensively
            out.append(text.substr(i));
            return out;
        }
        ++k;  // '='
        while (k < text.size() && space_char(text[k])) ++k;
        out.append(text.substr(i, k - i));
        bool quoted = k < text.size() && text[k] == '\'';
        std::string value;
        size_t e = k + (quoted ? 1 : 0);
        while (e < text.size()) {
            char ch = text[e];
            if (!quoted && space_char(ch)) break;
            if (ch == '\\') {
                if (e + 1 < text.size()) value += text[e + 1];
                e += 2;
                continue;
            }
            if (quoted && ch == '\'') {
                ++e;
                break;
            }
            value += ch;
            ++e;
        }
        e = std::min(e, text.size());
        if (is_password_key(key)) {
            out += quoted ? std::string("'") + kMaskedPassword + "'" : std::string(kMaskedPassword);
        } else if (std::string masked = depth < 1 ? mask_at_depth(value, depth + 1)
                                                  : mask_free_text(value);
                   masked != value) {
            // A quoted value may touch the next key ("a='x'b=y"): keep it quoted.
            std::string requoted = quote_conninfo_value(masked);
            out += (quoted && requoted.front() != '\'') ? "'" + requoted + "'" : requoted;
        } else {
            out.append(text.substr(k, e - k));
        }
        i = e;
    }
    return out;
}

size_t uri_prefix_length(std::string_view text) {
    for (std::string_view prefix : {"postgresql://", "postgres://"})
        if (text.substr(0, prefix.size()) == prefix) return prefix.size();
    return 0;
}

}  // namespace

namespace {

// libpq takes whitespace into a URI's host or dbname ("postgresql://h
// password=x" is host "h password=x"), but a reader sees a password there, and
// a real URI spells a space %20: such a text is masked as free text.
bool valid_conninfo(const std::string& s) {
    if (uri_prefix_length(s) && std::any_of(s.begin(), s.end(), space_char)) return false;
    return s.find('\0') == std::string::npos && !conninfo_syntax_error(s);
}

std::string mask_valid_conninfo(const std::string& s, int depth) {
    if (size_t n = uri_prefix_length(s)) return mask_uri(s, n);
    return mask_key_values(s, depth);
}

std::string mask_at_depth(std::string_view text, int depth) {
    std::string s(text);
    if (valid_conninfo(s)) return mask_valid_conninfo(s, depth);
    // Masking free text can leave a valid conninfo behind (a NUL byte gone with
    // a password): mask that as a conninfo too, so masking twice changes nothing.
    std::string masked = mask_free_text(text);
    return valid_conninfo(masked) ? mask_valid_conninfo(masked, depth) : masked;
}

}  // namespace

std::string mask_passwords(std::string_view text) { return mask_at_depth(text, 0); }

bool contains_password(std::string_view text) { return mask_passwords(text) != text; }

}  // namespace repmgr
