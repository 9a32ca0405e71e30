// The log's idempotent-producer checks: duplicates, gaps, epochs, snapshots, recovery, truncation.

#include "gregor/storage/log.h"

#include "storage_test_util.h"
#include <gtest/gtest.h>

namespace gregor::storage {
namespace {

using testing::Bytes;
using testing::TempDir;

Bytes idempotent_batch(
    int64_t pid, int16_t epoch, int32_t seq, int records = 2, int64_t ts = 1000) {
    protocol::BatchOptions options;
    options.producer_id = pid;
    options.producer_epoch = epoch;
    options.base_sequence = seq;
    protocol::RecordBatchBuilder builder(options);
    const std::string value = "value";
    for (int i = 0; i < records; ++i) {
        protocol::RecordInput r;
        r.timestamp = ts + i;
        r.value =
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value.data()), value.size());
        builder.append(r);
    }
    Bytes out;
    EXPECT_EQ(builder.build(out), protocol::BuildError::kOk);
    return out;
}

class LogProducerTest : public ::testing::Test {
protected:
    LogProducerTest() {
        config_.segment_index_bytes = 4096;
        config_.file_delete_delay_ms = 0;
        config_.timestamp_after_max_ms = INT64_MAX;
    }

    std::unique_ptr<Log> open(bool clean = true) {
        LogOpenOptions o;
        o.config = config_;
        o.clock = [this] { return now_; };
        o.had_clean_shutdown = clean;
        o.producer_id_expiration_ms = 10000;
        TopicPartition tp;
        tp.topic = "t";
        tp.partition = 0;
        auto log = Log::open(dir(), tp, o);
        EXPECT_TRUE(log.has_value()) << (log ? "" : log.error().message);
        return log ? std::move(*log) : nullptr;
    }

    std::filesystem::path dir() const { return tmp_.path() / "t-0"; }

    Result<AppendInfo> produce(Log& log, int64_t pid, int16_t epoch, int32_t seq, int records = 2) {
        return log.append_as_leader(idempotent_batch(pid, epoch, seq, records), 0);
    }

    int32_t last_seq(const Log& log, int64_t pid) {
        for (const auto& p : log.active_producers()) {
            if (p.producer_id == pid) {
                return p.last_sequence;
            }
        }
        return -100;
    }

    TempDir tmp_;
    LogConfig config_;
    int64_t now_ = 1000;
};

TEST_F(LogProducerTest, DuplicateReturnsTheOriginalOffsetsAndWritesNothing) {
    auto log = open();
    ASSERT_TRUE(log->append_as_leader(testing::make_batch(3), 0));  // a non-idempotent batch
    auto first = produce(*log, 5, 0, 0);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_FALSE(first->duplicate);
    EXPECT_EQ(first->first_offset, 3);
    ASSERT_TRUE(produce(*log, 5, 0, 2));
    const int64_t end = log->log_end_offset();
    auto retry = produce(*log, 5, 0, 0);
    ASSERT_TRUE(retry) << retry.error().message;
    EXPECT_TRUE(retry->duplicate);
    EXPECT_EQ(retry->first_offset, 3);
    EXPECT_EQ(retry->last_offset, 4);
    EXPECT_EQ(retry->log_append_time_ms, 1001);  // the batch's max timestamp, as Kafka answers
    EXPECT_EQ(log->log_end_offset(), end);
}

TEST_F(LogProducerTest, GapsAndStaleEpochsAreRefused) {
    auto log = open();
    ASSERT_TRUE(produce(*log, 5, 1, 0));
    auto gap = produce(*log, 5, 1, 5);
    ASSERT_FALSE(gap);
    EXPECT_EQ(gap.error().code, Errc::out_of_order_sequence);
    auto stale = produce(*log, 5, 0, 2);
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code, Errc::invalid_producer_epoch);
    auto new_epoch_not_zero = produce(*log, 5, 2, 2);
    ASSERT_FALSE(new_epoch_not_zero);
    EXPECT_EQ(new_epoch_not_zero.error().code, Errc::out_of_order_sequence);
    ASSERT_TRUE(produce(*log, 5, 2, 0));
    EXPECT_EQ(log->log_end_offset(), 4);
}

TEST_F(LogProducerTest, ARequestIsValidatedAsAWhole) {
    auto log = open();
    ASSERT_TRUE(produce(*log, 5, 0, 0));
    const Bytes request = testing::concat(
        {idempotent_batch(5, 0, 2), idempotent_batch(6, 0, 0), idempotent_batch(5, 0, 9)});
    auto refused = log->append_as_leader(request, 0);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::out_of_order_sequence);
    EXPECT_EQ(log->log_end_offset(), 2);
    EXPECT_EQ(last_seq(*log, 5), 1);
    EXPECT_EQ(last_seq(*log, 6), -100);
    const Bytes good = testing::concat({idempotent_batch(5, 0, 2), idempotent_batch(5, 0, 4)});
    ASSERT_TRUE(log->append_as_leader(good, 0));
    EXPECT_EQ(last_seq(*log, 5), 5);
}

TEST_F(LogProducerTest, ProducerIdWithoutSequenceIsInvalid) {
    auto log = open();
    auto bad = log->append_as_leader(idempotent_batch(5, 0, -1), 0);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::invalid_record);
}

TEST_F(LogProducerTest, FollowerAppendUpdatesStateWithoutChecks) {
    auto log = open();
    protocol::BatchOptions options;
    Bytes b = idempotent_batch(5, 3, 17);
    ASSERT_TRUE(log->append_as_follower(b));
    EXPECT_EQ(last_seq(*log, 5), 18);
    auto dup = produce(*log, 5, 3, 17);
    ASSERT_TRUE(dup);
    EXPECT_TRUE(dup->duplicate);
}

TEST_F(LogProducerTest, CleanCloseSnapshotsAndReopenKeepsState) {
    {
        auto log = open();
        ASSERT_TRUE(produce(*log, 5, 0, 0));
        ASSERT_TRUE(produce(*log, 5, 0, 2));
        log->close();
    }
    EXPECT_TRUE(std::filesystem::exists(dir() / "00000000000000000004.snapshot"));
    auto log = open();
    EXPECT_EQ(last_seq(*log, 5), 3);
    auto dup = produce(*log, 5, 0, 2);
    ASSERT_TRUE(dup);
    EXPECT_TRUE(dup->duplicate);
    EXPECT_EQ(dup->first_offset, 2);
    EXPECT_FALSE(produce(*log, 5, 0, 7));
    ASSERT_TRUE(produce(*log, 5, 0, 4));
}

TEST_F(LogProducerTest, RecoveryWithoutSnapshotReplaysTheLog) {
    {
        auto log = open();
        ASSERT_TRUE(produce(*log, 5, 0, 0));
        ASSERT_TRUE(log->maybe_roll(true));
        ASSERT_TRUE(produce(*log, 5, 0, 2));
        ASSERT_TRUE(produce(*log, 6, 1, 0));
        log->close();
    }
    // A crash: the close snapshot never happened. The roll's snapshot (at 2) stays.
    std::filesystem::remove(dir() / "00000000000000000006.snapshot");
    EXPECT_TRUE(std::filesystem::exists(dir() / "00000000000000000002.snapshot"));
    auto log = open(false);
    EXPECT_EQ(last_seq(*log, 5), 3);
    EXPECT_EQ(last_seq(*log, 6), 1);
    auto dup = produce(*log, 6, 1, 0);
    ASSERT_TRUE(dup);
    EXPECT_TRUE(dup->duplicate);
    EXPECT_EQ(dup->first_offset, 4);
}

TEST_F(LogProducerTest, ReplayStartsInsideASegmentAtTheSnapshot) {
    {
        auto log = open();
        ASSERT_TRUE(produce(*log, 5, 0, 0));
        ASSERT_TRUE(produce(*log, 5, 0, 2));
        log->close();  // snapshot at 4, inside the only segment
    }
    {
        auto log = open();
        ASSERT_TRUE(produce(*log, 5, 0, 4));
        ASSERT_TRUE(produce(*log, 7, 0, 0));
        log->close();
    }
    std::filesystem::remove(dir() / "00000000000000000008.snapshot");  // lost in a crash
    auto log = open(false);
    EXPECT_EQ(last_seq(*log, 5), 5);
    EXPECT_EQ(last_seq(*log, 7), 1);
    auto dup = produce(*log, 5, 0, 4);
    ASSERT_TRUE(dup);
    EXPECT_TRUE(dup->duplicate);
    EXPECT_EQ(dup->first_offset, 4);
}

TEST_F(LogProducerTest, TruncationRebuildsStateAndDropsLaterSnapshots) {
    auto log = open();
    ASSERT_TRUE(produce(*log, 5, 0, 0));
    ASSERT_TRUE(log->maybe_roll(true));  // snapshot at 2
    ASSERT_TRUE(produce(*log, 5, 0, 2));
    ASSERT_TRUE(log->maybe_roll(true));  // snapshot at 4
    ASSERT_TRUE(produce(*log, 5, 0, 4));
    ASSERT_TRUE(log->truncate_to(2));
    EXPECT_FALSE(std::filesystem::exists(dir() / "00000000000000000004.snapshot"));
    EXPECT_EQ(log->log_end_offset(), 2);
    EXPECT_EQ(last_seq(*log, 5), 1);
    ASSERT_TRUE(produce(*log, 5, 0, 2));  // the truncated batch can be written again
    ASSERT_TRUE(log->truncate_fully_and_start_at(100));
    EXPECT_TRUE(log->active_producers().empty());
    ASSERT_TRUE(produce(*log, 5, 0, 50));  // unknown again: any sequence
}

TEST_F(LogProducerTest, RetentionDeletesSnapshotsWithTheirSegments) {
    config_.retention_ms = 500;
    auto log = open();
    ASSERT_TRUE(produce(*log, 5, 0, 0));
    ASSERT_TRUE(log->maybe_roll(true));
    ASSERT_TRUE(produce(*log, 5, 0, 2));
    ASSERT_TRUE(log->maybe_roll(true));
    EXPECT_TRUE(std::filesystem::exists(dir() / "00000000000000000002.snapshot"));
    now_ = 100000;
    auto deleted = log->delete_retained_segments();
    ASSERT_TRUE(deleted);
    EXPECT_EQ(*deleted, 2);
    EXPECT_FALSE(std::filesystem::exists(dir() / "00000000000000000002.snapshot"));
    EXPECT_TRUE(std::filesystem::exists(dir() / "00000000000000000004.snapshot"));
    // The producer outlives its data (Kafka keeps it until producer.id.expiration.ms).
    EXPECT_EQ(last_seq(*log, 5), 3);
}

TEST_F(LogProducerTest, IdleProducersExpire) {
    auto log = open();
    ASSERT_TRUE(produce(*log, 5, 0, 0));  // timestamps 1000, 1001
    now_ = 11000;
    EXPECT_EQ(log->remove_expired_producers(), 0u);
    now_ = 11001;
    EXPECT_EQ(log->remove_expired_producers(), 1u);
    EXPECT_TRUE(log->active_producers().empty());
}

}  // namespace
}  // namespace gregor::storage
