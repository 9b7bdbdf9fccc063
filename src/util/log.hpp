#pragma once

#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace repmgr {

enum class LogLevel { Debug, Info, Notice, Warning, Error, Alert, Crit };

std::optional<LogLevel> parse_log_level(std::string_view name);
std::string_view log_level_name(LogLevel level);

// Writes "[YYYY-MM-DD HH:MM:SS] [LEVEL] message" lines to stderr, a log file,
// or syslog. One instance lives in the command's Context; nothing is global.
// Thread-safe: repmgrd's notification worker logs beside the main loop.
class Logger {
public:
    Logger() = default;
    ~Logger();
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    void set_level(LogLevel level) { level_.store(level); }
    LogLevel level() const { return level_.load(); }
    // -t/--terse (repmgr 5): DETAIL and HINT lines are left out.
    void set_terse(bool terse) { terse_ = terse; }
    // Sends output to `path` (appending; a new file is created 0600: log lines
    // name hosts, users and commands); throws Failure(BadConfig) if unopenable.
    void open_file(const std::string& path);
    // Sends output to syslog with the given facility name (LOCAL0..7, USER, DAEMON).
    void open_syslog(const std::string& facility, const std::string& ident);
    // Back to stderr (used when a reload removes logfile).
    void use_stderr();

    bool enabled(LogLevel level) const { return level >= level_.load(); }
    void write(LogLevel level, std::string_view message);
    // "DETAIL: ..." and "[ts] [HINT] ..." lines follow their message whatever
    // the level, unless terse.
    void detail(std::string_view text) {
        if (!terse_) write_raw("DETAIL", text);
    }
    void hint(std::string_view text) {
        if (!terse_) write_raw("HINT", text);
    }

    template <typename... Args>
    void debug(fmt::format_string<Args...> f, Args&&... a) { log(LogLevel::Debug, f, std::forward<Args>(a)...); }
    template <typename... Args>
    void info(fmt::format_string<Args...> f, Args&&... a) { log(LogLevel::Info, f, std::forward<Args>(a)...); }
    template <typename... Args>
    void notice(fmt::format_string<Args...> f, Args&&... a) { log(LogLevel::Notice, f, std::forward<Args>(a)...); }
    template <typename... Args>
    void warning(fmt::format_string<Args...> f, Args&&... a) { log(LogLevel::Warning, f, std::forward<Args>(a)...); }
    template <typename... Args>
    void error(fmt::format_string<Args...> f, Args&&... a) { log(LogLevel::Error, f, std::forward<Args>(a)...); }

private:
    template <typename... Args>
    void log(LogLevel level, fmt::format_string<Args...> f, Args&&... a) {
        if (enabled(level)) write(level, fmt::format(f, std::forward<Args>(a)...));
    }
    void write_raw(std::string_view tag, std::string_view text);
    void close_locked();

    std::mutex mutex_;  // file_, syslog_ and each line written
    std::atomic<LogLevel> level_{LogLevel::Notice};
    bool terse_ = false;
    std::FILE* file_ = nullptr;
    bool syslog_ = false;
    std::string syslog_ident_;
};

}  // namespace repmgr
