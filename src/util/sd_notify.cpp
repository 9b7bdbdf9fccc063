#include "util/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

// The notification protocol is one datagram of "KEY=value" lines sent to the
// AF_UNIX socket named in $NOTIFY_SOCKET; sd_notify(3) documents it as a
// stable interface meant to be implemented without libsystemd. Doing so keeps
// libsystemd's own dependencies (libgcrypt, lz4, zstd, ...; about 1.4 MB of
// resident memory) out of a daemon that runs beside every node.
namespace repmgr::systemd {
namespace {

void send(const std::string& message) {
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (!path || (path[0] != '/' && path[0] != '@')) return;  // not under systemd
    sockaddr_un addr{};
    size_t len = std::strlen(path);
    if (len >= sizeof addr.sun_path) return;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path, len);
    if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    // A failure to notify must never stop the daemon: the result is ignored.
    (void)sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&addr),
                 static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len));
    close(fd);
}

// systemd >= 253 (Type=notify-reload) wants the time the reload started.
std::string monotonic_usec() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::to_string(static_cast<long long>(ts.tv_sec) * 1000000LL + ts.tv_nsec / 1000);
}

std::string with_status(std::string message, std::string_view status) {
    if (!status.empty()) message += "\nSTATUS=" + std::string(status);
    return message;
}

}  // namespace

void notify_ready(std::string_view status) { send(with_status("READY=1", status)); }

void notify_reloading() { send("RELOADING=1\nMONOTONIC_USEC=" + monotonic_usec()); }

void notify_stopping() { send("STOPPING=1"); }

void notify_watchdog() { send("WATCHDOG=1"); }

void notify_status(std::string_view status) { send("STATUS=" + std::string(status)); }

std::optional<std::chrono::milliseconds> watchdog_ping_interval() {
    // As sd_watchdog_enabled(): WATCHDOG_USEC set, and WATCHDOG_PID (when set)
    // naming this process.
    const char* usec_text = std::getenv("WATCHDOG_USEC");
    if (!usec_text) return std::nullopt;
    if (const char* pid = std::getenv("WATCHDOG_PID"); pid && std::atol(pid) != getpid())
        return std::nullopt;
    long long usec = std::atoll(usec_text);
    if (usec <= 0) return std::nullopt;
    return std::chrono::milliseconds(std::max(1LL, usec / 2000));
}

}  // namespace repmgr::systemd
