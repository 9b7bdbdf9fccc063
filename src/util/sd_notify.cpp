#include "util/sd_notify.hpp"

#include <algorithm>
#include <string>

#ifdef REPMGR_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

#include <time.h>
#endif

namespace repmgr::systemd {
namespace {

#ifdef REPMGR_HAVE_SYSTEMD
void send(const std::string& message) {
    // Failures to notify must never stop the daemon: sd_notify() returns 0
    // outside systemd and a negative errno on errors, both ignored.
    (void)sd_notify(0, message.c_str());
}

// systemd >= 253 (Type=notify-reload) wants the time the reload started.
std::string monotonic_usec() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::to_string(static_cast<long long>(ts.tv_sec) * 1000000LL + ts.tv_nsec / 1000);
}
#else
void send(const std::string&) {}
std::string monotonic_usec() { return {}; }
#endif

std::string with_status(std::string message, std::string_view status) {
    if (!status.empty()) message += "\nSTATUS=" + std::string(status);
    return message;
}

}  // namespace

bool supported() {
#ifdef REPMGR_HAVE_SYSTEMD
    return true;
#else
    return false;
#endif
}

void notify_ready(std::string_view status) { send(with_status("READY=1", status)); }

void notify_reloading() { send("RELOADING=1\nMONOTONIC_USEC=" + monotonic_usec()); }

void notify_stopping() { send("STOPPING=1"); }

void notify_watchdog() { send("WATCHDOG=1"); }

void notify_status(std::string_view status) { send("STATUS=" + std::string(status)); }

std::optional<std::chrono::milliseconds> watchdog_ping_interval() {
#ifdef REPMGR_HAVE_SYSTEMD
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
        return std::chrono::milliseconds(std::max<uint64_t>(1, usec / 2000));
#endif
    return std::nullopt;
}

}  // namespace repmgr::systemd
