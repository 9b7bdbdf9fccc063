#include "pg/datadir.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "util/error.hpp"

namespace repmgr {
namespace fs = std::filesystem;
namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

std::string setting_key(const std::string& line) {
    auto b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') return {};
    auto e = line.find_first_of(" \t=", b);
    return line.substr(b, e - b);
}

void remove_children(const fs::path& dir, std::error_code& ec) {
    if (!fs::is_directory(dir, ec)) return;
    for (const auto& entry : fs::directory_iterator(dir, ec)) fs::remove_all(entry.path(), ec);
}

}  // namespace

DirState directory_state(const std::string& path) {
    std::error_code ec;
    auto status = fs::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
        fail(ExitCode::BadConfig, fmt::format("unable to examine \"{}\"", path), ec.message(),
             "check the path and the permissions of its parent directories");
    if (!fs::exists(status)) return DirState::Missing;
    if (!fs::is_directory(status))
        fail(ExitCode::BadConfig, fmt::format("\"{}\" exists but is not a directory", path), {},
             "give -D a directory (or a path that does not exist yet)");
    fs::directory_iterator it(path, ec);
    if (ec)
        fail(ExitCode::BadConfig, fmt::format("unable to read directory \"{}\"", path),
             ec.message(), "the directory must be readable and writable by this user");
    return it == fs::directory_iterator() ? DirState::Empty : DirState::NonEmpty;
}

namespace {
std::optional<pid_t> postmaster_pid(const std::string& datadir) {
    std::ifstream in(datadir + "/postmaster.pid");
    long pid = 0;
    if (!(in >> pid) || pid <= 0) return std::nullopt;
    return static_cast<pid_t>(pid);
}
}  // namespace

bool postmaster_running(const std::string& datadir) {
    auto pid = postmaster_pid(datadir);
    return pid && (kill(*pid, 0) == 0 || errno == EPERM);
}

namespace {
// A killed process stays a zombie until its parent reaps it (1-1.6 s seen
// here after kill -9): kill(pid, 0) still succeeds then, /proc tells.
bool is_zombie(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;  // no /proc: trust kill()
    auto close = line.rfind(')');  // the command name may contain anything
    if (close == std::string::npos || close + 2 >= line.size()) return false;
    char state = line[close + 2];
    return state == 'Z' || state == 'X';
}
}  // namespace

PostmasterState postmaster_state(const std::string& datadir) {
    std::error_code ec;
    if (!fs::exists(datadir + "/postmaster.pid", ec))
        return ec ? PostmasterState::Unknown : PostmasterState::Stopped;
    auto pid = postmaster_pid(datadir);
    if (!pid) return PostmasterState::Unknown;  // unreadable, or being written
    if (kill(*pid, 0) != 0 && errno == ESRCH) return PostmasterState::Crashed;
    return is_zombie(*pid) ? PostmasterState::Crashed : PostmasterState::Running;
}

bool signal_postmaster(const std::string& datadir, int signo) {
    auto pid = postmaster_pid(datadir);
    return pid && kill(*pid, signo) == 0;
}

CloneTarget::CloneTarget(std::string path, Logger& log) : path_(std::move(path)), log_(log) {}

void CloneTarget::prepare(bool empty_existing) {
    DirState before = directory_state(path_);
    std::error_code ec;
    if (before == DirState::Missing) {
        // Find the topmost missing ancestor: that is what we create and what a
        // failure removes.
        fs::path p = fs::absolute(path_, ec);
        fs::path top = p;
        for (fs::path q = p; !q.empty() && !fs::exists(q, ec); q = q.parent_path()) {
            top = q;
            if (q == q.parent_path()) break;
        }
        fs::create_directories(p, ec);
        if (ec)
            fail(ExitCode::BadConfig, fmt::format("unable to create directory \"{}\"", path_),
                 ec.message(), "check that this user may write to the parent directory");
        created_root_ = top.string();
        contents_are_ours_ = true;
    } else if (before == DirState::Empty) {
        contents_are_ours_ = true;
    } else if (empty_existing) {
        log_.warning("removing the existing contents of \"{}\" (-F/--force)", path_);
        remove_children(path_, ec);
        if (ec)
            fail(ExitCode::BadConfig, fmt::format("unable to empty directory \"{}\"", path_),
                 ec.message(), "remove its contents by hand, then run the clone again");
        contents_are_ours_ = true;
    }
    if (chmod(path_.c_str(), 0700) != 0)
        fail(ExitCode::BadConfig, fmt::format("unable to set permissions of \"{}\"", path_),
             std::strerror(errno), "the data directory must be owned by this user");
    prepared_ = true;
}

CloneTarget::~CloneTarget() {
    if (!prepared_ || committed_) return;
    std::error_code ec;
    if (created_root_) {
        fs::remove_all(*created_root_, ec);
        log_.notice("removed \"{}\", created by this failed clone", *created_root_);
    } else if (contents_are_ours_) {
        remove_children(path_, ec);
        log_.notice("removed the files this failed clone wrote into \"{}\"", path_);
    } else {
        log_.warning("\"{}\" was resynced in place and is now incomplete", path_);
        log_.hint("run the clone again with -F/--force once the problem is fixed");
    }
}

void remove_volatile_files(const std::string& datadir) {
    std::error_code ec;
    fs::path d(datadir);
    for (const auto& entry : fs::directory_iterator(d / "pg_wal", ec))
        if (entry.path().filename() != "archive_status") fs::remove_all(entry.path(), ec);
    remove_children(d / "pg_wal" / "archive_status", ec);
    remove_children(d / "pg_replslot", ec);
    for (const char* name : {"backup_label", "backup_label.old", "tablespace_map",
                             "recovery.signal", "standby.signal", "postmaster.pid",
                             "postmaster.opts"})
        fs::remove(d / name, ec);
}

void write_text_file(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << content;
    out.flush();
    if (!out)
        fail(ExitCode::BadConfig, fmt::format("unable to write \"{}\"", path), std::strerror(errno),
             "check free space and permissions of the data directory");
    chmod(path.c_str(), 0600);
}

std::vector<std::string> comment_out_settings(const std::string& conf_path,
                                              const std::vector<std::string>& keys,
                                              const std::string& why) {
    std::istringstream in(read_all(conf_path));
    std::string out, line;
    std::vector<std::string> found;
    while (std::getline(in, line)) {
        std::string key = setting_key(line);
        bool hit = false;
        for (const auto& k : keys) hit = hit || key == k;
        if (hit) {
            out += fmt::format("#{}  # {}\n", line, why);
            found.push_back(key);
        } else {
            out += line + "\n";
        }
    }
    if (!found.empty()) write_text_file(conf_path, out);
    return found;
}

std::vector<std::string> include_directives(const std::string& conf_path) {
    std::istringstream in(read_all(conf_path));
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line)) {
        std::string key = setting_key(line);
        if (key == "include" || key == "include_dir" || key == "include_if_exists")
            lines.push_back(line);
    }
    return lines;
}

}  // namespace repmgr
