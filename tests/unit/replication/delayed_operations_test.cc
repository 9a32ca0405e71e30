#include "gregor/replication/delayed_operations.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

namespace gregor::replication {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using storage::TopicPartition;

const TopicPartition kA{"a", 0};
const TopicPartition kB{"b", 0};

struct WaitOutcome {
    std::optional<bool> parked;  // nullopt: not finished
    std::optional<bool> woken;
    Clock::duration waited{};
};

// Parks on `tps` and waits once with `timeout`.
asio::awaitable<void> wait_once(WatchList& list,
                                std::vector<TopicPartition> tps,
                                uint32_t changes,
                                Clock::duration timeout,
                                WaitOutcome& out) {
    auto ex = co_await asio::this_coro::executor;
    auto parked = ParkedOperation::park(list, std::move(tps), changes, ex);
    out.parked = parked.has_value();
    if (!parked) {
        co_return;
    }
    auto start = Clock::now();
    out.woken = co_await parked->wait_until(start + timeout);
    out.waited = Clock::now() - start;
}

// Runs `io` on its own thread until it runs out of work.
struct Runner {
    explicit Runner(asio::io_context& io) : thread([&io] { io.run(); }) {}
    ~Runner() { thread.join(); }
    std::thread thread;
};

TEST(WatchList, ChangeWakesParkedCoroutine) {
    asio::io_context io;
    WatchList list(10);
    WaitOutcome out;
    asio::co_spawn(io, wait_once(list, {kA}, kHighWatermarkChanged, 10s, out), asio::detached);
    io.poll();  // parks and starts waiting
    ASSERT_EQ(out.parked, true);
    EXPECT_EQ(list.size(), 1u);
    std::thread notifier([&] { list.notify(kA, kHighWatermarkChanged); });
    notifier.join();
    io.run();
    EXPECT_EQ(out.woken, true);
    EXPECT_LT(out.waited, 5s);
    EXPECT_EQ(list.size(), 0u);  // removed when the operation completed
    EXPECT_EQ(list.wakeups(), 1u);
}

TEST(WatchList, DeadlineEndsTheWaitAndRemovesTheWatch) {
    asio::io_context io;
    WatchList list(10);
    WaitOutcome out;
    asio::co_spawn(io, wait_once(list, {kA}, kAnyPartitionChange, 50ms, out), asio::detached);
    io.run();
    EXPECT_EQ(out.woken, false);
    EXPECT_GE(out.waited, 50ms);
    EXPECT_EQ(list.size(), 0u);
}

TEST(WatchList, OtherPartitionsAndOtherChangesDoNotWake) {
    asio::io_context io;
    WatchList list(10);
    WaitOutcome out;
    asio::co_spawn(io, wait_once(list, {kA}, kHighWatermarkChanged, 100ms, out), asio::detached);
    io.poll();
    list.notify(kB, kAnyPartitionChange);
    list.notify(kA, kLogEndChanged);
    list.notify({"a", 1}, kHighWatermarkChanged);
    io.run();
    EXPECT_EQ(out.woken, false);
    EXPECT_EQ(list.wakeups(), 0u);
}

TEST(WatchList, AnyOfSeveralPartitionsWakes) {
    asio::io_context io;
    WatchList list(10);
    WaitOutcome out;
    asio::co_spawn(io, wait_once(list, {kA, kB, kA}, kLogEndChanged, 10s, out), asio::detached);
    io.poll();
    list.notify(kB, kLogEndChanged);
    io.run();
    EXPECT_EQ(out.woken, true);
    EXPECT_EQ(list.size(), 0u);
}

TEST(WatchList, ChangeBetweenParkAndWaitIsNotLost) {
    asio::io_context io;
    WatchList list(10);
    std::optional<bool> woken;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            auto ex = co_await asio::this_coro::executor;
            auto parked = ParkedOperation::park(list, {kA}, kAnyPartitionChange, ex);
            // The condition check would run here; meanwhile an append lands.
            list.notify(kA, kLogEndChanged);
            // Let the posted wake-up run before waiting.
            co_await asio::post(ex, asio::use_awaitable);
            EXPECT_TRUE(parked->changed());
            woken = co_await parked->wait_until(Clock::now() + 10s);
        },
        asio::detached);
    auto start = Clock::now();
    io.run();
    EXPECT_EQ(woken, true);
    EXPECT_LT(Clock::now() - start, 5s);
}

TEST(WatchList, LongPollLoopWaitsAgainAfterEachChange) {
    asio::io_context io;
    WatchList list(10);
    int wakes = 0;
    bool timed_out = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            auto ex = co_await asio::this_coro::executor;
            auto parked = ParkedOperation::park(list, {kA}, kHighWatermarkChanged, ex);
            auto deadline = Clock::now() + 300ms;
            while (co_await parked->wait_until(deadline)) {
                ++wakes;
            }
            timed_out = true;
        },
        asio::detached);
    io.poll();
    list.notify(kA, kHighWatermarkChanged);
    io.poll();
    list.notify(kA, kHighWatermarkChanged);
    io.run();
    EXPECT_EQ(wakes, 2);
    EXPECT_TRUE(timed_out);
}

TEST(WatchList, ParkingIsBounded) {
    asio::io_context io;
    WatchList list(2);
    auto noop = [] {};
    auto w1 = list.watch({kA}, kAnyPartitionChange, io.get_executor(), noop);
    auto w2 = list.watch({kB}, kAnyPartitionChange, io.get_executor(), noop);
    ASSERT_TRUE(w1 && w2);
    EXPECT_FALSE(list.watch({kA}, kAnyPartitionChange, io.get_executor(), noop).has_value());
    EXPECT_FALSE(ParkedOperation::park(list, {kA}, kAnyPartitionChange, io.get_executor()));
    EXPECT_EQ(list.rejected(), 2u);
    EXPECT_EQ(list.size(), 2u);
    w1->reset();
    EXPECT_EQ(list.size(), 1u);
    EXPECT_TRUE(list.watch({kA}, kAnyPartitionChange, io.get_executor(), noop).has_value());

    // A coroutine refused a slot answers at once instead of waiting.
    WaitOutcome out;
    auto w3 = list.watch({kA}, kAnyPartitionChange, io.get_executor(), noop);
    asio::co_spawn(io, wait_once(list, {kA}, kAnyPartitionChange, 10s, out), asio::detached);
    io.run();
    EXPECT_EQ(out.parked, false);
}

TEST(WatchList, WakeUpRunsOnTheWatchersOwnExecutor) {
    asio::io_context watcher_io;
    auto guard = asio::make_work_guard(watcher_io);
    std::thread::id watcher_thread;
    std::atomic<bool> ran{false};
    std::thread::id ran_on;
    WatchList list(10);
    std::optional<WatchList::Watch> w;
    {
        Runner runner(watcher_io);
        asio::post(watcher_io, [&] {
            watcher_thread = std::this_thread::get_id();
            w = list.watch({kA}, kAnyPartitionChange, watcher_io.get_executor(), [&] {
                ran_on = std::this_thread::get_id();
                ran = true;
                w->reset();
                guard.reset();
            });
        });
        while (list.size() == 0) {
            std::this_thread::sleep_for(1ms);
        }
        list.notify(kA, kHighWatermarkChanged);  // from this (another) thread
    }
    EXPECT_TRUE(ran);
    EXPECT_EQ(ran_on, watcher_thread);
    EXPECT_NE(ran_on, std::this_thread::get_id());
    EXPECT_EQ(list.size(), 0u);
}

TEST(WatchList, WakeUpsCoalesceWhileOneIsQueued) {
    asio::io_context io;
    WatchList list(10);
    int calls = 0;
    auto w = list.watch({kA}, kAnyPartitionChange, io.get_executor(), [&] { ++calls; });
    for (int i = 0; i < 100; ++i) {
        list.notify(kA, kLogEndChanged);
    }
    io.run();
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(list.wakeups(), 1u);
    io.restart();
    list.notify(kA, kHighWatermarkChanged);
    io.run();
    EXPECT_EQ(calls, 2);
}

TEST(WatchList, NoCallbackAfterTheWatchIsGone) {
    asio::io_context io;
    WatchList list(10);
    int calls = 0;
    auto w = list.watch({kA}, kAnyPartitionChange, io.get_executor(), [&] { ++calls; });
    list.notify(kA, kLogEndChanged);  // queued
    w.reset();
    io.run();
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(list.size(), 0u);
    list.notify(kA, kLogEndChanged);  // nothing registered any more
    io.restart();
    io.run();
    EXPECT_EQ(calls, 0);
}

TEST(WatchList, NotifyAllWakesEveryone) {
    asio::io_context io;
    WatchList list(10);
    WaitOutcome a, b;
    asio::co_spawn(io, wait_once(list, {kA}, kHighWatermarkChanged, 10s, a), asio::detached);
    asio::co_spawn(io, wait_once(list, {kA, kB}, kLogEndChanged, 10s, b), asio::detached);
    io.poll();
    ASSERT_EQ(list.size(), 2u);
    list.notify_all();
    io.run();
    EXPECT_EQ(a.woken, true);
    EXPECT_EQ(b.woken, true);
    EXPECT_EQ(list.wakeups(), 2u);
}

TEST(WatchList, ManyThreadsNotifyingManyParkedOperations) {
    constexpr int kThreads = 2;
    constexpr int kOpsPerThread = 50;
    constexpr int kWakesNeeded = 3;
    WatchList list(kThreads * kOpsPerThread);
    std::vector<std::unique_ptr<asio::io_context>> ios;
    std::atomic<int> done{0};
    std::atomic<int> timed_out{0};
    for (int t = 0; t < kThreads; ++t) {
        ios.push_back(std::make_unique<asio::io_context>());
        for (int i = 0; i < kOpsPerThread; ++i) {
            TopicPartition tp{"t", i % 5};
            asio::co_spawn(
                *ios.back(),
                [&, tp]() -> asio::awaitable<void> {
                    auto ex = co_await asio::this_coro::executor;
                    auto parked = ParkedOperation::park(list, {tp}, kHighWatermarkChanged, ex);
                    auto deadline = Clock::now() + 20s;
                    for (int n = 0; n < kWakesNeeded; ++n) {
                        if (!co_await parked->wait_until(deadline)) {
                            ++timed_out;
                            break;
                        }
                    }
                    ++done;
                },
                asio::detached);
        }
    }
    {
        std::vector<std::unique_ptr<Runner>> runners;
        for (auto& io : ios) {
            runners.push_back(std::make_unique<Runner>(*io));
        }
        std::thread notifier([&] {
            while (done < kThreads * kOpsPerThread) {
                for (int p = 0; p < 5; ++p) {
                    list.notify({"t", p}, kHighWatermarkChanged);
                }
                std::this_thread::sleep_for(1ms);
            }
        });
        notifier.join();
    }
    EXPECT_EQ(done.load(), kThreads * kOpsPerThread);
    EXPECT_EQ(timed_out.load(), 0);
    EXPECT_EQ(list.size(), 0u);
}

}  // namespace
}  // namespace gregor::replication
