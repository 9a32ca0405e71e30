#include "gregor/storage/log.h"

#include "gregor/storage/file_cache.h"
#include "gregor/storage/leader_epoch_cache.h"
#include "gregor/storage/segment.h"

#include "storage_test_util.h"
#include <gtest/gtest.h>

namespace gregor::storage {
namespace {

using testing::Bytes;
using testing::make_batch;
using testing::TempDir;

class LogTest : public ::testing::Test {
protected:
    LogTest() {
        config_.index_interval_bytes = 256;
        config_.segment_index_bytes = 4096;
        config_.file_delete_delay_ms = 1000;
        config_.timestamp_after_max_ms = INT64_MAX;
    }

    LogOpenOptions options(bool clean = false) {
        LogOpenOptions o;
        o.config = config_;
        o.clock = [this] { return now_; };
        o.had_clean_shutdown = clean;
        o.files = files_;
        return o;
    }

    std::unique_ptr<Log> open(bool clean = false, RecoveryReport* report = nullptr) {
        TopicPartition tp;
        tp.topic = "t";
        tp.partition = 0;
        auto log = Log::open(dir(), tp, options(clean), report);
        EXPECT_TRUE(log.has_value()) << (log ? "" : log.error().message);
        return log ? std::move(*log) : nullptr;
    }

    std::filesystem::path dir() const { return tmp_.path() / "t-0"; }

    // Appends `n` single-batch produce requests of `records` records each.
    void produce(Log& log, int n, int records = 3, int64_t timestamp = 1000, size_t value = 100) {
        for (int i = 0; i < n; ++i) {
            auto info = log.append_as_leader(make_batch(records, timestamp + i, value), 1);
            ASSERT_TRUE(info.has_value()) << info.error().message;
        }
    }

    // Every batch readable from `from`, by base offset.
    std::vector<int64_t> read_all(const Log& log, int64_t from) {
        std::vector<int64_t> out;
        int64_t offset = from;
        while (offset < log.log_end_offset()) {
            auto read = log.read(offset, 1 << 20, INT64_MAX, true);
            EXPECT_TRUE(read.has_value());
            if (!read || read->slices.empty()) {
                break;
            }
            const Bytes bytes = testing::slice_bytes(read->slices[0]);
            protocol::BatchSplitter splitter(bytes);
            while (auto batch = splitter.next()) {
                out.push_back(batch->base_offset());
                offset = batch->last_offset() + 1;
            }
            EXPECT_EQ(splitter.error(), protocol::BatchError::kOk);
        }
        return out;
    }

    TempDir tmp_;
    LogConfig config_;
    int64_t now_ = 10'000;
    FileCache* files_ = nullptr;
};

TEST_F(LogTest, AppendAssignsOffsetsAndStampsTheLeaderEpoch) {
    auto log = open();
    const Bytes request = testing::concat({make_batch(3), make_batch(2), make_batch(4)});
    auto info = log->append_as_leader(request, 7);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->first_offset, 0);
    EXPECT_EQ(info->last_offset, 8);
    EXPECT_EQ(info->batches, 3);
    EXPECT_EQ(info->bytes, static_cast<int64_t>(request.size()));
    EXPECT_EQ(log->log_end_offset(), 9);

    const Bytes stored = testing::read_file(dir() / "00000000000000000000.log");
    ASSERT_EQ(stored.size(), request.size());
    protocol::BatchSplitter splitter(stored);
    std::vector<int64_t> bases;
    while (auto batch = splitter.next()) {
        bases.push_back(batch->base_offset());
        EXPECT_EQ(batch->partition_leader_epoch(), 7);
    }
    EXPECT_EQ(splitter.error(), protocol::BatchError::kOk) << "CRC still valid";
    EXPECT_EQ(bases, (std::vector<int64_t>{0, 3, 5}));
    EXPECT_EQ(log->leader_epochs().latest_epoch(), 7);

    info = log->append_as_leader(make_batch(1), 8);
    EXPECT_EQ(info->first_offset, 9);
    EXPECT_EQ(log->leader_epochs().entries(),
              (std::vector<EpochEntry>{EpochEntry{7, 0}, EpochEntry{8, 9}}));
}

// The produce path's append patches the request buffer itself: the caller's bytes end up equal
// to what was stored, offsets and epoch included, and the CRC stays valid.
TEST_F(LogTest, AppendInPlacePatchesTheCallersBuffer) {
    auto log = open();
    ASSERT_TRUE(log->append_as_leader(make_batch(2), 3).has_value());
    Bytes request = testing::concat({make_batch(3), make_batch(4)});
    auto info = log->append_as_leader_in_place(request, 5);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->first_offset, 2);
    EXPECT_EQ(info->last_offset, 8);
    protocol::BatchSplitter splitter(request);
    std::vector<int64_t> bases;
    while (auto batch = splitter.next()) {
        bases.push_back(batch->base_offset());
        EXPECT_EQ(batch->partition_leader_epoch(), 5);
    }
    EXPECT_EQ(splitter.error(), protocol::BatchError::kOk) << "CRC still valid";
    EXPECT_EQ(bases, (std::vector<int64_t>{2, 5}));
    const Bytes stored = testing::read_file(dir() / "00000000000000000000.log");
    ASSERT_GE(stored.size(), request.size());
    EXPECT_TRUE(std::equal(request.begin(), request.end(),
                           stored.end() - static_cast<std::ptrdiff_t>(request.size())));
}

TEST_F(LogTest, AppendIsAllOrNothing) {
    auto log = open();
    produce(*log, 1);
    Bytes bad = make_batch(2);
    bad[bad.size() - 1] ^= 0xFF;  // CRC mismatch
    const Bytes request = testing::concat({make_batch(3), bad});
    auto info = log->append_as_leader(request, 1);
    ASSERT_FALSE(info.has_value());
    EXPECT_EQ(info.error().code, Errc::invalid_record);
    EXPECT_EQ(log->log_end_offset(), 3);
    EXPECT_EQ(read_all(*log, 0), (std::vector<int64_t>{0}));

    Bytes partial = make_batch(2);
    partial.pop_back();
    EXPECT_EQ(log->append_as_leader(partial, 1).error().code, Errc::invalid_record);
}

TEST_F(LogTest, RejectsOversizedAndInconsistentBatches) {
    config_.max_message_bytes = 300;
    auto log = open();
    EXPECT_EQ(log->append_as_leader(make_batch(3, 1000, 200), 1).error().code,
              Errc::record_too_large);
    EXPECT_EQ(log->append_as_leader(make_batch(1, 1000, 10, 5), 1).error().code,
              Errc::invalid_record)
        << "a producer's batch starts at offset 0";
    EXPECT_EQ(log->log_end_offset(), 0);
}

TEST_F(LogTest, RejectsTimestampsTooFarFromNow) {
    config_.timestamp_after_max_ms = 1000;
    config_.timestamp_before_max_ms = 5000;
    auto log = open();
    EXPECT_EQ(log->append_as_leader(make_batch(1, now_ + 2000), 1).error().code,
              Errc::invalid_timestamp);
    EXPECT_EQ(log->append_as_leader(make_batch(1, now_ - 6000), 1).error().code,
              Errc::invalid_timestamp);
    EXPECT_TRUE(log->append_as_leader(make_batch(1, now_ + 500), 1).has_value());
}

TEST_F(LogTest, LogAppendTimeStampsTheBrokerTime) {
    config_.timestamp_type = TimestampType::log_append_time;
    auto log = open();
    auto info = log->append_as_leader(make_batch(3, 5), 1);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->log_append_time_ms, now_);
    EXPECT_EQ(info->max_timestamp, now_);
    const Bytes stored = testing::read_file(dir() / "00000000000000000000.log");
    protocol::RecordBatchView view(stored);
    EXPECT_EQ(view.validate(), protocol::BatchError::kOk);
    EXPECT_EQ(view.timestamp_type(), protocol::TimestampType::kLogAppendTime);
    EXPECT_EQ(view.max_timestamp(), now_);
}

TEST_F(LogTest, ReadBoundsAndErrors) {
    auto log = open();
    produce(*log, 5);  // offsets 0..14
    EXPECT_EQ(log->read(16, 1000, INT64_MAX, true).error().code, Errc::offset_out_of_range);
    auto at_end = log->read(15, 1000, INT64_MAX, true);
    ASSERT_TRUE(at_end.has_value());
    EXPECT_TRUE(at_end->slices.empty());

    auto mid = log->read(7, 1 << 20, INT64_MAX, false).value();
    EXPECT_EQ(mid.first_batch_offset, 6);
    EXPECT_EQ(testing::batch_offsets(testing::slice_bytes(mid.slices[0])),
              (std::vector<int64_t>{6, 9, 12}));

    auto hw = log->read(0, 1 << 20, 9, false).value();
    EXPECT_EQ(testing::batch_offsets(testing::slice_bytes(hw.slices[0])),
              (std::vector<int64_t>{0, 3, 6}));
    EXPECT_TRUE(log->read(9, 1 << 20, 9, false)->slices.empty());

    auto tiny = log->read(0, 1, INT64_MAX, true).value();
    EXPECT_EQ(testing::batch_offsets(testing::slice_bytes(tiny.slices[0])),
              (std::vector<int64_t>{0}));
    EXPECT_TRUE(log->read(0, 1, INT64_MAX, false)->slices.empty());

    ASSERT_TRUE(log->increment_log_start_offset(4));
    EXPECT_EQ(log->read(3, 1000, INT64_MAX, true).error().code, Errc::offset_out_of_range);
    EXPECT_EQ(log->read(4, 1000, INT64_MAX, true)->first_batch_offset, 3);
}

TEST_F(LogTest, RollsWhenTheSegmentWouldOverflow) {
    config_.segment_bytes = 1000;
    auto log = open();
    produce(*log, 12);  // ~200 bytes per batch: 4 per segment
    EXPECT_GE(log->segment_count(), 3);
    for (const auto& segment : log->segments()) {
        EXPECT_LE(segment->size_bytes(), 1000);
    }
    EXPECT_EQ(read_all(*log, 0).size(), 12u);
    std::vector<int64_t> bases;
    for (const auto& segment : log->segments()) {
        bases.push_back(segment->base_offset());
    }
    EXPECT_EQ(bases.front(), 0);
    // Rolled segments carry trimmed indexes.
    EXPECT_EQ(testing::file_size(log->segments().front()->index_path()) % 8, 0);
    EXPECT_LT(testing::file_size(log->segments().front()->index_path()), 4096);
    EXPECT_EQ(testing::file_size(log->segments().back()->index_path()), 4096);
}

TEST_F(LogTest, RollsAfterSegmentMs) {
    config_.segment_ms = 1000;
    auto log = open();
    produce(*log, 1, 1, 10'000);
    produce(*log, 1, 1, 10'900);
    EXPECT_EQ(log->segment_count(), 1);
    produce(*log, 1, 1, 11'001);
    EXPECT_EQ(log->segment_count(), 2) << "message timestamp 1001 ms after the first batch";
    EXPECT_EQ(log->segments().back()->base_offset(), 2);
}

TEST_F(LogTest, RollsWhenAnIndexIsFull) {
    config_.segment_index_bytes = 24;  // 3 offset entries, 2 time entries (one slot reserved)
    config_.index_interval_bytes = 1;
    auto log = open();
    produce(*log, 10);
    EXPECT_GT(log->segment_count(), 2);
    EXPECT_EQ(read_all(*log, 0).size(), 10u);
}

TEST_F(LogTest, ForcedRollAndRollOfAnEmptySegment) {
    auto log = open();
    EXPECT_FALSE(log->maybe_roll(true).value()) << "empty active segment";
    produce(*log, 1);
    EXPECT_TRUE(log->maybe_roll(true).value());
    EXPECT_EQ(log->segment_count(), 2);
    EXPECT_EQ(log->segments().back()->base_offset(), 3);
}

TEST_F(LogTest, FollowerAppendKeepsOffsetsAndEpochs) {
    auto log = open();
    const Bytes batches =
        testing::concat({make_batch(2, 1000, 10, 0, 3), make_batch(2, 1000, 10, 2, 3),
                         make_batch(1, 1000, 10, 10, 4)});
    auto info = log->append_as_follower(batches);
    ASSERT_TRUE(info.has_value()) << info.error().message;
    EXPECT_EQ(info->first_offset, 0);
    EXPECT_EQ(info->last_offset, 10);
    EXPECT_EQ(log->log_end_offset(), 11);
    EXPECT_EQ(log->leader_epochs().entries(),
              (std::vector<EpochEntry>{EpochEntry{3, 0}, EpochEntry{4, 10}}));
    EXPECT_EQ(read_all(*log, 0), (std::vector<int64_t>{0, 2, 10}));
    EXPECT_EQ(log->read(5, 1000, INT64_MAX, true)->first_batch_offset, 10) << "a compacted gap";

    EXPECT_EQ(log->append_as_follower(make_batch(1, 1000, 10, 10)).error().code,
              Errc::invalid_offset);
}

TEST_F(LogTest, OffsetForTimestampAndMaxTimestamp) {
    config_.segment_bytes = 400;
    auto log = open();
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(log->append_as_leader(make_batch(3, 1000 + 100 * i), 1));
    }
    ASSERT_GT(log->segment_count(), 2);
    auto at = log->offset_for_timestamp(1501).value();
    ASSERT_TRUE(at);
    EXPECT_EQ(at->offset, 16) << "batch 5 (15..17), second record";
    EXPECT_EQ(at->timestamp, 1501);
    EXPECT_EQ(log->offset_for_timestamp(0).value()->offset, 0);
    EXPECT_FALSE(log->offset_for_timestamp(99'999).value());
    const TimestampOffset max = log->max_timestamp();
    EXPECT_EQ(max.timestamp, 1902);
    EXPECT_EQ(max.offset, 29);
}

TEST_F(LogTest, RetentionByTime) {
    config_.segment_bytes = 700;
    config_.retention_ms = 10'000;
    auto log = open();
    for (int i = 0; i < 9; ++i) {
        ASSERT_TRUE(log->append_as_leader(make_batch(3, i < 6 ? 1000 : 50'000), 1));
    }
    const int segments = log->segment_count();
    now_ = 30'000;  // the first segments' timestamps (1000..) are older than 10 s
    const int32_t deleted = log->delete_retained_segments().value();
    EXPECT_GT(deleted, 0);
    EXPECT_EQ(log->segment_count(), segments - deleted);
    EXPECT_EQ(log->log_start_offset(), log->segments().front()->base_offset());
    for (const auto& segment : log->segments()) {
        EXPECT_GT(segment->largest_timestamp(), 20'000);
    }
    EXPECT_EQ(log->read(0, 1000, INT64_MAX, true).error().code, Errc::offset_out_of_range);
}

TEST_F(LogTest, RetentionByTimeRollsAnOnlyNonEmptySegment) {
    config_.retention_ms = 1000;
    auto log = open();
    produce(*log, 2);
    now_ = 1'000'000;
    EXPECT_EQ(log->delete_retained_segments().value(), 1);
    EXPECT_EQ(log->segment_count(), 1);
    EXPECT_EQ(log->log_start_offset(), 6);
    EXPECT_EQ(log->log_end_offset(), 6);
    EXPECT_EQ(log->delete_retained_segments().value(), 0) << "the empty active segment stays";
}

TEST_F(LogTest, RetentionBySize) {
    config_.segment_bytes = 700;
    config_.retention_ms = -1;
    auto log = open();
    produce(*log, 12);
    const int64_t segment = log->segments().front()->size_bytes();
    config_.retention_bytes = log->size_bytes() - segment - 1;  // one segment must go, not two
    log->update_config(config_);
    EXPECT_EQ(log->delete_retained_segments().value(), 1);
    EXPECT_LE(log->size_bytes(), config_.retention_bytes + segment);
}

TEST_F(LogTest, RetentionByLogStartOffset) {
    config_.segment_bytes = 700;
    auto log = open();
    produce(*log, 12);
    const auto segments = log->segments();
    ASSERT_GT(segments.size(), 3u);
    ASSERT_TRUE(log->increment_log_start_offset(segments[2]->base_offset() + 1));
    EXPECT_EQ(log->delete_retained_segments().value(), 2);
    EXPECT_EQ(log->segments().front()->base_offset(), segments[2]->base_offset());
    EXPECT_EQ(log->log_start_offset(), segments[2]->base_offset() + 1);
}

TEST_F(LogTest, RetentionStopsAtTheHighWatermark) {
    config_.segment_bytes = 700;
    auto log = open();
    produce(*log, 12);
    log->set_high_watermark(0);
    ASSERT_TRUE(log->increment_log_start_offset(9));
    EXPECT_EQ(log->delete_retained_segments().value(), 0);
    log->set_high_watermark(log->log_end_offset());
    EXPECT_GT(log->delete_retained_segments().value(), 0);
}

TEST_F(LogTest, DeletedSegmentsStayReadableThroughHeldSlices) {
    config_.segment_bytes = 700;
    FileCache cache(1);
    files_ = &cache;
    auto log = open();
    produce(*log, 12);
    auto held = log->read(0, 1 << 20, INT64_MAX, true).value();
    const Bytes expected = testing::slice_bytes(held.slices[0]);
    const std::filesystem::path first = log->segments().front()->log_path();
    ASSERT_TRUE(log->increment_log_start_offset(log->log_end_offset()));
    ASSERT_GT(log->delete_retained_segments().value(), 0);
    EXPECT_FALSE(std::filesystem::exists(first));
    EXPECT_TRUE(std::filesystem::exists(first.string() + ".deleted"));
    now_ += 999;
    log->purge_deleted_files();
    EXPECT_TRUE(std::filesystem::exists(first.string() + ".deleted")) << "file.delete.delay.ms";
    now_ += 1;
    log->purge_deleted_files();
    EXPECT_FALSE(std::filesystem::exists(first.string() + ".deleted"));
    EXPECT_EQ(testing::slice_bytes(held.slices[0]), expected);
}

TEST_F(LogTest, TruncateToAndTruncateFully) {
    config_.segment_bytes = 700;
    auto log = open();
    produce(*log, 12, 3, 1000, 16);  // several batches per segment
    const auto segments = log->segments();
    const int64_t cut = segments[1]->base_offset() + 3;
    EXPECT_TRUE(log->truncate_to(cut).value());
    EXPECT_EQ(log->log_end_offset(), cut);
    EXPECT_EQ(log->segment_count(), 2);
    EXPECT_FALSE(log->truncate_to(cut + 10).value()) << "already shorter";
    produce(*log, 1);
    EXPECT_EQ(read_all(*log, 0).back(), cut) << "appends continue at the cut";

    log->leader_epochs().assign(9, 1000);
    EXPECT_TRUE(log->truncate_fully_and_start_at(500).value());
    EXPECT_EQ(log->log_start_offset(), 500);
    EXPECT_EQ(log->log_end_offset(), 500);
    EXPECT_EQ(log->segment_count(), 1);
    EXPECT_TRUE(log->leader_epochs().entries().empty());
    produce(*log, 1);
    EXPECT_EQ(read_all(*log, 500), (std::vector<int64_t>{500}));
}

TEST_F(LogTest, TruncateDropsLaterLeaderEpochs) {
    auto log = open();
    ASSERT_TRUE(log->append_as_leader(make_batch(3), 1));
    ASSERT_TRUE(log->append_as_leader(make_batch(3), 2));
    ASSERT_TRUE(log->truncate_to(3));
    EXPECT_EQ(log->leader_epochs().entries(), (std::vector<EpochEntry>{EpochEntry{1, 0}}));
}

TEST_F(LogTest, CleanReopenKeepsEverything) {
    config_.segment_bytes = 700;
    {
        auto log = open();
        produce(*log, 12);
        ASSERT_TRUE(log->flush(log->log_end_offset()));
        log->close();
        EXPECT_EQ(log->append_as_leader(make_batch(1), 1).error().code, Errc::closed);
    }
    RecoveryReport report;
    auto log = open(true, &report);
    EXPECT_EQ(log->log_end_offset(), 36);
    EXPECT_EQ(log->recovery_point(), 36);
    EXPECT_EQ(report.batches_validated, 0) << "a clean shutdown skips revalidation";
    EXPECT_EQ(report.indexes_rebuilt, 0);
    EXPECT_EQ(read_all(*log, 0).size(), 12u);
    EXPECT_EQ(log->max_timestamp().timestamp, 1013);
    produce(*log, 1);
    EXPECT_EQ(log->log_end_offset(), 39);
}

TEST_F(LogTest, FlushAdvancesTheRecoveryPoint) {
    auto log = open();
    produce(*log, 4);
    EXPECT_EQ(log->recovery_point(), 0);
    EXPECT_EQ(log->flush(6).value(), 6);
    EXPECT_EQ(log->flush(100).value(), 12) << "never past the log end";
    EXPECT_EQ(log->flush(3).value(), 12) << "never backwards";
}

TEST_F(LogTest, FlushMessagesFlushesOnAppend) {
    config_.flush_messages = 5;
    auto log = open();
    produce(*log, 1);
    EXPECT_EQ(log->recovery_point(), 0);
    produce(*log, 1);
    EXPECT_EQ(log->recovery_point(), 6);
}

TEST_F(LogTest, ReplaceSegmentsSwapsInCleanedSegments) {
    config_.segment_bytes = 700;
    auto log = open();
    produce(*log, 12);
    const auto old = log->segments();
    ASSERT_GT(old.size(), 3u);
    // The "cleaner" keeps only the last batch of the first two segments.
    const int64_t base = old[0]->base_offset();
    auto cleaned =
        Segment::create(dir(), base, log->config(), nullptr, now_, kCleanedFileSuffix).value();
    const int64_t keep = old[2]->base_offset() - 3;
    auto last = old[1]->find_batch(keep).value();
    ASSERT_TRUE(last);
    ASSERT_TRUE(cleaned->append(old[1]->read_bytes(last->position, last->size).value()));
    ASSERT_TRUE(cleaned->on_become_inactive());
    ASSERT_TRUE(log->replace_segments({cleaned}, {old[0], old[1]}));

    EXPECT_EQ(log->segment_count(), static_cast<int32_t>(old.size()) - 1);
    EXPECT_TRUE(std::filesystem::exists(dir() / "00000000000000000000.log"));
    EXPECT_FALSE(std::filesystem::exists(dir() / "00000000000000000000.log.swap"));
    EXPECT_FALSE(std::filesystem::exists(dir() / "00000000000000000000.log.cleaned"));
    EXPECT_TRUE(std::filesystem::exists(old[1]->log_path()));
    EXPECT_EQ(old[1]->suffix(), kDeletedFileSuffix);
    EXPECT_EQ(read_all(*log, 0).front(), keep);
    EXPECT_EQ(log->read(0, 1000, INT64_MAX, true)->first_batch_offset, keep);

    log->close();
    auto reopened = open(false);
    EXPECT_EQ(read_all(*reopened, 0).front(), keep);
    EXPECT_EQ(reopened->log_end_offset(), 36);
}

TEST_F(LogTest, ManyLogsShareABoundedFileCache) {
    FileCache cache(4);
    std::vector<std::unique_ptr<Log>> logs;
    for (int p = 0; p < 20; ++p) {
        TopicPartition tp;
        tp.topic = "many";
        tp.partition = p;
        LogOpenOptions o = options();
        o.files = &cache;
        auto log = Log::open(tmp_.path() / tp.dir_name(), tp, o);
        ASSERT_TRUE(log.has_value());
        ASSERT_TRUE((*log)->append_as_leader(make_batch(2), 1));
        logs.push_back(std::move(*log));
        EXPECT_LE(cache.open_files(), 4u);
    }
    for (auto& log : logs) {
        EXPECT_EQ(read_all(*log, 0), (std::vector<int64_t>{0}));
        EXPECT_LE(cache.open_files(), 4u);
    }
}

TEST_F(LogTest, ConcurrentReadersSeeOnlyWholeValidBatches) {
    config_.segment_bytes = 4000;
    config_.retention_ms = -1;
    auto log = open();
    std::atomic<bool> done{false};
    std::thread writer([&] {
        for (int i = 0; i < 300; ++i) {
            EXPECT_TRUE(log->append_as_leader(make_batch(3, 1000 + i, 50), 1).has_value());
            if (i % 50 == 49) {
                EXPECT_TRUE(log->increment_log_start_offset(log->log_end_offset() / 2));
                EXPECT_TRUE(log->delete_retained_segments());
            }
        }
        done = true;
    });
    std::atomic<int> reads{0};
    auto reader = [&] {
        while (!done) {
            const int64_t offset = (log->log_start_offset() + log->log_end_offset()) / 2;
            auto read = log->read(offset, 1 << 14, INT64_MAX, true);
            if (!read) {
                EXPECT_EQ(read.error().code, Errc::offset_out_of_range);
                continue;
            }
            for (const FileSlice& slice : read->slices) {
                const Bytes bytes = testing::slice_bytes(slice);
                protocol::BatchSplitter splitter(bytes);
                while (splitter.next()) {
                }
                EXPECT_EQ(splitter.error(), protocol::BatchError::kOk);
                EXPECT_EQ(splitter.consumed(), bytes.size());
                ++reads;
            }
        }
    };
    std::thread r1(reader);
    std::thread r2(reader);
    writer.join();
    r1.join();
    r2.join();
    EXPECT_EQ(log->log_end_offset(), 900);
    EXPECT_GT(reads.load(), 0);
}

TEST_F(LogTest, AMissingSegmentFileIsAnErrorNotACrash) {
    config_.segment_bytes = 700;
    FileCache cache(1);
    files_ = &cache;
    auto log = open();
    produce(*log, 6);
    const auto segments = log->segments();
    ASSERT_GT(segments.size(), 2u);
    // Evict the first segment's descriptor, then remove its file behind the log's back.
    ASSERT_TRUE(log->read(segments.back()->base_offset(), 1000, INT64_MAX, true));
    std::filesystem::remove(segments.front()->log_path());
    auto read = log->read(0, 1000, INT64_MAX, true);
    ASSERT_FALSE(read.has_value());
    EXPECT_EQ(read.error().code, Errc::not_found);
    EXPECT_NE(read.error().message.find("00000000000000000000.log"), std::string::npos);
}

TEST_F(LogTest, AnUnusableDirectoryIsAnIoError) {
    testing::write_file(dir(), Bytes{1});  // a file where the directory should be
    TopicPartition tp;
    tp.topic = "t";
    auto log = Log::open(dir(), tp, options());
    ASSERT_FALSE(log.has_value());
    EXPECT_EQ(log.error().code, Errc::io_error);
    EXPECT_NE(log.error().message.find(dir().string()), std::string::npos);
}

TEST_F(LogTest, PreallocatedSegmentsAreTrimmedOnRollAndClose) {
    config_.preallocate = true;
    config_.segment_bytes = 2000;
    auto log = open();
    produce(*log, 1);
    const auto first = log->segments().front();
    EXPECT_EQ(testing::file_size(first->log_path()), 2000);
    produce(*log, 6);
    ASSERT_GT(log->segment_count(), 1);
    EXPECT_EQ(testing::file_size(first->log_path()), first->size_bytes());
    const auto last = log->segments().back();
    log->close();
    EXPECT_EQ(testing::file_size(last->log_path()), last->size_bytes());
}

TEST_F(LogTest, RemoveDeletesTheDirectory) {
    auto log = open();
    produce(*log, 1);
    ASSERT_TRUE(log->remove());
    EXPECT_FALSE(std::filesystem::exists(dir()));
}

}  // namespace
}  // namespace gregor::storage
