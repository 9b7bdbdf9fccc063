#include "notify/placeholders.hpp"

#include "util/process.hpp"

namespace repmgr {
namespace {

enum class Quote { None, Single, Double };

std::string quote_for(Quote context, const std::string& value) {
    switch (context) {
        case Quote::None:
            return shell_quote(value);
        case Quote::Single: {
            // Close the template's quote, emit a quoted word, reopen it.
            return "'" + shell_quote(value) + "'";
        }
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

}  // namespace

std::string expand_placeholders(const std::string& templ, const std::map<char, std::string>& values) {
    std::string out;
    Quote context = Quote::None;
    for (size_t i = 0; i < templ.size(); ++i) {
        char ch = templ[i];
        if (ch == '%' && i + 1 < templ.size()) {
            char key = templ[i + 1];
            if (key == '%') {
                out += '%';
                ++i;
                continue;
            }
            if (auto it = values.find(key); it != values.end()) {
                out += quote_for(context, it->second);
                ++i;
                continue;
            }
        }
        if (ch == '\\' && context != Quote::Single && i + 1 < templ.size()) {
            out += ch;
            out += templ[++i];
            continue;
        }
        if (ch == '\'' && context != Quote::Double)
            context = context == Quote::Single ? Quote::None : Quote::Single;
        else if (ch == '"' && context != Quote::Single)
            context = context == Quote::Double ? Quote::None : Quote::Double;
        out += ch;
    }
    return out;
}

}  // namespace repmgr
