#include "util/http/conn.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace repmgr::http {
namespace {

using Clock = std::chrono::steady_clock;

void address_of(const sockaddr_storage& sa, std::string& ip, int& port) {
    char text[INET6_ADDRSTRLEN] = {};
    if (sa.ss_family == AF_INET) {
        const auto& in = reinterpret_cast<const sockaddr_in&>(sa);
        inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
        port = ntohs(in.sin_port);
    } else if (sa.ss_family == AF_INET6) {
        const auto& in6 = reinterpret_cast<const sockaddr_in6&>(sa);
        inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
        port = ntohs(in6.sin6_port);
    }
    ip = text;
}

}  // namespace

void set_cloexec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

DeadlineStream::DeadlineStream(int fd, const ConnectionLimits& limits)
    : fd_(fd), deadline_(Clock::now() + limits.deadline), read_left_(limits.max_request_bytes) {}

bool DeadlineStream::expired() const { return Clock::now() >= deadline_; }

bool DeadlineStream::wait_for(short events) const {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_, events, 0};
        int n = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
        if (n > 0) return true;  // ready, or an error the next call reports
        if (n < 0 && errno != EINTR) return false;
    }
}

bool DeadlineStream::is_readable() const { return read_left_ > 0 && wait_for(POLLIN); }

bool DeadlineStream::is_writable() const { return wait_for(POLLOUT); }

ssize_t DeadlineStream::read(char* ptr, std::size_t size) {
    // The budget covers the request line and headers (bodies are refused by
    // the payload limit): a client streaming headers is cut off, not buffered.
    if (read_left_ == 0 || !wait_for(POLLIN)) return -1;
    ssize_t n;
    do n = ::recv(fd_, ptr, std::min(size, read_left_), 0);
    while (n < 0 && errno == EINTR);
    if (n > 0) read_left_ -= static_cast<std::size_t>(n);
    return n;
}

ssize_t DeadlineStream::write(const char* ptr, std::size_t size) {
    if (!wait_for(POLLOUT)) return -1;
    ssize_t n;
    // MSG_NOSIGNAL: a client that went away must not raise SIGPIPE in repmgrd.
    do n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
}

void DeadlineStream::get_remote_ip_and_port(std::string& ip, int& port) const {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&sa), &len) == 0) address_of(sa, ip, port);
}

void DeadlineStream::get_local_ip_and_port(std::string& ip, int& port) const {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) == 0) address_of(sa, ip, port);
}

BoundedPool::BoundedPool(std::size_t workers, std::size_t max_waiting) : max_waiting_(max_waiting) {
    for (std::size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

BoundedPool::~BoundedPool() { shutdown(); }

void BoundedPool::enqueue(std::function<void()> fn) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return jobs_.size() < max_waiting_ || shutting_down_; });
    // Even when shutting down the job runs: it owns the accepted socket and closes it.
    jobs_.push_back(std::move(fn));
    changed_.notify_all();
}

void BoundedPool::shutdown() {
    {
        std::lock_guard lock(mutex_);
        shutting_down_ = true;
    }
    changed_.notify_all();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
}

void BoundedPool::work() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [this] { return !jobs_.empty() || shutting_down_; });
            if (jobs_.empty()) return;  // shutting down with nothing left
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        changed_.notify_all();  // room in the line for the accepting thread
        job();
    }
}

}  // namespace repmgr::http
