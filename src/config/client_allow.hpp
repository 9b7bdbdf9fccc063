#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace repmgr {

// http_allowed_clients: which peer addresses may use repmgrd's HTTP endpoints.
// Every address is kept as IPv6 (IPv4 as ::ffff:a.b.c.d), so "10.0.0.0/8"
// also matches a client seen as ::ffff:10.1.2.3 on a dual-stack socket.
struct ClientRange {
    std::array<std::uint8_t, 16> address{};
    int prefix_bits = 128;
};

class ClientAllowList {
public:
    // Parses "127.0.0.1, 10.0.0.0/8, ::1, fd00::/8" (empty: everyone allowed).
    // On a bad entry returns nullopt and says why in `error`.
    static std::optional<ClientAllowList> parse(std::string_view text, std::string& error);

    bool allows_everyone() const { return ranges_.empty(); }
    // Whether a peer address as text (IPv4, IPv6 or IPv4-mapped IPv6) is allowed;
    // an address that does not parse is refused.
    bool allows(std::string_view peer) const;

private:
    std::vector<ClientRange> ranges_;
};

}  // namespace repmgr
