// sd_notify support: with libsystemd the messages reach $NOTIFY_SOCKET as
// systemd expects them; without it (or outside systemd) nothing happens.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "util/sd_notify.hpp"

using namespace repmgr;

namespace {

// A datagram socket standing in for systemd's notification socket.
class NotifySocket {
public:
    NotifySocket() {
        path_ = (std::filesystem::temp_directory_path() /
                 ("repmgr-notify-" + std::to_string(getpid())))
                    .string();
        std::filesystem::remove(path_);
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
        EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
        setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    }
    ~NotifySocket() {
        unsetenv("NOTIFY_SOCKET");
        close(fd_);
        std::filesystem::remove(path_);
    }
    const std::string& path() const { return path_; }
    // The next message, or "" when none is waiting.
    std::string receive() {
        char buf[512];
        ssize_t n = recv(fd_, buf, sizeof(buf), 0);
        return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    }

private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace

TEST(SdNotify, SendsTheMessagesSystemdExpects) {
    NotifySocket sock;
    systemd::notify_ready("monitoring node1");
    systemd::notify_watchdog();
    systemd::notify_stopping();
    systemd::notify_reloading();
    EXPECT_EQ(sock.receive(), "READY=1\nSTATUS=monitoring node1");
    EXPECT_EQ(sock.receive(), "WATCHDOG=1");
    EXPECT_EQ(sock.receive(), "STOPPING=1");
    EXPECT_EQ(sock.receive().rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u);
}

TEST(SdNotify, WatchdogIntervalIsHalfOfWatchdogSec) {
    unsetenv("WATCHDOG_USEC");
    EXPECT_FALSE(systemd::watchdog_ping_interval());
    setenv("WATCHDOG_USEC", "4000000", 1);
    setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
    auto interval = systemd::watchdog_ping_interval();
    ASSERT_TRUE(interval);
    EXPECT_EQ(interval->count(), 2000);
    // Another process's watchdog is not ours.
    setenv("WATCHDOG_PID", "1", 1);
    EXPECT_FALSE(systemd::watchdog_ping_interval());
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

TEST(SdNotify, OutsideSystemdNothingHappens) {
    NotifySocket sock;  // a listening socket that NOTIFY_SOCKET no longer names
    unsetenv("NOTIFY_SOCKET");
    systemd::notify_ready("idle");
    systemd::notify_status("idle");
    systemd::notify_watchdog();
    EXPECT_EQ(sock.receive(), "");
    // Not a socket path systemd would give (neither absolute nor abstract): ignored too.
    setenv("NOTIFY_SOCKET", "relative/socket", 1);
    systemd::notify_stopping();
    EXPECT_EQ(sock.receive(), "");
    // The socket does work: the silence above was not a broken listener.
    setenv("NOTIFY_SOCKET", sock.path().c_str(), 1);
    systemd::notify_watchdog();
    EXPECT_EQ(sock.receive(), "WATCHDOG=1");
}
