#include "gregor/storage/producer_state.h"

#include "gregor/protocol/crc32c.h"

#include "storage_test_util.h"
#include <gtest/gtest.h>

#include <limits>

namespace gregor::storage {
namespace {

using testing::TempDir;

constexpr int32_t kMaxSeq = std::numeric_limits<int32_t>::max();

ProducerBatch batch(
    int64_t pid, int16_t epoch, int32_t seq, int64_t offset, int records = 1, int64_t ts = 1000) {
    ProducerBatch b;
    b.producer_id = pid;
    b.epoch = epoch;
    b.base_sequence = seq;
    b.first_offset = offset;
    b.last_offset = offset + records - 1;
    b.max_timestamp = ts;
    return b;
}

// Appends as a leader does: validate, then commit.
Result<bool> client_append(ProducerStateManager& state, const ProducerBatch& b) {
    ProducerAppend append(state, true);
    auto ok = append.append(b);
    if (ok) {
        state.commit(std::move(append), b.last_offset + 1);
    }
    return ok;
}

TEST(ProducerStateTest, InSequenceBatchesAreAccepted) {
    TempDir tmp;
    ProducerStateManager state(tmp.path());
    ASSERT_TRUE(client_append(state, batch(7, 0, 0, 0, 3)));
    ASSERT_TRUE(client_append(state, batch(7, 0, 3, 3, 2)));
    const ProducerEntry* e = state.find(7);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->last_seq(), 4);
    EXPECT_EQ(e->last_offset(), 4);
    EXPECT_EQ(state.map_end_offset(), 5);
}

TEST(ProducerStateTest, SequenceGapIsOutOfOrder) {
    TempDir tmp;
    ProducerStateManager state(tmp.path());
    ASSERT_TRUE(client_append(state, batch(7, 0, 0, 0, 3)));
    auto gap = client_append(state, batch(7, 0, 5, 3));
    ASSERT_FALSE(gap);
    EXPECT_EQ(gap.error().code, Errc::out_of_order_sequence);
    EXPECT_EQ(state.find(7)->last_seq(), 2);  // nothing changed
}

TEST(ProducerStateTest, OlderEpochIsInvalidProducerEpoch) {
    TempDir tmp;
    ProducerStateManager state(tmp.path());
    ASSERT_TRUE(client_append(state, batch(7, 3, 0, 0)));
    auto old = client_append(state, batch(7, 2, 1, 1));
    ASSERT_FALSE(old);
    EXPECT_EQ(old.error().code, Errc::invalid_producer_epoch);
}

TEST(ProducerStateTest, NewEpochMustStartAtZero) {
    TempDir tmp;
    ProducerStateManager state(tmp.path());
    ASSERT_TRUE(client_append(state, batch(7, 0, 0, 0, 5)));
    auto bad = client_append(state, batch(7, 1, 5, 5));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::out_of_order_sequence);
    ASSERT_TRUE(client_append(state, batch(7, 1, 0, 5)));
    EXPECT_EQ(state.find(7)->epoch, 1);
    EXPECT_EQ(state.find(7)->batches.size(), 1u);  // the old epoch's batches are forgotten
}

TEST(ProducerStateTest, UnknownProducerIsAcceptedAtAnySequence) {
    // Kafka 4.1's checkSequence: no current epoch (state expired or removed) accepts any sequence.
    TempDir tmp;
    ProducerStateManager state(tmp.path());
    ASSERT_TRUE(client_append(state, batch(9, 4, 42, 0)));
    EXPECT_EQ(state.find(9)->last_seq(), 42);
    auto gap = client_append(state, batch(9, 4, 44, 1));
    ASSERT_FALSE(gap);
    EXPECT_EQ(gap.error().code, Errc::out_of_order_sequence);
}

TEST(ProducerStateTest, SequenceWrapsAtInt32Max) {
    TempDir tmp;
    ProducerStateManager state(tmp.path());
    ASSERT_TRUE(client_append(state, batch(7, 0, kMaxSeq - 1, 0, 2)));
    EXPECT_EQ(state.find(7)->last_seq(), kMaxSeq);
    ASSERT_TRUE(client_append(state, batch(7, 0, 0, 2, 3)));
    // A batch spanning the wrap: its last sequence is small again.
    ProducerStateManager other(tmp.path());
    ASSERT_TRUE(client_append(other, batch(8, 0, kMaxSeq, 0, 3)));
    EXPECT_EQ(other.find(8)->last_seq(), 1);
    ASSERT_TRUE(client_append(other, batch(8, 0, 2, 3)));
}

TEST(ProducerStateTest, DuplicatesOfTheLastFiveBatchesAreFound) {
    TempDir tmp;
    ProducerStateManager state(tmp.path());
    for (int i = 0; i < 6; ++i) {
        ASSERT_TRUE(client_append(state, batch(7, 0, i * 2, 100 + i * 2, 2, 5000 + i)));
    }
    EXPECT_FALSE(state.find_duplicate(batch(7, 0, 0, 0, 2)));  // the 6th pushed the 1st out
    for (int i = 1; i < 6; ++i) {
        auto dup = state.find_duplicate(batch(7, 0, i * 2, 0, 2));
        ASSERT_TRUE(dup) << i;
        EXPECT_EQ(dup->first_offset, 100 + i * 2);
        EXPECT_EQ(dup->last_offset, 101 + i * 2);
        EXPECT_EQ(dup->timestamp, 5000 + i);
    }
    EXPECT_FALSE(state.find_duplicate(batch(7, 0, 2, 0, 3)));  // same first, other last sequence
    EXPECT_FALSE(state.find_duplicate(batch(7, 1, 2, 0, 2)));  // other epoch
}

TEST(ProducerStateTest, StagedBatchesOfOneRequestChainTheirSequences) {
    TempDir tmp;
    ProducerStateManager state(tmp.path());
    ProducerAppend append(state, true);
    ASSERT_TRUE(append.append(batch(7, 0, 0, 0, 2)));
    ASSERT_TRUE(append.append(batch(7, 0, 2, 2, 2)));
    EXPECT_FALSE(append.append(batch(7, 0, 9, 4)));
    EXPECT_EQ(state.find(7), nullptr);  // nothing committed yet
}

TEST(ProducerStateTest, ReplayTakesBatchesWithoutChecks) {
    TempDir tmp;
    ProducerStateManager state(tmp.path());
    state.replay(batch(7, 5, 10, 0));
    state.replay(batch(7, 4, 99, 1));  // a follower keeps what the leader wrote
    EXPECT_EQ(state.find(7)->epoch, 4);
    EXPECT_EQ(state.find(7)->last_seq(), 99);
}

TEST(ProducerStateTest, SnapshotMatchesKafkasLayoutAndRoundTrips) {
    TempDir tmp;
    ProducerStateManager state(tmp.path());
    ASSERT_TRUE(client_append(state, batch(7, 2, 0, 0, 3, 1111)));
    ASSERT_TRUE(client_append(state, batch(7, 2, 3, 3, 2, 2222)));
    ASSERT_TRUE(client_append(state, batch(1000, 0, kMaxSeq, 5, 3, 3333)));
    ASSERT_TRUE(state.write_snapshot());
    const auto path = tmp.path() / "00000000000000000008.snapshot";
    const auto bytes = testing::read_file(path);
    // version 1, CRC-32C of everything after it, then int32 count and 46-byte entries.
    ASSERT_EQ(bytes.size(), 2u + 4u + 4u + 2u * 46u);
    EXPECT_EQ(bytes[0], 0);
    EXPECT_EQ(bytes[1], 1);
    const uint32_t crc = (uint32_t{bytes[2]} << 24) | (uint32_t{bytes[3]} << 16)
                         | (uint32_t{bytes[4]} << 8) | uint32_t{bytes[5]};
    EXPECT_EQ(crc, protocol::crc32c(bytes.data() + 6, bytes.size() - 6));
    EXPECT_EQ(bytes[9], 2);  // two entries

    ProducerStateManager loaded(tmp.path());
    auto offset = loaded.load_latest_snapshot(100);
    ASSERT_TRUE(offset);
    ASSERT_EQ(offset->value_or(-1), 8);
    EXPECT_EQ(loaded.map_end_offset(), 8);
    const ProducerEntry* e = loaded.find(7);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->epoch, 2);
    EXPECT_EQ(e->last_timestamp, 2222);
    ASSERT_EQ(e->batches.size(), 1u);  // a snapshot keeps each producer's last batch
    EXPECT_EQ(e->batches.back().first_seq, 3);
    EXPECT_EQ(e->batches.back().first_offset, 3);
    EXPECT_TRUE(loaded.find_duplicate(batch(7, 2, 3, 0, 2)));
    const ProducerEntry* wrapped = loaded.find(1000);
    ASSERT_NE(wrapped, nullptr);
    EXPECT_EQ(wrapped->batches.back().first_seq, kMaxSeq);
    EXPECT_EQ(wrapped->batches.back().last_seq, 1);
}

TEST(ProducerStateTest, CorruptSnapshotFallsBackToAnEarlierOne) {
    TempDir tmp;
    ProducerStateManager state(tmp.path());
    ASSERT_TRUE(client_append(state, batch(7, 0, 0, 0)));
    ASSERT_TRUE(state.write_snapshot());  // at 1
    ASSERT_TRUE(client_append(state, batch(7, 0, 1, 1)));
    ASSERT_TRUE(state.write_snapshot());  // at 2
    auto bytes = testing::read_file(state.snapshot_path(2));
    bytes.back() ^= 0xff;
    testing::write_file(state.snapshot_path(2), bytes);

    ProducerStateManager loaded(tmp.path());
    auto offset = loaded.load_latest_snapshot(10);
    ASSERT_TRUE(offset);
    EXPECT_EQ(offset->value_or(-1), 1);
    EXPECT_EQ(loaded.find(7)->last_seq(), 0);
    EXPECT_EQ(loaded.snapshot_offsets(), std::vector<int64_t>{1});  // the corrupt one is gone
    EXPECT_FALSE(loaded.load_latest_snapshot(0)->has_value());
}

TEST(ProducerStateTest, SnapshotFilesAreDeletedByRange) {
    TempDir tmp;
    ProducerStateManager state(tmp.path());
    for (int64_t o : {0, 5, 10, 15}) {
        state.set_map_end_offset(o);
        ASSERT_TRUE(state.write_snapshot());
    }
    state.delete_snapshots_above(10);
    state.delete_snapshots_below(5);
    EXPECT_EQ(state.snapshot_offsets(), (std::vector<int64_t>{5, 10}));
}

TEST(ProducerStateTest, IdleProducersExpire) {
    TempDir tmp;
    ProducerStateManager state(tmp.path());
    ASSERT_TRUE(client_append(state, batch(1, 0, 0, 0, 1, 1000)));
    ASSERT_TRUE(client_append(state, batch(2, 0, 0, 1, 1, 5000)));
    EXPECT_EQ(state.remove_expired(5999, 5000), 0u);
    EXPECT_EQ(state.remove_expired(6000, 5000), 1u);
    EXPECT_EQ(state.find(1), nullptr);
    EXPECT_NE(state.find(2), nullptr);
    auto active = state.active_producers();
    ASSERT_EQ(active.size(), 1u);
    EXPECT_EQ(active[0].producer_id, 2);
    EXPECT_EQ(active[0].last_sequence, 0);
    EXPECT_EQ(active[0].last_timestamp, 5000);
    EXPECT_EQ(active[0].current_txn_start_offset, -1);
}

}  // namespace
}  // namespace gregor::storage
