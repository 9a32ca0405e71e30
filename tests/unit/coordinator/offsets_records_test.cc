#include "gregor/coordinator/group_coordinator.h"
#include "gregor/protocol/error_codes.h"

#include <gtest/gtest.h>

#include <chrono>

namespace gregor::coordinator {
namespace {

TEST(OffsetsPartitionTest, MatchesJavaStringHashCode) {
    EXPECT_EQ(offsets_partition_for("a", 50), 47);
    EXPECT_EQ(offsets_partition_for("my-group", 50), 12);  // negative hash
    EXPECT_EQ(offsets_partition_for("console-consumer-12345", 50), 6);
    EXPECT_EQ(offsets_partition_for("\xc3\xa9", 50), 33);           // é: one UTF-16 unit
    EXPECT_EQ(offsets_partition_for("\xf0\x9f\x98\x80", 50), 49);   // a surrogate pair
    EXPECT_EQ(offsets_partition_for("polygenelubricants", 50), 0);  // Integer.MIN_VALUE
}

TEST(OffsetsRecordsTest, KeyStartsWithTheRecordTypeAndValueWithItsVersion) {
    auto r = offset_commit_record("g", "t", 3, CommittedOffset{42, 5, std::string("m"), 1000});
    // int16 type 1, then group "g", topic "t" (int16-length strings), partition 3.
    EXPECT_EQ(r.key, (Bytes{0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 3}));
    ASSERT_TRUE(r.value);
    EXPECT_EQ((*r.value)[0], 0);
    EXPECT_EQ((*r.value)[1], 3);
    EXPECT_FALSE(offset_commit_record("g", "t", 3, std::nullopt).value);
}

// Keeps what the coordinator would append to __consumer_offsets.
struct MemoryStore : GroupStore {
    std::vector<Record> records;
    int16_t fail_with = 0;
    int16_t append(const std::string&, const std::vector<Record>& rs) override {
        if (fail_with != 0) {
            return fail_with;
        }
        records.insert(records.end(), rs.begin(), rs.end());
        return 0;
    }
};

void replay_all(GroupCoordinator& c, const MemoryStore& store) {
    for (const auto& r : store.records) {
        if (r.value) {
            c.replay(r.key, std::span<const uint8_t>(*r.value));
        } else {
            c.replay(r.key, std::nullopt);
        }
    }
}

TEST(OffsetsRecordsTest, ReplayRebuildsOffsetsAndDeletions) {
    MemoryStore store;
    {
        GroupCoordinator c(CoordinatorConfig{});
        c.set_store(&store);
        OffsetCommitRequestData commit;
        commit.group_id = "kept";
        commit.offsets.push_back({"t", 0, {10, 1, std::string("meta"), 5}});
        commit.offsets.push_back({"t", 1, {20, -1, std::nullopt, 5}});
        int16_t error = -1;
        c.commit_offsets(commit, error);
        ASSERT_EQ(error, 0);
        commit.group_id = "deleted";
        c.commit_offsets(commit, error);
        ASSERT_EQ(error, 0);
        std::vector<int16_t> partition_errors;
        ASSERT_EQ(c.delete_offsets("kept", {{"t", 1}}, partition_errors), 0);
        ASSERT_EQ(c.delete_group("deleted"), 0);
    }
    GroupCoordinator loaded(CoordinatorConfig{});
    replay_all(loaded, store);
    auto offsets = loaded.fetch_offsets("kept", std::nullopt);
    ASSERT_EQ(offsets.size(), 1u);
    EXPECT_EQ(offsets.at({"t", 0}).offset, 10);
    EXPECT_EQ(offsets.at({"t", 0}).leader_epoch, 1);
    EXPECT_EQ(offsets.at({"t", 0}).metadata, "meta");
    EXPECT_TRUE(loaded.fetch_offsets("deleted", std::nullopt).empty());
    auto groups = loaded.list_groups();
    ASSERT_EQ(groups.size(), 1u);
    EXPECT_EQ(groups[0].group_id, "kept");
    EXPECT_EQ(groups[0].state, "Empty");
}

TEST(OffsetsRecordsTest, AFailedAppendCommitsNothing) {
    MemoryStore store;
    store.fail_with = protocol::error::not_coordinator;
    GroupCoordinator c(CoordinatorConfig{});
    c.set_store(&store);
    OffsetCommitRequestData commit;
    commit.group_id = "g";
    commit.offsets.push_back({"t", 0, {10, -1, std::nullopt, 5}});
    int16_t error = -1;
    auto errors = c.commit_offsets(commit, error);
    EXPECT_EQ(errors, std::vector<int16_t>{protocol::error::not_coordinator});
    EXPECT_TRUE(c.fetch_offsets("g", std::nullopt).empty());
}

}  // namespace
}  // namespace gregor::coordinator

namespace gregor::coordinator {
namespace {

TEST(OffsetExpiryTest, EmptyGroupsLoseOffsetsAfterTheRetentionThenDisappear) {
    CoordinatorConfig config;
    config.offsets_retention_ms = 1000;
    config.min_session_timeout_ms = 10;
    MemoryStore store;
    GroupCoordinator c(config);
    c.set_store(&store);
    const int64_t t0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    OffsetCommitRequestData commit;
    commit.group_id = "simple";
    commit.offsets.push_back({"t", 0, {10, -1, std::nullopt, t0}});
    commit.offsets.push_back({"t", 1, {11, -1, std::nullopt, t0 + 5000}});
    int16_t error = -1;
    c.commit_offsets(commit, error);
    ASSERT_EQ(error, 0);

    EXPECT_EQ(c.expire_offsets(t0 + 500), 0u);
    // A simple group's offsets expire one by one, from their commit time.
    EXPECT_EQ(c.expire_offsets(t0 + 1000), 1u);
    EXPECT_EQ(c.fetch_offsets("simple", std::nullopt).size(), 1u);
    EXPECT_EQ(c.list_groups().size(), 1u);
    EXPECT_EQ(c.expire_offsets(t0 + 6000), 1u);
    EXPECT_TRUE(c.fetch_offsets("simple", std::nullopt).empty());
    EXPECT_TRUE(c.list_groups().empty());  // nothing left: the group goes too

    // The tombstones replay to the same result.
    GroupCoordinator loaded(CoordinatorConfig{});
    replay_all(loaded, store);
    EXPECT_TRUE(loaded.fetch_offsets("simple", std::nullopt).empty());
    EXPECT_TRUE(loaded.list_groups().empty());
}

}  // namespace
}  // namespace gregor::coordinator
