#pragma once

#include "util/http/transport.hpp"

namespace repmgr {

// The HTTP transport (util/http/transport.hpp): linked in when the binary
// holds it (the unit tests and fuzzers), else loaded from repmgr-http.so
// beside the installed binaries (<bindir>/../lib/repmgr-cpp/modules/) or in the build
// tree (<bindir>/lib/repmgr-cpp/modules/). A Failure saying what is missing and what
// to do when it cannot be loaded. Cheap after the first call: the module,
// once loaded, stays (dlopen counts the references).
const http::ModuleApi& http_module();

}  // namespace repmgr
