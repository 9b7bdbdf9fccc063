#include "pg/standby_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "config/conninfo.hpp"
#include "util/error.hpp"
#include "util/guc_value.hpp"

namespace repmgr {
namespace {

constexpr const char* kManagedKeys[] = {"primary_conninfo", "primary_slot_name",
                                        "restore_command", "recovery_min_apply_delay"};

std::string key_of(const std::string& line) {
    auto b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') return {};
    auto e = line.find_first_of(" \t=", b);
    return line.substr(b, e - b);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

void write_file_atomically(const std::string& path, const std::string& content) {
    std::string tmp = path + ".repmgr.tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << content;
        out.flush();
        if (!out)
            fail(ExitCode::BadConfig, fmt::format("unable to write \"{}\"", tmp), std::strerror(errno),
                 "check that the data directory is writable by this user");
    }
    chmod(tmp.c_str(), 0600);
    if (rename(tmp.c_str(), path.c_str()) != 0)
        fail(ExitCode::BadConfig, fmt::format("unable to replace \"{}\"", path), std::strerror(errno));
}

}  // namespace

std::string build_primary_conninfo(const std::string& upstream_conninfo,
                                   const std::string& application_name,
                                   const std::string& replication_user) {
    Conninfo c = Conninfo::parse(upstream_conninfo);
    c.erase("dbname");
    c.erase("replication");
    c.set("application_name", application_name);
    if (!replication_user.empty()) c.set("user", replication_user);
    return c.to_string();
}

void set_auto_conf_setting(const std::string& data_directory, const std::string& key,
                           const std::optional<std::string>& value) {
    std::string path = data_directory + "/postgresql.auto.conf";
    std::istringstream in(read_file(path));
    std::string out, line;
    while (std::getline(in, line))
        if (key_of(line) != key) out += line + "\n";
    if (value) out += key + " = " + quote_guc_value(*value) + "\n";
    write_file_atomically(path, out);
}

void write_standby_settings(const std::string& data_directory, const StandbySettings& s) {
    std::string path = data_directory + "/postgresql.auto.conf";
    std::istringstream in(read_file(path));
    std::string out, line;
    while (std::getline(in, line)) {
        std::string key = key_of(line);
        bool managed = false;
        for (const char* k : kManagedKeys)
            if (key == k) managed = true;
        if (!managed) out += line + "\n";
    }
    out += "primary_conninfo = " + quote_guc_value(s.primary_conninfo) + "\n";
    if (s.primary_slot_name) out += "primary_slot_name = " + quote_guc_value(*s.primary_slot_name) + "\n";
    if (!s.restore_command.empty())
        out += "restore_command = " + quote_guc_value(s.restore_command) + "\n";
    if (!s.recovery_min_apply_delay.empty())
        out += "recovery_min_apply_delay = " + quote_guc_value(s.recovery_min_apply_delay) + "\n";
    write_file_atomically(path, out);

    std::string signal = data_directory + "/standby.signal";
    int fd = open(signal.c_str(), O_WRONLY | O_CREAT, 0600);
    if (fd < 0)
        fail(ExitCode::BadConfig, fmt::format("unable to create \"{}\"", signal), std::strerror(errno));
    close(fd);
}

std::optional<std::string> read_auto_conf_setting(const std::string& data_directory,
                                                  const std::string& key) {
    std::istringstream in(read_file(data_directory + "/postgresql.auto.conf"));
    std::string line;
    std::optional<std::string> value;
    while (std::getline(in, line)) {
        auto setting = parse_guc_line(line);
        // the last occurrence wins, as in PostgreSQL
        if (setting && setting->name == key) value = std::move(setting->value);
    }
    return value;
}

}  // namespace repmgr
