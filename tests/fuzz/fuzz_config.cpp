// libFuzzer target: the repmgr.conf parser on arbitrary bytes. It must either
// accept the text or throw Failure(BadConfig) naming the file; never crash,
// never throw anything else. Accepted string values must survive being
// written back quoted and parsed again.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/config.hpp"
#include "config/settings.hpp"
#include "util/error.hpp"

using namespace repmgr;

namespace {

constexpr const char* kOrigin = "/fuzz/repmgr.conf";

[[noreturn]] void broken(const std::string& why) {
    std::fprintf(stderr, "invariant broken: %s\n", why.c_str());
    std::abort();
}

std::string quoted(const std::string& value) {
    std::string out = "'";
    for (char ch : value) {
        if (ch == '\'' || ch == '\\') out += '\\';
        out += ch;
    }
    return out + "'";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    LoadedConfig loaded;
    try {
        loaded = parse_config(text, kOrigin);
    } catch (const Failure& f) {
        if (f.code() != ExitCode::BadConfig) broken("a parse failure that is not BadConfig");
        if (std::string(f.what()).find(kOrigin) == std::string::npos)
            broken("a parse failure that does not name the file");
        return 0;
    }
    for (const auto& w : loaded.warnings)
        if (w.find(kOrigin) == std::string::npos) broken("a warning that does not name the file");
    for (const auto& d : setting_descriptors())
        if ((d.type == SettingType::String || d.type == SettingType::Choice) &&
            (loaded.config.*d.text).find('\0') != std::string::npos)
            broken("a NUL byte accepted in " + std::string(d.name));
    // Write every text setting back as key='value' and read it again.
    std::string rewritten;
    for (const auto& d : setting_descriptors())
        if (d.type == SettingType::String && d.name != "conninfo" && d.name != "cluster")
            rewritten += std::string(d.name) + "=" + quoted(loaded.config.*d.text) + "\n";
    LoadedConfig again;
    try {
        again = parse_config(rewritten, kOrigin);
    } catch (const Failure& f) {
        broken(std::string("accepted values do not parse back: ") + f.detail());
    }
    for (const auto& d : setting_descriptors())
        if (d.type == SettingType::String && d.name != "conninfo" && d.name != "cluster" &&
            again.config.*d.text != loaded.config.*d.text)
            broken("value of " + std::string(d.name) + " changed after quoting");
    return 0;
}
