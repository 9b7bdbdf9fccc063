#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "notify/events.hpp"
#include "util/log.hpp"

namespace repmgr {

// repmgrd's event notifications, off the decision path: the loop (a failover
// included) only appends to this queue; one worker thread runs the commands
// in the order of their events, each with its deadline. When the queue is
// full (the command hangs or is slow and events keep coming) the oldest
// waiting notification is dropped with a warning: the repl_events row was
// written anyway, only its command is lost.
class NotificationQueue : public NotificationSink {
public:
    using Runner = std::function<void(const Notification&, Logger&)>;
    static constexpr size_t kDefaultCapacity = 100;
    // Once stopping, what is still queued gets this many seconds in all
    // (repmgrd must exit within a service manager's stop timeout).
    static constexpr int kShutdownBudgetSecs = 10;

    explicit NotificationQueue(Logger& log, size_t capacity = kDefaultCapacity,
                               Runner runner = run_notification);
    // Runs what is still queued within kShutdownBudgetSecs (each command with
    // at most its own deadline and what is left of the budget), then stops.
    ~NotificationQueue() override;
    NotificationQueue(const NotificationQueue&) = delete;
    NotificationQueue& operator=(const NotificationQueue&) = delete;

    void submit(Notification n) override;
    size_t dropped() const;

private:
    void work();

    Logger& log_;
    size_t capacity_;
    Runner runner_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Notification> queue_;
    size_t dropped_ = 0;
    bool stopping_ = false;
    std::chrono::steady_clock::time_point stop_deadline_;
    std::thread worker_;  // last: starts after everything it uses
};

}  // namespace repmgr
