// libFuzzer target: connection strings and event notification commands.
//  - mask_passwords: never fails, is idempotent; on a valid conninfo the
//    masked text is still valid, every "...password" value reads back as the
//    mask and every other value as itself unless a password in it was masked;
//    the masked text is never much longer than the input.
//  - Conninfo: parse -> to_string -> parse gives the same parameters;
//    with_connect_timeout always yields a valid string with a timeout.
//  - shell_quote and expand_placeholders: whatever the value, the command line
//    is plain literal words (checked with a tiny sh word splitter) and the
//    value lands in its word unchanged.
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/conninfo.hpp"
#include "notify/placeholders.hpp"
#include "sh_words.hpp"
#include "util/error.hpp"
#include "util/mask.hpp"
#include "util/process.hpp"

using namespace repmgr;
using repmgr::fuzz::plain_sh_words;

namespace {

[[noreturn]] void broken(const std::string& why, const std::string& input) {
    std::fprintf(stderr, "invariant broken: %s\ninput: [%s]\n", why.c_str(), input.c_str());
    std::abort();
}

bool is_uri(const std::string& s) {
    return s.rfind("postgresql://", 0) == 0 || s.rfind("postgres://", 0) == 0;
}

bool is_password_key(const std::string& key) {
    return key.size() >= 8 && key.compare(key.size() - 8, 8, "password") == 0;
}

// Where "...password =" in `text` is followed by anything but the mask.
std::optional<size_t> unmasked_password_at(const std::string& text) {
    std::string lower = text;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (size_t at = lower.find("password"); at != std::string::npos;
         at = lower.find("password", at + 1)) {
        size_t k = at + 8;
        while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
        if (k >= text.size() || text[k] != '=') continue;
        ++k;
        while (k < text.size() && std::isspace(static_cast<unsigned char>(text[k]))) ++k;
        if (k < text.size() && text[k] == '\'') ++k;
        if (text.compare(k, std::strlen(kMaskedPassword), kMaskedPassword) != 0) return at;
    }
    return std::nullopt;
}

void check_masking(const std::string& s) {
    std::string masked = mask_passwords(s);
    // Re-quoting nested values once grew 1 kB to 58 MB: the growth is bounded.
    if (masked.size() > 16 * s.size() + 64) broken("masking blew the text up", s);
    if (mask_passwords(masked) != masked) broken("masking is not idempotent", s);
    if (s.find('\0') != std::string::npos || Conninfo::validate(s)) return;
    // libpq takes whitespace into a URI's host or dbname, where a reader sees
    // "password=..." as a password: such a URI is masked as free text, so
    // its parameters may change (its password still must not show).
    if (is_uri(s) && s.find_first_of(" \t\n\v\f\r") != std::string::npos) {
        if (auto at = unmasked_password_at(masked))
            broken("a password in a URI with whitespace not masked, at " + std::to_string(*at), s);
        return;
    }
    if (auto bad = Conninfo::validate(masked)) broken("masking broke a valid conninfo: " + *bad, s);
    auto before = Conninfo::parse(s).params();
    auto after = Conninfo::parse(masked).params();
    for (const auto& [key, value] : after) {
        if (is_password_key(key)) {
            if (value != kMaskedPassword) broken("password " + key + " not masked", s);
        } else if (!before.count(key)) {
            broken("masking added " + key, s);
        } else if (value != before.at(key) &&
                   (is_uri(s) || value.find(kMaskedPassword) == std::string::npos)) {
            broken("masking changed " + key + " without masking a password in it", s);
        }
    }
    for (const auto& [key, value] : before)
        if (!after.count(key)) broken("masking removed " + key, s);
}

void check_round_trip(const std::string& s) {
    if (s.find('\0') != std::string::npos || Conninfo::validate(s)) return;
    Conninfo c = Conninfo::parse(s);
    std::string text = c.to_string();
    if (auto bad = Conninfo::validate(text)) broken("to_string is not valid: " + *bad, s);
    if (Conninfo::parse(text).params() != c.params()) broken("to_string changed parameters", s);
    std::string timed = with_connect_timeout(s, 7);
    if (!Conninfo::parse(timed).has("connect_timeout")) broken("no connect_timeout", s);
}

void check_shell(const std::string& value) {
    if (value.find('\0') != std::string::npos) return;  // argv strings cannot hold NUL
    auto words = plain_sh_words(shell_quote(value));
    if (!words || words->size() != 1 || (*words)[0] != value) broken("shell_quote", value);

    struct Case {
        const char* templ;
        std::vector<std::string> expected;
    };
    const std::string& v = value;
    const Case cases[] = {
        {"cmd %d", {"cmd", v}},
        {"cmd '%d'", {"cmd", v}},
        {"cmd \"%d\"", {"cmd", v}},
        {"cmd \"pre %d post\"", {"cmd", "pre " + v + " post"}},
        {"cmd 'a'%d\"b\"", {"cmd", "a" + v + "b"}},
        {"cmd x%dy", {"cmd", "x" + v + "y"}},
        {"cmd '%d %n' %e", {"cmd", v + " 7", "ev"}},
        {"cmd %%d %a", {"cmd", "%d", v}},
        {"cmd \"it's %d\" 'say \"%a\"'", {"cmd", "it's " + v, "say \"" + v + "\""}},
    };
    std::map<char, std::string> values{{'d', v}, {'a', v}, {'n', "7"}, {'e', "ev"}};
    for (const auto& c : cases) {
        std::string line = expand_placeholders(c.templ, values);
        auto got = plain_sh_words(line);
        if (!got) broken(std::string("expansion is not plain words for ") + c.templ + ": " + line, v);
        if (*got != c.expected) broken(std::string("wrong words for ") + c.templ + ": " + line, v);
    }
    (void)split_words(value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string s(reinterpret_cast<const char*>(data), size);
    check_masking(s);
    check_round_trip(s);
    check_shell(s);
    return 0;
}
