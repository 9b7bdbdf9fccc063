#include "util/http/server.hpp"

extern "C" const repmgr::http::ModuleApi* repmgr_http_module() {
    static constexpr repmgr::http::ModuleApi api{repmgr::http::kModuleAbiVersion,
                                                 repmgr::http::make_library_server,
                                                 repmgr::http::make_library_client};
    return &api;
}
