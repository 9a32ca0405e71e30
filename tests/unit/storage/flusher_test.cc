#include "gregor/storage/flusher.h"

#include "gregor/protocol/record_batch.h"
#include "gregor/storage/log.h"

#include "storage_test_util.h"
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace gregor::storage {
namespace {

namespace fs = std::filesystem;

// Collects callback results in completion order.
struct Completions {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::pair<int, Result<int64_t>>> done;

    Flusher::Callback callback(int id) {
        return [this, id](Result<int64_t> r) {
            std::lock_guard lock(mutex);
            done.emplace_back(id, std::move(r));
            cv.notify_all();
        };
    }
    bool wait_for(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, timeout, [&] { return done.size() >= n; });
    }
    size_t count() {
        std::lock_guard lock(mutex);
        return done.size();
    }
};

class FlusherTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::random_device rd;
        root_ = fs::temp_directory_path() / ("gregor-flusher-" + std::to_string(rd()));
        fs::create_directories(root_);
    }
    void TearDown() override {
        logs_.clear();
        fs::remove_all(root_);
    }

    std::shared_ptr<Log> open_log(const std::string& topic, int batches) {
        TopicPartition tp{topic, 0};
        LogOpenOptions options;
        options.had_clean_shutdown = true;
        auto log = Log::open(root_ / tp.dir_name(), tp, options);
        EXPECT_TRUE(log) << (log ? "" : log.error().message);
        std::shared_ptr<Log> shared(std::move(log).value());
        for (int i = 0; i < batches; ++i) {
            auto batch = testing::make_batch(1, 1000 + i);
            auto appended = shared->append_as_leader(batch, 0);
            EXPECT_TRUE(appended) << (appended ? "" : appended.error().message);
        }
        logs_.push_back(shared);
        return shared;
    }

    fs::path root_;
    std::vector<std::shared_ptr<Log>> logs_;
};

TEST_F(FlusherTest, ManyWaitersShareOneFlush) {
    auto log = open_log("t", 50);
    ASSERT_EQ(log->log_end_offset(), 50);
    ASSERT_LT(log->recovery_point(), 50);
    Flusher flusher(FlusherConfig{});
    Completions c;
    for (int i = 0; i < 50; ++i) {
        flusher.request_flush(log, i + 1, c.callback(i));
    }
    EXPECT_EQ(flusher.pending(), 50u);
    flusher.start();
    ASSERT_TRUE(c.wait_for(50));
    FlusherStats stats = flusher.stats();
    EXPECT_EQ(stats.rounds, 1u);
    EXPECT_EQ(stats.flush_calls, 1u) << "one fdatasync round for every waiter";
    EXPECT_EQ(stats.requests, 50u);
    EXPECT_EQ(log->recovery_point(), 50);
    std::lock_guard lock(c.mutex);
    for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(c.done[i].first, i) << "waiters complete in the order they asked";
        ASSERT_TRUE(c.done[i].second);
        EXPECT_GE(*c.done[i].second, i + 1);
    }
}

TEST_F(FlusherTest, OneFlushPerDirtyLog) {
    auto a = open_log("a", 3);
    auto b = open_log("b", 4);
    Flusher flusher(FlusherConfig{});
    Completions c;
    for (int i = 0; i < 10; ++i) {
        flusher.request_flush(i % 2 ? a : b, i % 2 ? 3 : 4, c.callback(i));
    }
    flusher.start();
    ASSERT_TRUE(c.wait_for(10));
    EXPECT_EQ(flusher.stats().flush_calls, 2u);
    EXPECT_EQ(a->recovery_point(), 3);
    EXPECT_EQ(b->recovery_point(), 4);
}

TEST_F(FlusherTest, AlreadyDurableOffsetsSkipTheFlush) {
    auto log = open_log("t", 5);
    ASSERT_TRUE(log->flush(5));
    Flusher flusher(FlusherConfig{});
    flusher.start();
    Completions c;
    flusher.request_flush(log, 3, c.callback(0));
    ASSERT_TRUE(c.wait_for(1));
    FlusherStats stats = flusher.stats();
    EXPECT_EQ(stats.flush_calls, 0u);
    EXPECT_EQ(stats.flushes_skipped, 1u);
    std::lock_guard lock(c.mutex);
    ASSERT_TRUE(c.done[0].second);
    EXPECT_EQ(*c.done[0].second, 5);
}

TEST_F(FlusherTest, IdleFlusherServesARequestAtOnce) {
    auto log = open_log("t", 2);
    FlusherConfig config;
    config.tick_ms = 60000;  // a round may not start sooner than this after the previous one
    Flusher flusher(config);
    flusher.start();
    Completions c;
    auto t0 = std::chrono::steady_clock::now();
    flusher.request_flush(log, 2, c.callback(0));
    ASSERT_TRUE(c.wait_for(1, std::chrono::seconds(5))) << "the first request must not wait a tick";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    // A second request right away waits for the tick; stop() then completes it with closed.
    flusher.request_flush(log, 2, c.callback(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(c.count(), 1u);
    flusher.stop();
    ASSERT_TRUE(c.wait_for(2));
    std::lock_guard lock(c.mutex);
    ASSERT_FALSE(c.done[1].second);
    EXPECT_EQ(c.done[1].second.error().code, Errc::closed);
}

TEST_F(FlusherTest, RequestsGatherWhileARoundIsDue) {
    auto log = open_log("t", 20);
    FlusherConfig config;
    config.tick_ms = 500;  // ample time to queue the 19 requests below, even on a loaded machine
    Flusher flusher(config);
    flusher.start();
    Completions c;
    flusher.request_flush(log, 1, c.callback(0));
    ASSERT_TRUE(c.wait_for(1));
    for (int i = 1; i < 20; ++i) {
        flusher.request_flush(log, i + 1, c.callback(i));
    }
    ASSERT_TRUE(c.wait_for(20));
    FlusherStats stats = flusher.stats();
    EXPECT_EQ(stats.rounds, 2u) << "the 19 later requests wait for one shared round";
    EXPECT_EQ(stats.flush_calls, 2u);
}

TEST_F(FlusherTest, StopCompletesPendingWaitersWithClosed) {
    auto log = open_log("t", 3);
    Completions c;
    {
        Flusher flusher(FlusherConfig{});
        for (int i = 0; i < 5; ++i) {
            flusher.request_flush(log, 3, c.callback(i));
        }
        flusher.stop();
        ASSERT_EQ(c.count(), 5u);
        flusher.request_flush(log, 3, c.callback(5));  // after stop: closed at once
        ASSERT_EQ(c.count(), 6u);
    }
    std::lock_guard lock(c.mutex);
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(c.done[i].first, i);
        ASSERT_FALSE(c.done[i].second);
        EXPECT_EQ(c.done[i].second.error().code, Errc::closed);
    }
    EXPECT_EQ(log->recovery_point() < 3, true) << "nothing was flushed";
}

TEST_F(FlusherTest, FullQueueBlocksTheCallerUntilThereIsRoom) {
    auto log = open_log("t", 3);
    FlusherConfig config;
    config.max_pending = 2;
    Flusher flusher(config);
    Completions c;
    flusher.request_flush(log, 1, c.callback(0));
    flusher.request_flush(log, 2, c.callback(1));
    std::atomic<bool> queued{false};
    std::thread producer([&] {
        flusher.request_flush(log, 3, c.callback(2));
        queued = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(queued.load()) << "the third request waits for room";
    EXPECT_EQ(flusher.pending(), 2u);
    flusher.start();
    producer.join();
    ASSERT_TRUE(c.wait_for(3));
    EXPECT_EQ(log->recovery_point(), 3);
}

TEST_F(FlusherTest, TryRequestRefusesWhenFull) {
    auto log = open_log("t", 3);
    FlusherConfig config;
    config.max_pending = 2;
    Flusher flusher(config);
    Completions c;
    EXPECT_TRUE(flusher.try_request_flush(log, 1, c.callback(0)));
    EXPECT_TRUE(flusher.try_request_flush(log, 2, c.callback(1)));
    EXPECT_FALSE(flusher.try_request_flush(log, 3, c.callback(2))) << "full: refused, never blocks";
    flusher.start();
    ASSERT_TRUE(c.wait_for(2));
    EXPECT_TRUE(flusher.try_request_flush(log, 3, c.callback(3)));
    ASSERT_TRUE(c.wait_for(3));
    std::lock_guard lock(c.mutex);
    EXPECT_EQ(c.done.size(), 3u);
    EXPECT_EQ(c.done[2].first, 3) << "the refused callback was never called";
}

TEST_F(FlusherTest, CallbackMayRequestAgain) {
    auto log = open_log("t", 3);
    FlusherConfig config;
    config.max_pending = 1;
    Flusher flusher(config);
    flusher.start();
    Completions c;
    flusher.request_flush(log, 1, [&](Result<int64_t> r) {
        ASSERT_TRUE(r);
        flusher.request_flush(log, 3, c.callback(1));  // from the flusher thread: never blocks
    });
    ASSERT_TRUE(c.wait_for(1));
    EXPECT_EQ(log->recovery_point(), 3);
}

TEST_F(FlusherTest, FailedFlushFailsItsWaitersAndReportsTheError) {
    auto healthy = open_log("ok", 2);
    auto broken = open_log("broken", 2);
    broken->close();
    std::atomic<int> errors{0};
    FlusherConfig config;
    config.on_error = [&](Log& log, const Error&) {
        EXPECT_EQ(log.topic_partition().topic, "broken");
        ++errors;
    };
    Flusher flusher(config);
    Completions c;
    // Past the log end, so even a log whose close() flushed everything needs a flush call.
    flusher.request_flush(broken, 100, c.callback(0));
    flusher.request_flush(healthy, 2, c.callback(1));
    flusher.request_flush(broken, 100, c.callback(2));
    flusher.start();
    ASSERT_TRUE(c.wait_for(3));
    EXPECT_EQ(errors.load(), 1);
    std::lock_guard lock(c.mutex);
    EXPECT_FALSE(c.done[0].second);
    EXPECT_TRUE(c.done[1].second);
    EXPECT_FALSE(c.done[2].second);
}

}  // namespace
}  // namespace gregor::storage
