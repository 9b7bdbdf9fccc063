#include "notify/placeholders.hpp"

#include <vector>

#include "util/process.hpp"

namespace repmgr {
namespace {

enum class Quote { None, Single, Double };

// Where the shell is while it reads the template: the quote it is inside, and
// whether that is inside a command substitution, whose text the shell parses
// afresh ($(...)) or after removing one level of backslashes (`...`).
struct Frame {
    enum class Kind { Top, Paren, Backtick } kind = Kind::Top;
    Quote quote = Quote::None;
    int parens = 0;  // open "(" inside a $( ... ) frame
};

std::string quote_for(Quote context, const std::string& value) {
    switch (context) {
        case Quote::None:
            return shell_quote(value);
        case Quote::Single:
            // Close the template's quote, emit a quoted word, reopen it.
            return "'" + shell_quote(value) + "'";
        case Quote::Double: {
            std::string out;
            for (char ch : value) {
                if (ch == '$' || ch == '`' || ch == '"' || ch == '\\') out += '\\';
                out += ch;
            }
            return out;
        }
    }
    return shell_quote(value);
}

// The shell removes one backslash before \ ` $ inside `...` before parsing
// the command: add one per enclosing backtick level.
std::string escape_for_backticks(const std::string& text) {
    std::string out;
    for (char ch : text) {
        if (ch == '\\' || ch == '`' || ch == '$') out += '\\';
        out += ch;
    }
    return out;
}

std::string quote_in(const std::vector<Frame>& frames, const std::string& value) {
    std::string out = quote_for(frames.back().quote, value);
    for (auto it = frames.rbegin(); it != frames.rend(); ++it)
        if (it->kind == Frame::Kind::Backtick) out = escape_for_backticks(out);
    return out;
}

}  // namespace

std::string expand_placeholders(const std::string& templ, const std::map<char, std::string>& values) {
    std::string out;
    std::vector<Frame> frames{Frame{}};
    for (size_t i = 0; i < templ.size(); ++i) {
        char ch = templ[i];
        Frame& f = frames.back();
        if (ch == '%' && i + 1 < templ.size()) {
            char key = templ[i + 1];
            if (key == '%') {
                out += '%';
                ++i;
                continue;
            }
            if (auto it = values.find(key); it != values.end()) {
                out += quote_in(frames, it->second);
                ++i;
                continue;
            }
        }
        if (ch == '\\' && f.quote != Quote::Single && i + 1 < templ.size()) {
            out += ch;
            out += templ[++i];
            continue;
        }
        out += ch;
        if (f.quote == Quote::Single) {
            if (ch == '\'') f.quote = Quote::None;
            continue;
        }
        if (ch == '$' && i + 1 < templ.size() && templ[i + 1] == '(') {
            out += templ[++i];
            frames.push_back(Frame{Frame::Kind::Paren});
            continue;
        }
        if (ch == '`') {
            if (f.kind == Frame::Kind::Backtick && f.quote == Quote::None)
                frames.pop_back();
            else
                frames.push_back(Frame{Frame::Kind::Backtick});
            continue;
        }
        if (f.quote == Quote::Double) {
            if (ch == '"') f.quote = Quote::None;
            continue;
        }
        if (ch == '\'') {
            f.quote = Quote::Single;
        } else if (ch == '"') {
            f.quote = Quote::Double;
        } else if (f.kind == Frame::Kind::Paren && ch == '(') {
            ++f.parens;
        } else if (f.kind == Frame::Kind::Paren && ch == ')') {
            if (f.parens == 0)
                frames.pop_back();
            else
                --f.parens;
        }
    }
    return out;
}

}  // namespace repmgr
