#include "pg/witness_server.hpp"

#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/guc_value.hpp"

namespace repmgr {
namespace {

std::vector<std::string> split_list(const std::string& list) {
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        size_t comma = list.find(',', start);
        out.push_back(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) return out;
        start = comma + 1;
    }
}

// libpq reads a host starting with / (or @, an abstract socket) as a Unix
// socket directory, and an empty one as its default: neither is a TCP address.
bool is_tcp_address(const std::string& host) {
    return !host.empty() && host.front() != '/' && host.front() != '@';
}

std::string checked_port(const Conninfo& conninfo) {
    std::string port = conninfo.get("port").value_or("5432");
    bool digits = !port.empty() && port.size() <= 5;
    for (char ch : port)
        if (ch < '0' || ch > '9') digits = false;
    if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535)
        fail(ExitCode::BadConfig, fmt::format("invalid port \"{}\" in the witness's conninfo", port),
             "the witness server is started on the port of its own conninfo",
             "give one port number from 1 to 65535 in \"conninfo\" in repmgr.conf");
    return port;
}

}  // namespace

std::string witness_server_settings(const Conninfo& conninfo) {
    std::string out = "port = " + checked_port(conninfo) + "\n";
    std::string source = conninfo.get("hostaddr").value_or(conninfo.get("host").value_or(""));
    std::string addresses;
    for (const auto& host : split_list(source)) {
        if (!is_tcp_address(host)) continue;
        if (!addresses.empty()) addresses += ',';
        addresses += host;
    }
    if (!addresses.empty()) out += "listen_addresses = " + quote_guc_value(addresses) + "\n";
    return out;
}

}  // namespace repmgr
