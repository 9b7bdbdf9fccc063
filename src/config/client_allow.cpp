#include "config/client_allow.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace repmgr {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The address as 16 bytes and how many of its bits an IPv4 form had (32) or 128.
std::optional<std::pair<std::array<std::uint8_t, 16>, int>> parse_address(std::string_view text) {
    std::string s(text);
    std::array<std::uint8_t, 16> out{};
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        out[10] = out[11] = 0xff;
        std::memcpy(&out[12], &v4, 4);
        return std::pair{out, 32};
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
        std::memcpy(out.data(), &v6, 16);
        return std::pair{out, 128};
    }
    return std::nullopt;
}

bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                 int bits) {
    int i = 0;
    for (; bits >= 8; bits -= 8, ++i)
        if (a[i] != b[i]) return false;
    if (bits == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
    return (a[i] & mask) == (b[i] & mask);
}

}  // namespace

std::optional<ClientAllowList> ClientAllowList::parse(std::string_view text, std::string& error) {
    ClientAllowList list;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        std::string_view entry = trim(text.substr(start, comma == std::string_view::npos
                                                             ? std::string_view::npos
                                                             : comma - start));
        start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
        if (entry.empty()) {
            if (trim(text).empty()) break;
            error = "an empty entry (two commas, or a comma at an end)";
            return std::nullopt;
        }
        std::string_view addr = entry;
        std::optional<int> bits;
        if (auto slash = entry.find('/'); slash != std::string_view::npos) {
            addr = entry.substr(0, slash);
            std::string_view b = entry.substr(slash + 1);
            int v = -1;
            auto [end, ec] = std::from_chars(b.data(), b.data() + b.size(), v);
            if (ec != std::errc() || end != b.data() + b.size() || b.empty()) {
                error = fmt::format("\"{}\": the prefix length after / is not a number", entry);
                return std::nullopt;
            }
            bits = v;
        }
        auto parsed = parse_address(addr);
        if (!parsed) {
            error = fmt::format("\"{}\" is not an IPv4 or IPv6 address (host names are not "
                                "accepted: they would be resolved once, at start)",
                                entry);
            return std::nullopt;
        }
        int width = parsed->second;
        if (bits && (*bits < 0 || *bits > width)) {
            error = fmt::format("\"{}\": the prefix length must be 0..{}", entry, width);
            return std::nullopt;
        }
        // IPv4 prefixes count from the mapped address's 96 leading bits.
        int total = width == 32 ? 96 + bits.value_or(32) : bits.value_or(128);
        list.ranges_.push_back(ClientRange{parsed->first, total});
    }
    return list;
}

bool ClientAllowList::allows(std::string_view peer) const {
    if (ranges_.empty()) return true;
    auto parsed = parse_address(peer);
    if (!parsed) return false;
    for (const auto& r : ranges_)
        if (same_prefix(parsed->first, r.address, r.prefix_bits)) return true;
    return false;
}

}  // namespace repmgr
