#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace repmgr::http {

// What one HTTP connection may cost repmgrd. cpp-httplib's own timeouts are
// per read, so a client sending a byte a second would hold a worker for as
// long as it likes; these bound the connection as a whole.
struct ConnectionLimits {
    std::chrono::milliseconds deadline{3000};  // accept to last byte written
    std::size_t max_request_bytes = 16 * 1024;  // request line and all headers
};

// A plain TCP connection for httplib's request parser with one deadline for
// the whole exchange and a cap on the bytes read: past either, reads and
// writes fail and the library drops the connection.
class DeadlineStream : public httplib::Stream {
public:
    DeadlineStream(int fd, const ConnectionLimits& limits);

    bool is_readable() const override;
    bool is_writable() const override;
    ssize_t read(char* ptr, std::size_t size) override;
    ssize_t write(const char* ptr, std::size_t size) override;
    void get_remote_ip_and_port(std::string& ip, int& port) const override;
    void get_local_ip_and_port(std::string& ip, int& port) const override;
    int socket() const override { return fd_; }

    // Waits until fd is ready for `events` (POLLIN/POLLOUT) or the deadline passes.
    bool wait_for(short events) const;
    bool expired() const;

private:
    int fd_;
    std::chrono::steady_clock::time_point deadline_;
    std::size_t read_left_;
};

// A fixed set of workers with a short waiting line. When every worker is busy
// and the line is full, enqueue() blocks the accepting thread, so further
// clients wait in the kernel's backlog instead of in repmgrd's memory.
class BoundedPool : public httplib::TaskQueue {
public:
    BoundedPool(std::size_t workers, std::size_t max_waiting);
    ~BoundedPool() override;
    void enqueue(std::function<void()> fn) override;
    void shutdown() override;

private:
    void work();

    std::size_t max_waiting_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::function<void()>> jobs_;
    bool shutting_down_ = false;
    std::vector<std::thread> threads_;
};

// Marks a descriptor close-on-exec, so that pg_ctl, the postmaster it starts
// and every other command repmgrd runs do not inherit it.
void set_cloexec(int fd);

}  // namespace repmgr::http
