#include "util/log.hpp"

#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "util/mask.hpp"
#include "util/error.hpp"

namespace repmgr {
namespace {

struct LevelName {
    LogLevel level;
    std::string_view name;
    int syslog_priority;
};

constexpr std::array kLevels{
    LevelName{LogLevel::Debug, "DEBUG", LOG_DEBUG},
    LevelName{LogLevel::Info, "INFO", LOG_INFO},
    LevelName{LogLevel::Notice, "NOTICE", LOG_NOTICE},
    LevelName{LogLevel::Warning, "WARNING", LOG_WARNING},
    LevelName{LogLevel::Error, "ERROR", LOG_ERR},
    LevelName{LogLevel::Alert, "ALERT", LOG_ALERT},
    LevelName{LogLevel::Crit, "CRIT", LOG_CRIT},
};

const LevelName& entry(LogLevel level) {
    for (const auto& e : kLevels)
        if (e.level == level) return e;
    return kLevels[2];
}

std::string timestamp() {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &local);
    return buf;
}

int facility_code(const std::string& name) {
    static constexpr std::pair<std::string_view, int> kFacilities[] = {
        {"LOCAL0", LOG_LOCAL0}, {"LOCAL1", LOG_LOCAL1}, {"LOCAL2", LOG_LOCAL2},
        {"LOCAL3", LOG_LOCAL3}, {"LOCAL4", LOG_LOCAL4}, {"LOCAL5", LOG_LOCAL5},
        {"LOCAL6", LOG_LOCAL6}, {"LOCAL7", LOG_LOCAL7}, {"USER", LOG_USER},
        {"DAEMON", LOG_DAEMON}};
    for (auto [n, code] : kFacilities)
        if (strcasecmp(std::string(n).c_str(), name.c_str()) == 0) return code;
    return -1;
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
    for (const auto& e : kLevels)
        if (e.name.size() == name.size() &&
            strncasecmp(e.name.data(), name.data(), name.size()) == 0)
            return e.level;
    return std::nullopt;
}

std::string_view log_level_name(LogLevel level) { return entry(level).name; }

Logger::~Logger() {
    std::lock_guard lock(mutex_);
    close_locked();
}

void Logger::close_locked() {
    if (file_) std::fclose(file_);
    file_ = nullptr;
    if (syslog_) closelog();
    syslog_ = false;
}

void Logger::open_file(const std::string& path) {
    // 0600 when we create it: the log names hosts, users, paths and commands
    // (passwords are masked). An existing file keeps the mode its owner gave it.
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    std::FILE* f = fd < 0 ? nullptr : fdopen(fd, "a");
    if (!f) {
        int err = errno;
        if (fd >= 0) ::close(fd);
        fail(ExitCode::BadConfig, fmt::format("unable to open log file \"{}\"", path),
             std::strerror(err), "check that the directory exists and is writable by this user");
    }
    std::lock_guard lock(mutex_);
    close_locked();
    std::setvbuf(f, nullptr, _IOLBF, 0);
    file_ = f;
}

void Logger::open_syslog(const std::string& facility, const std::string& ident) {
    int code = facility_code(facility);
    if (code < 0)
        fail(ExitCode::BadConfig, fmt::format("unknown log facility \"{}\"", facility), {},
             "use one of LOCAL0..LOCAL7, USER, DAEMON");
    std::lock_guard lock(mutex_);
    close_locked();
    // openlog keeps the pointer, so the string it points at is a member.
    syslog_ident_ = ident;
    openlog(syslog_ident_.c_str(), LOG_PID, code);
    syslog_ = true;
}

void Logger::use_stderr() {
    std::lock_guard lock(mutex_);
    close_locked();
}

void Logger::write(LogLevel level, std::string_view raw) {
    // Every line goes through the one masking function: a conninfo in any
    // message (a connection failure, a registration) never shows its password.
    const std::string message = mask_passwords(raw);
    const auto& e = entry(level);
    std::lock_guard lock(mutex_);
    if (syslog_) {
        ::syslog(e.syslog_priority, "[%s] %.*s", std::string(e.name).c_str(),
                 static_cast<int>(message.size()), message.data());
        return;
    }
    std::FILE* out = file_ ? file_ : stderr;
    fmt::print(out, "[{}] [{}] {}\n", timestamp(), e.name, message);
}

void Logger::write_raw(std::string_view tag, std::string_view raw) {
    const std::string text = mask_passwords(raw);
    std::lock_guard lock(mutex_);
    if (syslog_) {
        ::syslog(LOG_NOTICE, "%s: %.*s", std::string(tag).c_str(), static_cast<int>(text.size()),
                 text.data());
        return;
    }
    // The seed prints hints as their own log line ("[...] [HINT] for example : pg_ctl ...");
    // details stay indented under the message they explain.
    if (tag == "HINT")
        fmt::print(file_ ? file_ : stderr, "[{}] [HINT] {}\n", timestamp(), text);
    else
        fmt::print(file_ ? file_ : stderr, "{}: {}\n", tag, text);
}

}  // namespace repmgr
