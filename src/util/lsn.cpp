#include "util/lsn.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace repmgr {

std::optional<Lsn> parse_lsn(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 >= text.size())
        return std::nullopt;
    try {
        size_t used_hi = 0, used_lo = 0;
        std::string hi(text.substr(0, slash)), lo(text.substr(slash + 1));
        unsigned long long high = std::stoull(hi, &used_hi, 16);
        unsigned long long low = std::stoull(lo, &used_lo, 16);
        if (used_hi != hi.size() || used_lo != lo.size() || high > 0xFFFFFFFFULL ||
            low > 0xFFFFFFFFULL)
            return std::nullopt;
        return (static_cast<Lsn>(high) << 32) | static_cast<Lsn>(low);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::string format_lsn(Lsn lsn) {
    return fmt::format("{:X}/{:X}", static_cast<unsigned>(lsn >> 32),
                       static_cast<unsigned>(lsn & 0xFFFFFFFFULL));
}

}  // namespace repmgr
