#include "util/process.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

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

}  // namespace

ProcessResult run_argv(const std::vector<std::string>& argv, bool capture) {
    ProcessResult result;
    if (argv.empty()) return result;
    int pipe_fds[2] = {-1, -1};
    if (capture && pipe2(pipe_fds, O_CLOEXEC) != 0) return result;

    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    long open_max = sysconf(_SC_OPEN_MAX);  // here: sysconf is not async-signal-safe
    int max_fd = open_max > 0 && open_max < 65536 ? static_cast<int>(open_max) : 65536;

    pid_t pid = fork();
    if (pid < 0) {
        if (capture) {
            close(pipe_fds[0]);
            close(pipe_fds[1]);
        }
        return result;
    }
    if (pid == 0) {
        if (capture) {
            dup2(pipe_fds[1], STDOUT_FILENO);
            dup2(pipe_fds[1], STDERR_FILENO);
        }
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, STDIN_FILENO);
        reset_child_state(max_fd);  // also closes devnull and the pipe's own ends
        execvp(args[0], args.data());
        const char* msg = "exec failed: ";
        (void)!write(STDERR_FILENO, msg, std::strlen(msg));
        (void)!write(STDERR_FILENO, args[0], std::strlen(args[0]));
        (void)!write(STDERR_FILENO, "\n", 1);
        _exit(127);
    }
    if (capture) {
        close(pipe_fds[1]);
        char buf[4096];
        ssize_t n;
        while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
            if (n > 0) result.output.append(buf, static_cast<size_t>(n));
        close(pipe_fds[0]);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_status = decode_status(status);
    return result;
}

ProcessResult run_shell(const std::string& command, bool capture) {
    return run_argv({"/bin/sh", "-c", command}, capture);
}

std::optional<std::string> run_capture(const std::string& command) {
    ProcessResult r = run_shell(command, true);
    if (r.exit_status != 0) return std::nullopt;
    return r.output;
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
