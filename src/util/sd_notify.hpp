#pragma once

#include <chrono>
#include <optional>
#include <string_view>

// systemd service notifications (sd_notify(3)) for repmgrd under a unit with
// Type=notify and WatchdogSec=, speaking the notify protocol directly (no
// libsystemd). Outside systemd ($NOTIFY_SOCKET unset) every call does nothing.
namespace repmgr::systemd {

// READY=1: start-up finished (after the first successful connection); systemd
// then considers "systemctl start" done. `status` becomes STATUS= (shown by
// "systemctl status").
void notify_ready(std::string_view status = {});

// RELOADING=1 when SIGHUP handling starts; send notify_ready() when it ends.
void notify_reloading();

// STOPPING=1 when shutdown starts.
void notify_stopping();

// WATCHDOG=1: "still alive"; send it at least every watchdog_ping_interval().
void notify_watchdog();

// STATUS=<text> alone, e.g. "monitoring primary node1 (ID: 1)".
void notify_status(std::string_view status);

// Half of the unit's WatchdogSec (what sd_watchdog_enabled() reports), the
// usual ping period; nullopt when the unit has no watchdog for this process.
std::optional<std::chrono::milliseconds> watchdog_ping_interval();

}  // namespace repmgr::systemd
