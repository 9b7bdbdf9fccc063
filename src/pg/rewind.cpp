#include "pg/rewind.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "config/conninfo.hpp"
#include "util/error.hpp"
#include "util/process.hpp"
#include "util/text.hpp"

namespace repmgr {
namespace {

namespace fs = std::filesystem;

// The files that describe this node rather than the cluster's data.
constexpr const char* kOwnConfigFiles[] = {"postgresql.conf", "postgresql.auto.conf",
                                           "pg_hba.conf", "pg_ident.conf"};

int to_int_or_zero(const std::string& s) {
    try {
        return std::stoi(s);
    } catch (const std::exception&) {
        return 0;
    }
}

std::optional<std::string> slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

// Keeps this node's configuration files in memory (they are small) and puts
// them back after pg_rewind overwrote them with the source's.
class ConfigFilesBackup {
public:
    explicit ConfigFilesBackup(std::string data_directory)
        : data_directory_(std::move(data_directory)) {
        for (const char* name : kOwnConfigFiles)
            if (auto text = slurp(fs::path(data_directory_) / name)) saved_.emplace_back(name, *text);
    }
    void restore() const {
        for (const auto& [name, text] : saved_) {
            fs::path path = fs::path(data_directory_) / name;
            std::ofstream out(path, std::ios::binary | std::ios::trunc);
            out << text;
            out.flush();
            if (!out)
                fail(ExitCode::RejoinFail,
                     fmt::format("unable to restore \"{}\" after pg_rewind", path.string()),
                     std::strerror(errno),
                     "pg_rewind copied the source's file: put this node's port and settings "
                     "back by hand before starting it");
        }
    }

private:
    std::string data_directory_;
    std::vector<std::pair<std::string, std::string>> saved_;
};

}  // namespace

ControlData parse_control_data(const std::string& output) {
    ControlData cd;
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string key(trim(std::string_view(line).substr(0, colon)));
        std::string value(trim(std::string_view(line).substr(colon + 1)));
        if (key == "Database cluster state") cd.state = value;
        else if (key == "Latest checkpoint location") cd.checkpoint_lsn = value;
        else if (key == "Latest checkpoint's TimeLineID") cd.checkpoint_timeline = to_int_or_zero(value);
        else if (key == "Minimum recovery ending location") cd.min_recovery_lsn = value;
        else if (key == "Min recovery ending loc's timeline") cd.min_recovery_timeline = to_int_or_zero(value);
        else if (key == "wal_log_hints setting") cd.wal_log_hints = value == "on";
        else if (key == "Data page checksum version") cd.data_checksums = to_int_or_zero(value) != 0;
    }
    return cd;
}

std::string pg_binary_path(const Config& config, const std::string& name) {
    if (config.pg_bindir.empty()) return name;
    std::string dir = config.pg_bindir;
    if (dir.back() != '/') dir += '/';
    return dir + name;
}

ControlData read_control_data(const Config& config, const std::string& data_directory) {
    ProcessResult r = run_argv({pg_binary_path(config, "pg_controldata"), data_directory}, true);
    ControlData cd = parse_control_data(r.output);
    if (r.exit_status != 0 || cd.state.empty())
        fail(ExitCode::BadConfig,
             fmt::format("unable to read the control file of \"{}\"", data_directory),
             r.output.empty() ? fmt::format("pg_controldata exited with status {}", r.exit_status)
                              : r.output,
             "check data_directory in repmgr.conf (or -D) and pg_bindir");
    return cd;
}

std::string rewind_data_directory(const Config& config, Logger& log,
                                  const std::string& data_directory,
                                  const std::string& source_conninfo) {
    ConfigFilesBackup backup(data_directory);
    SplitConninfo source = split_password(source_conninfo);
    std::vector<std::string> argv{pg_binary_path(config, "pg_rewind"), "--target-pgdata",
                                  data_directory, "--source-server", source.conninfo,
                                  "--progress"};
    log.notice("running pg_rewind on \"{}\" from \"{}\"", data_directory, source.conninfo);
    RunOptions options{.capture = true,
                       .timeout_secs = config.pg_rewind_timeout,
                       .timeout_setting = "pg_rewind_timeout"};
    if (source.password) options.env = {{"PGPASSWORD", *source.password}};
    ProcessResult r = run_process(argv, options);
    // Whatever happened, the node must keep its own port and settings.
    backup.restore();
    fail_if_timed_out(r, ExitCode::RejoinFail, "pg_rewind",
                      fmt::format("\"{}\" may be partly rewound and must not be started as it "
                                  "is: run the rejoin with --force-rewind again, or clone the "
                                  "node again with \"repmgr standby clone -F\"",
                                  data_directory));
    if (r.exit_status != 0)
        fail(ExitCode::RejoinFail, "pg_rewind failed", r.output,
             "read pg_rewind's message above; if the data directory cannot be rewound, clone "
             "the node again with \"repmgr standby clone -F\"");
    log.info("pg_rewind: {}", r.output);
    return r.output;
}

}  // namespace repmgr
