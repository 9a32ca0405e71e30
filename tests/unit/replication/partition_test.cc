#include "gregor/replication/partition.h"

#include "gregor/protocol/error_codes.h"
#include "gregor/replication/delayed_operations.h"
#include "gregor/storage/leader_epoch_cache.h"

#include "../storage/storage_test_util.h"
#include <gtest/gtest.h>

namespace gregor::replication {
namespace {

using storage::testing::make_batch;
using storage::testing::TempDir;
namespace errc = protocol::error;

constexpr int32_t kSelf = 1;

class PartitionTest : public ::testing::Test {
protected:
    void SetUp() override {
        storage::LogOpenOptions options;
        auto log = storage::Log::open(dir_.path() / "t-0", {"t", 0}, options);
        ASSERT_TRUE(log);
        log_ = std::shared_ptr<storage::Log>(std::move(*log));
        partition_ = std::make_unique<Partition>(storage::TopicPartition{"t", 0},
                                                 protocol::Uuid::random(), log_, kSelf);
    }

    static metadata::PartitionImage leader_image(int32_t leader,
                                                 int32_t epoch,
                                                 std::vector<int32_t> isr) {
        metadata::PartitionImage img;
        img.leader = leader;
        img.leader_epoch = epoch;
        img.replicas = isr;
        img.isr = std::move(isr);
        return img;
    }

    void set_min_isr(int32_t n) {
        auto c = log_->config();
        c.min_insync_replicas = n;
        log_->update_config(c);
    }

    Partition::AppendOutcome append(int records, int16_t acks = 1) {
        auto batch = make_batch(records);
        return partition_->append_as_leader(batch, acks);
    }

    TempDir dir_;
    std::shared_ptr<storage::Log> log_;
    std::unique_ptr<Partition> partition_;
};

TEST_F(PartitionTest, LeaderAloneInIsrAdvancesHighWatermarkToLogEnd) {
    partition_->apply(leader_image(kSelf, 3, {kSelf}));
    EXPECT_EQ(partition_->high_watermark(), 0);
    auto out = append(5);
    ASSERT_EQ(out.error.code, errc::none) << out.error.message;
    EXPECT_EQ(out.info.first_offset, 0);
    EXPECT_EQ(out.info.last_offset, 4);
    EXPECT_EQ(partition_->high_watermark(), 5);
    EXPECT_EQ(partition_->log_end_offset(), 5);
}

TEST_F(PartitionTest, NewLeaderEpochIsRecordedAtTheLogEnd) {
    partition_->apply(leader_image(kSelf, 3, {kSelf}));
    ASSERT_EQ(append(2).error.code, errc::none);
    partition_->apply(leader_image(kSelf, 4, {kSelf}));
    ASSERT_EQ(append(2).error.code, errc::none);
    EXPECT_EQ(log_->leader_epochs().epoch_for_offset(1), 3);
    EXPECT_EQ(log_->leader_epochs().epoch_for_offset(2), 4);
    EXPECT_EQ(log_->leader_epochs().latest_epoch(), 4);
}

TEST_F(PartitionTest, FollowerRefusesAppends) {
    partition_->apply(leader_image(2, 1, {2, kSelf}));
    auto out = append(1);
    EXPECT_EQ(out.error.code, errc::not_leader_or_follower);
    EXPECT_EQ(partition_->log_end_offset(), 0);
}

TEST_F(PartitionTest, AcksAllNeedsMinInsyncReplicas) {
    set_min_isr(2);
    partition_->apply(leader_image(kSelf, 1, {kSelf}));
    EXPECT_EQ(append(1, -1).error.code, errc::not_enough_replicas);
    EXPECT_EQ(partition_->log_end_offset(), 0);
    // acks=1 does not care about the ISR size.
    EXPECT_EQ(append(1, 1).error.code, errc::none);
}

TEST_F(PartitionTest, HighWatermarkWaitsForOtherIsrMembers) {
    partition_->apply(leader_image(kSelf, 1, {kSelf, 2}));
    ASSERT_EQ(append(3).error.code, errc::none);
    EXPECT_EQ(partition_->log_end_offset(), 3);
    EXPECT_EQ(partition_->high_watermark(), 0);
}

TEST_F(PartitionTest, CorruptBatchIsRefusedByTheLog) {
    partition_->apply(leader_image(kSelf, 1, {kSelf}));
    auto batch = make_batch(2);
    batch.back() ^= 0xff;  // breaks the CRC
    auto out = partition_->append_as_leader(batch, 1);
    EXPECT_TRUE(out.storage_failed);
    EXPECT_EQ(out.storage_error, storage::Errc::invalid_record);
    EXPECT_EQ(partition_->log_end_offset(), 0);
}

TEST_F(PartitionTest, LeaderEpochCheck) {
    partition_->apply(leader_image(kSelf, 5, {kSelf}));
    EXPECT_EQ(partition_->check_leader_epoch(-1), errc::none);
    EXPECT_EQ(partition_->check_leader_epoch(5), errc::none);
    EXPECT_EQ(partition_->check_leader_epoch(4), errc::fenced_leader_epoch);
    EXPECT_EQ(partition_->check_leader_epoch(6), errc::unknown_leader_epoch);
}

TEST_F(PartitionTest, AppendsAndLeadershipChangesAreReported) {
    std::vector<uint32_t> seen;
    auto log = log_;
    partition_ = std::make_unique<Partition>(
        storage::TopicPartition{"t", 0}, protocol::Uuid::random(), log, kSelf,
        [&](const storage::TopicPartition& tp, uint32_t changes) {
            EXPECT_EQ(tp.topic, "t");
            seen.push_back(changes);
        });
    partition_->apply(leader_image(kSelf, 1, {kSelf}));
    ASSERT_EQ(seen.size(), 1u);  // became leader
    ASSERT_EQ(append(1).error.code, errc::none);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_NE(seen.back() & kHighWatermarkChanged, 0u);
    partition_->apply(leader_image(2, 2, {2}));
    EXPECT_EQ(seen.size(), 3u);
    EXPECT_FALSE(partition_->is_leader());
}

TEST_F(PartitionTest, AppendBehindTheHighWatermarkReportsOnlyTheLogEnd) {
    std::vector<uint32_t> seen;
    partition_ = std::make_unique<Partition>(
        storage::TopicPartition{"t", 0}, protocol::Uuid::random(), log_, kSelf,
        [&](const storage::TopicPartition&, uint32_t changes) { seen.push_back(changes); });
    partition_->apply(leader_image(kSelf, 1, {kSelf, 2}));
    seen.clear();
    ASSERT_EQ(append(1).error.code, errc::none);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0], kLogEndChanged);
}

}  // namespace
}  // namespace gregor::replication
