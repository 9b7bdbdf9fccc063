#include "util/conninfo_syntax.hpp"

#include <libpq-fe.h>

#include <memory>

namespace repmgr {

std::optional<std::string> conninfo_syntax_error(const std::string& text) {
    struct OptionsDeleter {
        void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
    };
    char* err = nullptr;
    std::unique_ptr<PQconninfoOption, OptionsDeleter> opts(PQconninfoParse(text.c_str(), &err));
    if (opts) return std::nullopt;
    std::string message = err ? err : "out of memory";
    if (err) PQfreemem(err);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
    return message;
}

std::string quote_conninfo_value(const std::string& value) {
    bool plain = !value.empty();
    // libpq ends a bare value at any isspace() character (also \v \f \r).
    for (char ch : value)
        if (ch == '\'' || ch == '\\' || ch == ' ' || (ch >= '\t' && ch <= '\r')) plain = false;
    if (plain) return value;
    std::string out = "'";
    for (char ch : value) {
        if (ch == '\'' || ch == '\\') out += '\\';
        out += ch;
    }
    return out + "'";
}
}  // namespace repmgr
