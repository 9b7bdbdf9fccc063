#include "util/process.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "util/error.hpp"

namespace repmgr {
namespace {

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

// In the child between fork and exec (only async-signal-safe calls): a child
// gets what a freshly started program expects, not what this process set up
// for itself. exec keeps ignored signals ignored and the signal mask (repmgrd
// ignores SIGPIPE, so a `pg_ctl | ...` pipeline or rsync would not die on a
// closed pipe), and keeps every descriptor without close-on-exec (a listen
// socket, a libpq connection, a log file).
void reset_child_state(int max_fd) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    // SIGKILL, SIGSTOP and the signals glibc reserves refuse: harmless.
    for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
#endif
    for (int fd = 3; fd < max_fd; ++fd) close(fd);  // kernels before 5.9
}

// The environment for the child, built before fork (setenv is not
// async-signal-safe): ours with `extra` added or replaced.
std::vector<std::string> child_environment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string_view entry(*e);
        bool replaced = false;
        for (const auto& [k, v] : extra)
            if (entry.size() > k.size() && entry.substr(0, k.size()) == k && entry[k.size()] == '=')
                replaced = true;
        if (!replaced) env.emplace_back(entry);
    }
    for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
    return env;
}

using SteadyClock = std::chrono::steady_clock;

int ms_until(SteadyClock::time_point deadline) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    return ms.count() < 0 ? 0 : static_cast<int>(std::min<long long>(ms.count(), 1 << 30));
}

// waitpid until `deadline` (none: block); true when the child was reaped.
bool reap(pid_t pid, int& status, std::optional<SteadyClock::time_point> deadline) {
    while (true) {
        pid_t r = waitpid(pid, &status, deadline ? WNOHANG : 0);
        if (r == pid) return true;
        if (r < 0 && errno != EINTR) return true;  // not ours any more: nothing to wait for
        if (deadline) {
            if (ms_until(*deadline) == 0) return false;
            usleep(20 * 1000);
        }
    }
}

// Ends the child's whole process group (a shell's children too): SIGTERM so
// a script can clean up, SIGKILL for what is still there 2 s later.
void end_group(pid_t pid, int& status) {
    kill(-pid, SIGTERM);
    if (!reap(pid, status, SteadyClock::now() + std::chrono::seconds(2))) {
        kill(-pid, SIGKILL);
        reap(pid, status, std::nullopt);
    }
    kill(-pid, SIGKILL);  // a grandchild that ignored SIGTERM after its parent left
}

// A command with a deadline runs in its own process group, so Ctrl-C (the
// terminal signals the foreground group) and a SIGTERM reach this process but
// not the command: a pg_basebackup would copy on after repmgr has gone. While
// such a command runs, a process that kept the default action for SIGINT,
// SIGTERM and SIGHUP (the repmgr command line; repmgrd has handlers of its
// own) ends the command's group first, then dies of the signal as before.
// The group is process-wide state only a signal handler can reach.
std::atomic<pid_t> g_interruptible_group{0};
static_assert(std::atomic<pid_t>::is_always_lock_free);  // async-signal-safe

constexpr int kInterrupts[] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void end_group_and_die(int sig) {
    pid_t group = g_interruptible_group.load();
    if (group > 0) {
        kill(-group, SIGTERM);
        kill(-group, SIGCONT);  // a stopped command sees the SIGTERM too
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

// Installs end_group_and_die for `group` while it lives (see above).
class InterruptForwarding {
public:
    explicit InterruptForwarding(pid_t group) {
        pid_t none = 0;
        // One at a time (repmgrd's threads may run commands concurrently).
        if (!g_interruptible_group.compare_exchange_strong(none, group)) return;
        owner_ = true;
        for (size_t i = 0; i < std::size(kInterrupts); ++i) {
            struct sigaction current {};
            sigaction(kInterrupts[i], nullptr, &current);
            if (current.sa_handler != SIG_DFL || (current.sa_flags & SA_SIGINFO)) continue;
            struct sigaction forward {};
            forward.sa_handler = end_group_and_die;
            sigemptyset(&forward.sa_mask);
            installed_[i] = sigaction(kInterrupts[i], &forward, nullptr) == 0;
        }
    }
    ~InterruptForwarding() {
        if (!owner_) return;
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        for (size_t i = 0; i < std::size(kInterrupts); ++i)
            if (installed_[i]) sigaction(kInterrupts[i], &dfl, nullptr);
        g_interruptible_group.store(0);
    }
    InterruptForwarding(const InterruptForwarding&) = delete;
    InterruptForwarding& operator=(const InterruptForwarding&) = delete;

private:
    bool owner_ = false;
    bool installed_[std::size(kInterrupts)] = {};
};

}  // namespace

void BoundedOutput::append(const char* data, size_t n) {
    size_t to_head = std::min(n, keep_ - std::min(keep_, head_.size()));
    head_.append(data, to_head);
    data += to_head;
    n -= to_head;
    if (n == 0) return;
    tail_.append(data, n);
    if (tail_.size() > keep_) {
        size_t cut = tail_.size() - keep_;
        dropped_ += cut;
        tail_.erase(0, cut);
    }
}

std::string BoundedOutput::str() const {
    if (dropped_ == 0) return head_ + tail_;
    return head_ + fmt::format("\n[... {} bytes of output omitted ...]\n", dropped_) + tail_;
}

ProcessResult run_process(const std::vector<std::string>& argv, const RunOptions& options) {
    ProcessResult result;
    result.timeout_secs = options.timeout_secs;
    result.timeout_setting = options.timeout_setting;
    if (argv.empty()) return result;
    const bool capture = options.capture;
    int pipe_fds[2] = {-1, -1};
    if (capture && pipe2(pipe_fds, O_CLOEXEC) != 0) return result;

    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_strings = child_environment(options.env);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    long open_max = sysconf(_SC_OPEN_MAX);  // here: sysconf is not async-signal-safe
    int max_fd = open_max > 0 && open_max < 65536 ? static_cast<int>(open_max) : 65536;
    const bool own_group = options.timeout_secs > 0;

    pid_t pid = fork();
    if (pid < 0) {
        if (capture) {
            close(pipe_fds[0]);
            close(pipe_fds[1]);
        }
        return result;
    }
    if (pid == 0) {
        // Its own process group, so that a deadline ends the command's
        // children too (sh -c 'curl ... | ...'), not only the shell.
        if (own_group) setpgid(0, 0);
        if (capture) {
            dup2(pipe_fds[1], STDOUT_FILENO);
            dup2(pipe_fds[1], STDERR_FILENO);
        }
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, STDIN_FILENO);
        reset_child_state(max_fd);  // also closes devnull and the pipe's own ends
        execvpe(args[0], args.data(), envp.data());
        const char* msg = "exec failed: ";
        (void)!write(STDERR_FILENO, msg, std::strlen(msg));
        (void)!write(STDERR_FILENO, args[0], std::strlen(args[0]));
        (void)!write(STDERR_FILENO, "\n", 1);
        _exit(127);
    }
    if (own_group) setpgid(pid, pid);  // also here: no race with a kill before the child ran
    std::optional<InterruptForwarding> forwarding;
    if (own_group) forwarding.emplace(pid);
    std::optional<SteadyClock::time_point> deadline;
    if (options.timeout_secs > 0)
        deadline = SteadyClock::now() + std::chrono::seconds(options.timeout_secs);
    bool expired = false;
    if (capture) {
        close(pipe_fds[1]);
        BoundedOutput out;
        char buf[4096];
        while (true) {
            if (deadline) {
                pollfd p{pipe_fds[0], POLLIN, 0};
                int ready = poll(&p, 1, ms_until(*deadline));
                if (ready < 0 && errno == EINTR) continue;
                if (ready == 0) {
                    expired = true;
                    break;
                }
            }
            ssize_t n = read(pipe_fds[0], buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            out.append(buf, static_cast<size_t>(n));
        }
        close(pipe_fds[0]);
        result.output = out.str();
    }
    int status = 0;
    // Output still open at the deadline but the command itself done: what
    // holds the pipe is something it started in the background; leave it.
    bool reaped = expired && reap(pid, status, SteadyClock::now());
    if (!reaped && (expired || !reap(pid, status, deadline))) {
        end_group(pid, status);
        result.timed_out = true;
    }
    result.exit_status = decode_status(status);
    return result;
}

ProcessResult run_argv(const std::vector<std::string>& argv, bool capture) {
    return run_process(argv, RunOptions{.capture = capture});
}

ProcessResult run_shell(const std::string& command, bool capture, int timeout_secs) {
    return run_process({"/bin/sh", "-c", command},
                       RunOptions{.capture = capture, .timeout_secs = timeout_secs});
}

std::optional<std::string> run_capture(const std::string& command) {
    ProcessResult r = run_shell(command, true);
    if (r.exit_status != 0) return std::nullopt;
    return r.output;
}

std::string describe_exit(const ProcessResult& r) {
    if (r.timed_out)
        return fmt::format("killed after {} seconds without finishing ({})", r.timeout_secs,
                           r.timeout_setting.empty() ? "timeout" : r.timeout_setting);
    return fmt::format("exit status {}", r.exit_status);
}

void fail_if_timed_out(const ProcessResult& r, ExitCode code, std::string_view what,
                       std::string_view left_behind) {
    if (!r.timed_out) return;
    std::string setting = r.timeout_setting.empty() ? "the timeout" : r.timeout_setting;
    std::string detail(left_behind);
    std::string output = r.output;
    while (!output.empty() && output.back() == '\n') output.pop_back();
    if (!output.empty()) detail += (detail.empty() ? "" : "\n") + fmt::format("its output:\n{}", output);
    fail(code,
         fmt::format("{} did not finish within {} seconds ({}) and was killed with its process "
                     "group",
                     what, r.timeout_secs, setting),
         detail,
         fmt::format("find out why it hangs (run it by hand, check the server and the network); "
                     "if it only needs longer, raise {} in repmgr.conf",
                     setting));
}

std::string shell_quote(const std::string& value) {
    std::string out = "'";
    for (char ch : value) {
        if (ch == '\'')
            out += "'\\''";
        else
            out += ch;
    }
    return out + "'";
}

std::string shown_command(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) {
        bool plain = !a.empty() && a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                                                       "qrstuvwxyz0123456789_/.,:=+@%-") ==
                                       std::string::npos;
        out += (out.empty() ? "" : " ") + (plain ? a : shell_quote(a));
    }
    return out;
}

std::vector<std::string> split_words(const std::string& text) {
    std::vector<std::string> words;
    std::string current;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        char ch = text[i];
        if (quote) {
            if (ch == quote)
                quote = 0;
            else if (ch == '\\' && quote == '"' && i + 1 < text.size())
                current += text[++i];
            else
                current += ch;
        } else if (ch == '\'' || ch == '"') {
            quote = ch;
            in_word = true;
        } else if (ch == ' ' || ch == '\t' || ch == '\n') {
            if (in_word) words.push_back(current);
            current.clear();
            in_word = false;
        } else if (ch == '\\' && i + 1 < text.size()) {
            current += text[++i];
            in_word = true;
        } else {
            current += ch;
            in_word = true;
        }
    }
    if (in_word) words.push_back(current);
    return words;
}

}  // namespace repmgr
