#include "util/http_module.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "util/error.hpp"

// Defined only when the module's objects are linked into this binary.
extern "C" const repmgr::http::ModuleApi* repmgr_http_module() __attribute__((weak));

namespace repmgr {
namespace {

constexpr const char* kModuleFile = "repmgr-http.so";
// Not lib/repmgr-cpp itself: CPack gives a package with a shared object one
// level under /usr/lib an ldconfig postinst, which lintian rejects for a
// private module.
constexpr const char* kModuleDir = "lib/repmgr-cpp/modules";

std::string executable_dir() {
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) return ".";
    std::string exe(path, static_cast<size_t>(n));
    return exe.substr(0, exe.rfind('/'));
}

const http::ModuleApi& checked(const http::ModuleApi* api, const std::string& where) {
    if (api == nullptr || api->abi_version != http::kModuleAbiVersion)
        fail(ExitCode::BadConfig, fmt::format("{} is not the HTTP module of this build", where),
             fmt::format("its interface version is {}, this program needs {}",
                         api ? api->abi_version : 0, http::kModuleAbiVersion),
             "install repmgr and repmgrd again from one build or package");
    return *api;
}

}  // namespace

const http::ModuleApi& http_module() {
    if (repmgr_http_module != nullptr) return checked(repmgr_http_module(), "the linked module");
    const std::string dir = executable_dir();
    const std::vector<std::string> candidates = {
        fmt::format("{}/../{}/{}", dir, kModuleDir, kModuleFile),
        fmt::format("{}/{}/{}", dir, kModuleDir, kModuleFile)};
    std::string errors;
    for (const std::string& file : candidates) {
        // Never unloaded: servers and clients made by it may live to the end.
        void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
        if (handle == nullptr) {
            errors += fmt::format("{}{}", errors.empty() ? "" : "; ", dlerror());
            continue;
        }
        auto entry = reinterpret_cast<const http::ModuleApi* (*)()>(
            dlsym(handle, "repmgr_http_module"));
        if (entry == nullptr)
            fail(ExitCode::BadConfig, fmt::format("{} has no entry point repmgr_http_module", file),
                 "", "install repmgr and repmgrd again from one build or package");
        return checked(entry(), file);
    }
    fail(ExitCode::BadConfig, fmt::format("cannot load repmgr's HTTP module {}", kModuleFile),
         errors,
         fmt::format("it serves repmgrd's HTTP endpoints (http_port) and talks to etcd "
                     "(arbiter=etcd); it belongs in {}/../{}/: install the "
                     "package again, or turn http_port and arbiter=etcd off",
                     dir, kModuleDir));
}

}  // namespace repmgr
