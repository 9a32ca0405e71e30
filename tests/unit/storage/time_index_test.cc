#include "gregor/storage/time_index.h"

#include "storage_test_util.h"
#include <gtest/gtest.h>

namespace gregor::storage {
namespace {

using testing::TempDir;

class TimeIndexTest : public ::testing::Test {
protected:
    std::filesystem::path path() const { return dir_.path() / "00000000000000000100.timeindex"; }
    std::unique_ptr<TimeIndex> open(int64_t max_bytes = 120, bool writable = true) {
        auto index = TimeIndex::open(path(), 100, max_bytes, writable);
        EXPECT_TRUE(index.has_value());
        return index ? std::move(*index) : nullptr;
    }
    TempDir dir_;
};

TEST_F(TimeIndexTest, AppendsOnlyGrowingTimestamps) {
    auto index = open();
    EXPECT_FALSE(index->maybe_append(-1, 100)) << "no timestamp";
    EXPECT_TRUE(index->maybe_append(5000, 105));
    EXPECT_FALSE(index->maybe_append(5000, 106)) << "equal timestamp";
    EXPECT_FALSE(index->maybe_append(4000, 107)) << "older timestamp";
    EXPECT_FALSE(index->maybe_append(6000, 104)) << "offset going back";
    EXPECT_TRUE(index->maybe_append(6000, 105)) << "same offset, newer timestamp";
    EXPECT_EQ(index->entries(), 2u);
    EXPECT_EQ(index->last_entry().timestamp, 6000);
}

TEST_F(TimeIndexTest, LookupFindsTheFloorEntry) {
    auto index = open();
    ASSERT_TRUE(index->maybe_append(1000, 110));
    ASSERT_TRUE(index->maybe_append(2000, 120));
    EXPECT_EQ(index->lookup(999).timestamp, -1);
    EXPECT_EQ(index->lookup(999).offset, 100) << "none: the base offset";
    EXPECT_EQ(index->lookup(1000).offset, 110);
    EXPECT_EQ(index->lookup(1999).offset, 110);
    EXPECT_EQ(index->lookup(5000).offset, 120);
}

TEST_F(TimeIndexTest, KeepsTheLastSlotForTheRollEntry) {
    auto index = open(36);  // 3 slots
    ASSERT_TRUE(index->maybe_append(1, 101));
    ASSERT_TRUE(index->maybe_append(2, 102));
    EXPECT_TRUE(index->is_full());
    EXPECT_FALSE(index->maybe_append(3, 103));
    EXPECT_TRUE(index->maybe_append(3, 103, true));
    EXPECT_FALSE(index->maybe_append(4, 104, true)) << "truly full";
}

TEST_F(TimeIndexTest, EntriesAreTimestampThenRelativeOffset) {
    auto index = open();
    ASSERT_TRUE(index->maybe_append(0x0102030405060708, 100 + 0x0A0B0C0D));
    ASSERT_TRUE(index->file().trim());
    EXPECT_EQ(testing::read_file(path()),
              (testing::Bytes{1, 2, 3, 4, 5, 6, 7, 8, 0x0A, 0x0B, 0x0C, 0x0D}));
}

TEST_F(TimeIndexTest, TruncateDropsEntriesAtOrAboveTheOffset) {
    auto index = open();
    ASSERT_TRUE(index->maybe_append(1000, 110));
    ASSERT_TRUE(index->maybe_append(2000, 120));
    index->truncate_to(115);
    EXPECT_EQ(index->entries(), 1u);
    EXPECT_EQ(index->last_entry().offset, 110);
}

TEST_F(TimeIndexTest, SanityCheckRejectsBadSizesAndOrder) {
    testing::write_file(path(), testing::Bytes(25, 0));
    EXPECT_NE(open(120, false)->sanity_check(), "");

    testing::Bytes bad = {0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1,   // ts 9 @ +1
                          0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 2};  // ts 5 @ +2: goes back
    testing::write_file(path(), bad);
    EXPECT_NE(open(120, false)->sanity_check(), "");

    bad[7] = 1;  // ts 1 then 5: fine
    testing::write_file(path(), bad);
    EXPECT_EQ(open(120, false)->sanity_check(), "");
}

}  // namespace
}  // namespace gregor::storage
