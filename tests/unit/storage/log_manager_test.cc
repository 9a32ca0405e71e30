#include "gregor/storage/log_manager.h"

#include "gregor/protocol/record_batch.h"
#include "gregor/storage/checkpoint.h"
#include "gregor/storage/file_cache.h"

#include "storage_test_util.h"
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace gregor::storage {
namespace {

namespace fs = std::filesystem;

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
}

class LogManagerTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::random_device rd;
        root_ = fs::temp_directory_path() / ("gregor-logmgr-" + std::to_string(rd()));
        fs::create_directories(root_);
        dir_a_ = root_ / "a";
        dir_b_ = root_ / "b";
    }
    void TearDown() override { fs::remove_all(root_); }

    LogManagerConfig config(std::vector<fs::path> dirs) {
        LogManagerConfig c;
        c.log_dirs = std::move(dirs);
        c.clock = [this] { return now_.load(); };
        c.scheduler_poll_ms = 5;
        c.initial_task_delay_ms = 0;
        c.flusher.tick_ms = 1;
        return c;
    }

    // Timestamps default to the injected clock's now, so retention never finds them expired.
    void append(Log& log, int batches, std::optional<int64_t> timestamp = std::nullopt) {
        for (int i = 0; i < batches; ++i) {
            auto batch = testing::make_batch(1, timestamp.value_or(now_.load()));
            auto appended = log.append_as_leader(batch, 0);
            ASSERT_TRUE(appended) << appended.error().message;
        }
    }

    static std::shared_ptr<Log> must_get(LogManager& m, const TopicPartition& tp) {
        auto log = m.get(tp);
        EXPECT_TRUE(log) << (log ? "" : log.error().message);
        return log ? *log : nullptr;
    }

    static int count_delete_dirs(const fs::path& dir) {
        int n = 0;
        for (const auto& e : fs::directory_iterator(dir)) {
            if (e.path().filename().string().ends_with("-delete")) {
                ++n;
            }
        }
        return n;
    }

    fs::path root_, dir_a_, dir_b_;
    std::atomic<int64_t> now_{1'700'000'000'000};
    const TopicPartition t0_{"orders", 0};
    const TopicPartition t1_{"orders", 1};
};

TEST_F(LogManagerTest, StartupCreatesMissingDirs) {
    LogManager m(config({dir_a_, dir_b_}));
    auto summary = m.startup();
    ASSERT_TRUE(summary) << summary.error().message;
    EXPECT_EQ(summary->logs_loaded, 0);
    ASSERT_EQ(summary->dirs.size(), 2u);
    EXPECT_FALSE(summary->dirs[0].offline);
    EXPECT_TRUE(fs::is_directory(dir_a_));
    EXPECT_TRUE(fs::is_directory(dir_b_));
    EXPECT_TRUE(m.offline_dirs().empty());
    auto dirs = m.log_dirs();
    ASSERT_EQ(dirs.size(), 2u);
    EXPECT_EQ(dirs[0].path, dir_a_);
    EXPECT_TRUE(dirs[0].partitions.empty());
    EXPECT_GT(dirs[0].total_bytes, 0);
    EXPECT_TRUE(m.all_logs().empty());
}

TEST_F(LogManagerTest, CreateGetAndBalanceAcrossDirs) {
    LogManager m(config({dir_a_, dir_b_}));
    ASSERT_TRUE(m.startup());
    EXPECT_EQ(m.get(t0_).error().code, Errc::not_found);

    protocol::Uuid id = protocol::Uuid::random();
    auto a = m.get_or_create(t0_, LogConfig{}, id);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ((*a)->dir(), dir_a_ / "orders-0");
    EXPECT_EQ(must_get(m, t0_), *a);
    auto again = m.get_or_create(t0_, LogConfig{});
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *a) << "an existing log is returned, not recreated";
    auto meta = read_partition_metadata(dir_a_ / "orders-0");
    ASSERT_TRUE(meta && meta->has_value());
    EXPECT_EQ(**meta, id);
    EXPECT_EQ(m.topic_id(t0_), id);

    auto b = m.get_or_create(t1_, LogConfig{});
    ASSERT_TRUE(b);
    EXPECT_EQ((*b)->dir(), dir_b_ / "orders-1")
        << "new logs go to the dir with the fewest partitions";
    EXPECT_FALSE(fs::exists(dir_b_ / "orders-1" / kPartitionMetadataFile));
    EXPECT_EQ(m.all_logs().size(), 2u);

    append(**a, 3);
    auto dirs = m.log_dirs();
    ASSERT_EQ(dirs[0].partitions.size(), 1u);
    EXPECT_EQ(dirs[0].partitions[0].first, t0_);
    EXPECT_GT(dirs[0].partitions[0].second, 0);
}

TEST_F(LogManagerTest, TopicIdIsAssignedOnceAndChecked) {
    LogManager m(config({dir_a_}));
    ASSERT_TRUE(m.startup());
    ASSERT_TRUE(m.get_or_create(t0_, LogConfig{}));
    EXPECT_EQ(m.topic_id(t0_), std::nullopt);
    protocol::Uuid id = protocol::Uuid::random();
    ASSERT_TRUE(m.get_or_create(t0_, LogConfig{}, id));
    EXPECT_EQ(m.topic_id(t0_), id);
    auto meta = read_partition_metadata(dir_a_ / "orders-0");
    ASSERT_TRUE(meta && meta->has_value());
    EXPECT_EQ(**meta, id);
    ASSERT_TRUE(m.get_or_create(t0_, LogConfig{}, id)) << "the same id again is fine";
    auto other = m.get_or_create(t0_, LogConfig{}, protocol::Uuid::random());
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, Errc::corruption);
}

TEST_F(LogManagerTest, RemoveRenamesThenDeletesLater) {
    auto c = config({dir_a_});
    c.file_delete_delay_ms = 60000;
    LogManager m(c);
    ASSERT_TRUE(m.startup());
    auto log = m.get_or_create(t0_, LogConfig{});
    ASSERT_TRUE(log);
    append(**log, 2);
    ASSERT_TRUE(m.remove(t0_));
    EXPECT_EQ(m.get(t0_).error().code, Errc::not_found);
    EXPECT_EQ(m.remove(t0_).error().code, Errc::not_found);
    EXPECT_FALSE(fs::exists(dir_a_ / "orders-0"));
    EXPECT_EQ(count_delete_dirs(dir_a_), 1);
    EXPECT_EQ((*log)->append_as_leader(testing::make_batch(1, now_.load()), 0).error().code,
              Errc::closed);

    m.run_due_tasks();
    EXPECT_EQ(count_delete_dirs(dir_a_), 1) << "kept for file.delete.delay.ms";
    now_ += 60000;
    ASSERT_TRUE(eventually([&] { return count_delete_dirs(dir_a_) == 0; }));

    // The name can be reused at once.
    auto fresh = m.get_or_create(t0_, LogConfig{});
    ASSERT_TRUE(fresh);
    EXPECT_EQ((*fresh)->log_end_offset(), 0);
}

TEST_F(LogManagerTest, RestartReloadsLogsWithTheirData) {
    protocol::Uuid id = protocol::Uuid::random();
    {
        LogManager m(config({dir_a_, dir_b_}));
        ASSERT_TRUE(m.startup());
        auto a = m.get_or_create(t0_, LogConfig{}, id);
        auto b = m.get_or_create(t1_, LogConfig{});
        ASSERT_TRUE(a && b);
        append(**a, 5);
        append(**b, 7);
        m.shutdown();
        EXPECT_EQ((*a)->append_as_leader(testing::make_batch(1, now_.load()), 0).error().code,
                  Errc::closed);
    }
    EXPECT_TRUE(clean_shutdown_marker_exists(dir_a_));
    EXPECT_TRUE(clean_shutdown_marker_exists(dir_b_));
    auto rp = read_offset_checkpoint(dir_a_ / kRecoveryPointCheckpointFile);
    ASSERT_TRUE(rp);
    EXPECT_EQ(*rp, (OffsetMap{{t0_, 5}}));
    auto ls = read_offset_checkpoint(dir_b_ / kLogStartOffsetCheckpointFile);
    ASSERT_TRUE(ls);
    EXPECT_EQ(*ls, (OffsetMap{{t1_, 0}}));

    LogManager m(config({dir_a_, dir_b_}));
    auto summary = m.startup();
    ASSERT_TRUE(summary) << summary.error().message;
    EXPECT_EQ(summary->logs_loaded, 2);
    EXPECT_GT(summary->bytes, 0);
    EXPECT_TRUE(summary->dirs[0].had_clean_shutdown);
    EXPECT_FALSE(clean_shutdown_marker_exists(dir_a_)) << "removed so that a crash is detected";
    auto a = must_get(m, t0_);
    auto b = must_get(m, t1_);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->log_end_offset(), 5);
    EXPECT_EQ(b->log_end_offset(), 7);
    EXPECT_EQ(a->dir(), dir_a_ / "orders-0");
    EXPECT_EQ(m.topic_id(t0_), id);
    EXPECT_EQ(m.topic_id(t1_), std::nullopt);
    // And the log keeps working.
    append(*a, 1);
    EXPECT_EQ(a->log_end_offset(), 6);
}

TEST_F(LogManagerTest, CleanShutdownSkipsRecoveryAndItsAbsenceTriggersIt) {
    {
        LogManager m(config({dir_a_}));
        ASSERT_TRUE(m.startup());
        auto log = m.get_or_create(t0_, LogConfig{});
        ASSERT_TRUE(log);
        append(**log, 4);
    }  // the destructor shuts down cleanly
    {
        LogManager m(config({dir_a_}));
        auto summary = m.startup();
        ASSERT_TRUE(summary);
        EXPECT_TRUE(summary->dirs[0].had_clean_shutdown);
        EXPECT_EQ(summary->dirs[0].bytes_validated, 0) << "nothing revalidated after a clean stop";
        EXPECT_EQ(summary->dirs[0].logs_truncated, 0);
        // Crash: no shutdown. Simulate it on disk: no marker, a checkpoint from before the
        // appends, and a torn batch at the end of the segment.
        m.shutdown();
    }
    ASSERT_TRUE(remove_clean_shutdown_marker(dir_a_));
    ASSERT_TRUE(write_offset_checkpoint(dir_a_ / kRecoveryPointCheckpointFile, {{t0_, 0}}));
    const fs::path segment = dir_a_ / "orders-0" / "00000000000000000000.log";
    const auto clean_size = fs::file_size(segment);
    {
        auto torn = testing::make_batch(1, 5);
        torn.resize(torn.size() / 2);
        std::ofstream out(segment, std::ios::binary | std::ios::app);
        out.write(reinterpret_cast<const char*>(torn.data()),
                  static_cast<std::streamsize>(torn.size()));
    }
    LogManager m(config({dir_a_}));
    auto summary = m.startup();
    ASSERT_TRUE(summary) << summary.error().message;
    EXPECT_FALSE(summary->dirs[0].had_clean_shutdown);
    EXPECT_GT(summary->dirs[0].bytes_validated, 0) << "recovery ran";
    EXPECT_EQ(summary->dirs[0].logs_truncated, 1);
    EXPECT_GT(summary->dirs[0].bytes_truncated, 0);
    auto log = must_get(m, t0_);
    ASSERT_TRUE(log);
    EXPECT_EQ(log->log_end_offset(), 4);
    EXPECT_EQ(fs::file_size(segment), clean_size) << "the torn tail is cut";
}

TEST_F(LogManagerTest, UnusableDirIsOfflineAtStartupWhileTheOtherServes) {
    std::ofstream(root_ / "not-a-dir") << "x";  // a file where a dir should be (root ignores chmod)
    std::vector<fs::path> offline_seen;
    auto c = config({root_ / "not-a-dir", dir_a_});
    c.on_dir_offline = [&](const fs::path& p, const std::string&) { offline_seen.push_back(p); };
    LogManager m(c);
    auto summary = m.startup();
    ASSERT_TRUE(summary) << summary.error().message;
    EXPECT_TRUE(summary->dirs[0].offline);
    EXPECT_FALSE(summary->dirs[0].error.empty());
    EXPECT_FALSE(summary->dirs[1].offline);
    EXPECT_EQ(m.offline_dirs(), (std::vector<fs::path>{root_ / "not-a-dir"}));
    EXPECT_EQ(offline_seen, (std::vector<fs::path>{root_ / "not-a-dir"}));
    for (int p = 0; p < 3; ++p) {
        auto log = m.get_or_create(TopicPartition{"t", p}, LogConfig{});
        ASSERT_TRUE(log) << log.error().message;
        EXPECT_EQ((*log)->dir().parent_path(), dir_a_);
    }
    auto dirs = m.log_dirs();
    EXPECT_TRUE(dirs[0].offline);
    EXPECT_EQ(dirs[1].partitions.size(), 3u);
}

TEST_F(LogManagerTest, StartupFailsWhenEveryDirIsUnusable) {
    std::ofstream(root_ / "f1") << "x";
    LogManager m(config({root_ / "f1"}));
    auto summary = m.startup();
    ASSERT_FALSE(summary);
    EXPECT_EQ(summary.error().code, Errc::log_dir_offline);
    EXPECT_EQ(m.get_or_create(t0_, LogConfig{}).error().code, Errc::log_dir_offline);
}

TEST_F(LogManagerTest, IoErrorAtRuntimeTakesOnlyThatDirOffline) {
    std::vector<fs::path> offline_seen;
    auto c = config({dir_a_, dir_b_});
    c.initial_task_delay_ms = 1'000'000'000;  // no background task interferes
    c.on_dir_offline = [&](const fs::path& p, const std::string&) { offline_seen.push_back(p); };
    {
        LogManager m(c);
        ASSERT_TRUE(m.startup());
        auto a = m.get_or_create(t0_, LogConfig{});
        auto b = m.get_or_create(t1_, LogConfig{});
        ASSERT_TRUE(a && b);
        ASSERT_EQ((*a)->dir().parent_path(), dir_a_);
        append(**a, 2);
        append(**b, 2);
        // The next checkpoint write in dir a fails: its tmp file cannot be created.
        fs::create_directories(dir_a_ / "recovery-point-offset-checkpoint.tmp");
        m.checkpoint_recovery_points();

        EXPECT_EQ(m.offline_dirs(), (std::vector<fs::path>{dir_a_}));
        EXPECT_EQ(offline_seen, (std::vector<fs::path>{dir_a_}));
        EXPECT_EQ(m.get(t0_).error().code, Errc::log_dir_offline);
        EXPECT_EQ(m.get_or_create(t0_, LogConfig{}).error().code, Errc::log_dir_offline);
        EXPECT_FALSE((*a)->append_as_leader(testing::make_batch(1, now_.load()), 0))
            << "its logs are closed";
        auto dirs = m.log_dirs();
        EXPECT_TRUE(dirs[0].offline);
        EXPECT_NE(dirs[0].error.find("recovery-point-offset-checkpoint"), std::string::npos)
            << dirs[0].error;

        // The other dir keeps serving, and new logs go there.
        EXPECT_EQ(must_get(m, t1_), *b);
        append(**b, 1);
        EXPECT_EQ((*b)->log_end_offset(), 3);
        auto c2 = m.get_or_create(TopicPartition{"new", 0}, LogConfig{});
        ASSERT_TRUE(c2);
        EXPECT_EQ((*c2)->dir().parent_path(), dir_b_);
        EXPECT_EQ(m.all_logs().size(), 2u);
    }
    EXPECT_FALSE(clean_shutdown_marker_exists(dir_a_)) << "an offline dir is not marked clean";
    EXPECT_TRUE(clean_shutdown_marker_exists(dir_b_));
}

TEST_F(LogManagerTest, ReportedIoErrorTakesTheDirOffline) {
    LogManager m(config({dir_a_, dir_b_}));
    ASSERT_TRUE(m.startup());
    ASSERT_TRUE(m.get_or_create(t0_, LogConfig{}));
    ASSERT_TRUE(m.get_or_create(t1_, LogConfig{}));
    m.report_io_error(t1_, "EIO on append");
    EXPECT_EQ(m.offline_dirs(), (std::vector<fs::path>{dir_b_}));
    EXPECT_EQ(m.get(t1_).error().code, Errc::log_dir_offline);
    EXPECT_TRUE(m.get(t0_));
}

TEST_F(LogManagerTest, RetentionThreadDeletesOnTheInjectedClock) {
    auto c = config({dir_a_});
    c.retention_check_interval_ms = 1000;
    LogManager m(c);
    ASSERT_TRUE(m.startup());
    LogConfig lc;
    lc.retention_ms = 10000;
    lc.file_delete_delay_ms = 0;
    auto log = m.get_or_create(t0_, lc);
    ASSERT_TRUE(log);
    append(**log, 3, now_.load());
    ASSERT_TRUE((*log)->maybe_roll(true));
    append(**log, 1, now_.load() + 9000);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_EQ((*log)->log_start_offset(), 0) << "nothing expired yet";

    now_ +=
        15000;  // the first segment (max timestamp now-15s) is past retention.ms; the second is not
    ASSERT_TRUE(eventually([&] { return (*log)->log_start_offset() == 3; }))
        << "log start " << (*log)->log_start_offset();
    EXPECT_EQ((*log)->log_end_offset(), 4);
}

TEST_F(LogManagerTest, IdleProducersExpireInTheBackground) {
    auto c = config({dir_a_});
    c.retention_check_interval_ms = 1'000'000'000;
    c.producer_id_expiration_ms = 10000;
    c.producer_id_expiration_check_interval_ms = 1000;
    LogManager m(c);
    ASSERT_TRUE(m.startup());
    auto log = m.get_or_create(t0_, LogConfig{});
    ASSERT_TRUE(log);
    protocol::BatchOptions options;
    options.producer_id = 42;
    options.producer_epoch = 0;
    options.base_sequence = 0;
    protocol::RecordBatchBuilder builder(options);
    protocol::RecordInput r;
    r.timestamp = now_.load();
    builder.append(r);
    testing::Bytes batch;
    ASSERT_EQ(builder.build(batch), protocol::BuildError::kOk);
    ASSERT_TRUE((*log)->append_as_leader(batch, 0));
    now_ += 5000;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_EQ((*log)->active_producers().size(), 1u) << "not idle long enough";
    now_ += 6000;
    EXPECT_TRUE(eventually([&] { return (*log)->active_producers().empty(); }));
}

TEST_F(LogManagerTest, CheckpointsAreWrittenPeriodically) {
    auto c = config({dir_a_});
    c.flush_offset_checkpoint_interval_ms = 60000;
    c.flush_start_offset_checkpoint_interval_ms = 60000;
    c.retention_check_interval_ms = 1'000'000'000;
    LogManager m(c);
    ASSERT_TRUE(m.startup());
    auto log = m.get_or_create(t0_, LogConfig{});
    ASSERT_TRUE(log);
    append(**log, 3);
    ASSERT_TRUE((*log)->flush(3));
    ASSERT_TRUE((*log)->increment_log_start_offset(1));
    now_ += 60000;
    auto checkpointed = [&](std::string_view file, int64_t want) {
        auto offsets = read_offset_checkpoint(dir_a_ / file);
        return offsets && offsets->count(t0_) && offsets->at(t0_) == want;
    };
    EXPECT_TRUE(eventually([&] { return checkpointed(kRecoveryPointCheckpointFile, 3); }));
    EXPECT_TRUE(eventually([&] { return checkpointed(kLogStartOffsetCheckpointFile, 1); }));
}

TEST_F(LogManagerTest, TimeBasedFlushHonoursFlushMs) {
    auto c = config({dir_a_});
    c.flush_scheduler_interval_ms = 1000;
    c.retention_check_interval_ms = 1'000'000'000;
    LogManager m(c);
    ASSERT_TRUE(m.startup());
    LogConfig lc;
    lc.flush_ms = 5000;
    auto log = m.get_or_create(t0_, lc);
    ASSERT_TRUE(log);
    append(**log, 2);
    now_ += 1000;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_LT((*log)->recovery_point(), 2) << "flush.ms not reached";
    now_ += 5000;
    EXPECT_TRUE(eventually([&] { return (*log)->recovery_point() == 2; }));
}

TEST_F(LogManagerTest, StartupFinishesDeletionsAndSkipsOtherDirs) {
    fs::create_directories(dir_a_ / "gone-0.0123456789abcdef0123456789abcdef-delete");
    std::ofstream(dir_a_ / "gone-0.0123456789abcdef0123456789abcdef-delete"
                  / "00000000000000000000.log")
        << "x";
    fs::create_directories(dir_a_ / "moving-0.0123456789abcdef0123456789abcdef-future");
    fs::create_directories(dir_a_ / "stray-0.0123456789abcdef0123456789abcdef-stray");
    fs::create_directories(dir_a_ / "__cluster_metadata-0");
    fs::create_directories(dir_a_ / "lost+found");
    std::ofstream(dir_a_ / "meta.properties") << "version=1\n";
    LogManager m(config({dir_a_}));
    auto summary = m.startup();
    ASSERT_TRUE(summary) << summary.error().message;
    EXPECT_EQ(summary->dirs[0].deleted_dirs_removed, 1);
    EXPECT_EQ(summary->logs_loaded, 0);
    EXPECT_EQ(count_delete_dirs(dir_a_), 0);
    EXPECT_TRUE(fs::exists(dir_a_ / "moving-0.0123456789abcdef0123456789abcdef-future"));
    EXPECT_TRUE(fs::exists(dir_a_ / "__cluster_metadata-0"));
    EXPECT_TRUE(m.all_logs().empty());
}

TEST_F(LogManagerTest, RemovedButNotYetDeletedDirIsFinishedByTheNextStart) {
    auto c = config({dir_a_});
    c.file_delete_delay_ms = 1'000'000'000;
    {
        LogManager m(c);
        ASSERT_TRUE(m.startup());
        ASSERT_TRUE(m.get_or_create(t0_, LogConfig{}));
        ASSERT_TRUE(m.remove(t0_));
    }
    EXPECT_EQ(count_delete_dirs(dir_a_), 1);
    auto rp = read_offset_checkpoint(dir_a_ / kRecoveryPointCheckpointFile);
    ASSERT_TRUE(rp);
    EXPECT_TRUE(rp->empty()) << "a removed log leaves the checkpoints";
    LogManager m(c);
    auto summary = m.startup();
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->dirs[0].deleted_dirs_removed, 1);
    EXPECT_EQ(count_delete_dirs(dir_a_), 0);
    EXPECT_EQ(m.get(t0_).error().code, Errc::not_found);
}

TEST_F(LogManagerTest, MalformedCheckpointMeansFullRecoveryNotFailure) {
    {
        LogManager m(config({dir_a_}));
        ASSERT_TRUE(m.startup());
        auto log = m.get_or_create(t0_, LogConfig{});
        ASSERT_TRUE(log);
        append(**log, 2);
    }
    std::ofstream(dir_a_ / kRecoveryPointCheckpointFile, std::ios::trunc) << "0\n1\ngarbage\n";
    LogManager m(config({dir_a_}));
    auto summary = m.startup();
    ASSERT_TRUE(summary) << summary.error().message;
    EXPECT_FALSE(summary->dirs[0].offline);
    auto log = must_get(m, t0_);
    ASSERT_TRUE(log);
    EXPECT_EQ(log->log_end_offset(), 2);
}

TEST_F(LogManagerTest, FlusherIsRunningAfterStartup) {
    LogManager m(config({dir_a_}));
    ASSERT_TRUE(m.startup());
    auto log = m.get_or_create(t0_, LogConfig{});
    ASSERT_TRUE(log);
    append(**log, 3);
    std::atomic<int64_t> flushed{-1};
    m.flusher().request_flush(*log, 3, [&](Result<int64_t> r) { flushed = r ? *r : -2; });
    EXPECT_TRUE(eventually([&] { return flushed.load() == 3; }));
}

TEST_F(LogManagerTest, OpenFilesAreBoundedAcrossLogs) {
    auto c = config({dir_a_, dir_b_});
    c.max_open_files = 2;
    {
        LogManager m(c);
        ASSERT_TRUE(m.startup());
        ASSERT_NE(m.file_cache(), nullptr);
        for (int p = 0; p < 6; ++p) {
            auto log = m.get_or_create(TopicPartition{"many", p}, LogConfig{});
            ASSERT_TRUE(log) << log.error().message;
            append(**log, p + 1);
            EXPECT_LE(m.file_cache()->open_files(), 2u);
        }
    }
    LogManager m(c);
    auto summary = m.startup();
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->logs_loaded, 6);
    for (int p = 0; p < 6; ++p) {
        auto log = must_get(m, TopicPartition{"many", p});
        ASSERT_TRUE(log);
        EXPECT_EQ(log->log_end_offset(), p + 1);
        append(*log, 1);
        EXPECT_LE(m.file_cache()->open_files(), 2u);
    }
}

}  // namespace
}  // namespace gregor::storage
