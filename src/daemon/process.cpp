#include "daemon/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "util/error.hpp"

namespace repmgr::repmgrd {
namespace {

// A signal handler can reach nothing but globals: this one fd is the only
// process-wide state, written once when the SignalPipe is built.
std::atomic<int> signal_write_fd{-1};

extern "C" void forward_signal(int signo) {
    int saved = errno;
    unsigned char byte = static_cast<unsigned char>(signo);
    int fd = signal_write_fd.load();
    if (fd >= 0) (void)!write(fd, &byte, 1);
    errno = saved;
}

pid_t fork_or_fail() {
    pid_t pid = fork();
    if (pid < 0)
        fail(ExitCode::SysFailure, "unable to fork while daemonizing", std::strerror(errno),
             "check the process limits of this user (ulimit -u)");
    return pid;
}

// The original process: leaves with the code the detached one reports, or
// with ERR_SYS_FAILURE when it died before reporting anything.
[[noreturn]] void wait_for_detached(int ready_fd) {
    unsigned char code = 0;
    ssize_t n;
    do n = read(ready_fd, &code, 1);
    while (n < 0 && errno == EINTR);
    _exit(n == 1 ? code : to_int(ExitCode::SysFailure));
}

void report_to_original(int ready_fd, ExitCode code) {
    unsigned char byte = static_cast<unsigned char>(to_int(code));
    (void)!write(ready_fd, &byte, 1);
    close(ready_fd);
}

void redirect_standard_streams(const std::string& output_path) {
    int null_in = open("/dev/null", O_RDONLY);
    int out = output_path.empty() ? -1 : open(output_path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (out < 0) out = open("/dev/null", O_WRONLY);
    if (null_in >= 0) dup2(null_in, STDIN_FILENO);
    if (out >= 0) {
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
    }
    if (null_in > STDERR_FILENO) close(null_in);
    if (out > STDERR_FILENO) close(out);
}

}  // namespace

void daemonize(const std::string& output_path, const std::function<void()>& once_detached) {
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0)
        fail(ExitCode::SysFailure, "unable to create a pipe while daemonizing", std::strerror(errno));
    if (fork_or_fail() > 0) {
        close(ready[1]);
        wait_for_detached(ready[0]);
    }
    close(ready[0]);
    if (setsid() < 0)
        fail(ExitCode::SysFailure, "unable to start a new session", std::strerror(errno));
    if (fork_or_fail() > 0) _exit(0);
    if (chdir("/") != 0)
        fail(ExitCode::SysFailure, "unable to change directory to /", std::strerror(errno));
    umask(027);
    try {
        once_detached();
    } catch (const Failure& f) {
        report_to_original(ready[1], f.code());
        throw;
    }
    redirect_standard_streams(output_path);
    report_to_original(ready[1], ExitCode::Success);
}

SignalPipe::SignalPipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
        fail(ExitCode::SysFailure, "unable to create the signal pipe", std::strerror(errno));
    read_fd_ = fds[0];
    write_fd_ = fds[1];
    signal_write_fd.store(write_fd_);
    struct sigaction sa {};
    sa.sa_handler = forward_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaction(s, &sa, nullptr);
}

SignalPipe::~SignalPipe() {
    for (int s : {SIGHUP, SIGTERM, SIGINT}) std::signal(s, SIG_DFL);
    signal_write_fd.store(-1);
    close(read_fd_);
    close(write_fd_);
}

SignalPipe::Wake SignalPipe::wait(std::chrono::milliseconds timeout, int watch_fd) {
    unsigned char byte = 0;
    if (read(read_fd_, &byte, 1) == 1) return Wake{byte, false};
    pollfd p[2] = {{read_fd_, POLLIN, 0}, {watch_fd, POLLIN, 0}};
    int ready = poll(p, watch_fd >= 0 ? 2 : 1,
                     static_cast<int>(std::max<long long>(0, timeout.count())));
    if (ready > 0 && read(read_fd_, &byte, 1) == 1) return Wake{byte, false};
    // POLLHUP and POLLERR are reported whether asked for or not.
    if (ready > 0 && watch_fd >= 0 && p[1].revents != 0) return Wake{std::nullopt, true};
    return Wake{};  // timeout, or EINTR: the caller re-computes and waits again
}

}  // namespace repmgr::repmgrd
