#include "notify/queue.hpp"

#include <utility>

namespace repmgr {

NotificationQueue::NotificationQueue(Logger& log, size_t capacity, Runner runner)
    : log_(log),
      capacity_(capacity == 0 ? 1 : capacity),
      runner_(std::move(runner)),
      worker_([this] { work(); }) {}

NotificationQueue::~NotificationQueue() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        stop_deadline_ =
            std::chrono::steady_clock::now() + std::chrono::seconds(kShutdownBudgetSecs);
    }
    wake_.notify_one();
    worker_.join();
}

void NotificationQueue::submit(Notification n) {
    std::string dropped_event;
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= capacity_) {
            dropped_event = queue_.front().event;
            queue_.pop_front();
            ++dropped_;
        }
        queue_.push_back(std::move(n));
    }
    wake_.notify_one();
    if (!dropped_event.empty()) {
        log_.warning(
            "event notification queue full ({} waiting): the notification for \"{}\" "
            "was dropped",
            capacity_, dropped_event);
        log_.hint(
            "event_notification_command is slow or hangs: make it return promptly or "
            "lower event_notification_timeout; the event itself is in repl_events");
    }
}

size_t NotificationQueue::dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
}

void NotificationQueue::work() {
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nothing left to run
        Notification n = std::move(queue_.front());
        queue_.pop_front();
        if (stopping_) {
            auto left = std::chrono::duration_cast<std::chrono::seconds>(
                            stop_deadline_ - std::chrono::steady_clock::now())
                            .count();
            if (left < 1) {
                size_t lost = queue_.size() + 1;
                queue_.clear();
                lock.unlock();
                log_.warning("shutting down: {} event notification(s) not run (no time left)",
                             lost);
                return;
            }
            if (n.timeout_secs <= 0 || n.timeout_secs > left)
                n.timeout_secs = static_cast<int>(left);
        }
        lock.unlock();
        runner_(n, log_);
        lock.lock();
    }
}

}  // namespace repmgr
