// repmgrd's notifications run off the decision path: submit() never waits
// for a command, commands run in event order, a full queue drops the oldest.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "notify/queue.hpp"

namespace repmgr {
namespace {

using Clock = std::chrono::steady_clock;

Notification note(const std::string& event) { return Notification{event, "true", 1}; }

TEST(NotificationQueue, RunsInOrderAndDrainsOnDestruction) {
    Logger log;
    std::mutex m;
    std::vector<std::string> ran;
    {
        NotificationQueue q(log, 10, [&](const Notification& n, Logger&) {
            std::lock_guard lock(m);
            ran.push_back(n.event);
        });
        for (auto e : {"a", "b", "c"}) q.submit(note(e));
    }
    EXPECT_EQ(ran, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(NotificationQueue, SubmitNeverWaitsForAHungCommand) {
    Logger log;
    log.set_level(LogLevel::Crit);
    std::promise<void> release, started;
    std::shared_future<void> released = release.get_future().share();
    std::mutex m;
    std::vector<std::string> ran;
    {
        NotificationQueue q(log, 2, [&](const Notification& n, Logger&) {
            if (n.event == "hang") {
                started.set_value();
                released.wait();
            }
            std::lock_guard lock(m);
            ran.push_back(n.event);
        });
        auto start = Clock::now();
        q.submit(note("hang"));
        started.get_future().wait();  // the worker is inside the hung command
        for (auto e : {"e1", "e2", "e3", "e4"}) q.submit(note(e));
        EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
        EXPECT_EQ(q.dropped(), 2u);  // capacity 2: e1 and e2 gave way to e3 and e4
        release.set_value();
    }
    EXPECT_EQ(ran, (std::vector<std::string>{"hang", "e3", "e4"}));
}

TEST(NotificationQueue, RealCommandWithDeadline) {
    Logger log;
    log.set_level(LogLevel::Crit);
    auto start = Clock::now();
    {
        NotificationQueue q(log);
        q.submit(Notification{"slow", "sleep 1000", 1});
        EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(500));
    }  // the destructor waits for the command: its deadline ends it
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace repmgr
