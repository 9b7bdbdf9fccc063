#pragma once

#include <memory>

#include "util/http/transport.hpp"

namespace repmgr::http {

// The module's implementations of the transport (server.cpp, client.cpp).
std::unique_ptr<Server> make_library_server();
std::unique_ptr<Client> make_library_client(const ClientOptions& options);

}  // namespace repmgr::http
