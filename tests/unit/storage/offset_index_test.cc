#include "gregor/storage/offset_index.h"

#include "storage_test_util.h"
#include <gtest/gtest.h>

namespace gregor::storage {
namespace {

using testing::TempDir;

class OffsetIndexTest : public ::testing::Test {
protected:
    std::filesystem::path path() const { return dir_.path() / "00000000000000000100.index"; }
    std::unique_ptr<OffsetIndex> open(int64_t max_bytes = 80, bool writable = true) {
        auto index = OffsetIndex::open(path(), 100, max_bytes, writable);
        EXPECT_TRUE(index.has_value());
        return index ? std::move(*index) : nullptr;
    }
    TempDir dir_;
};

TEST_F(OffsetIndexTest, PreallocatesToAMultipleOfTheEntrySize) {
    auto index = open(85);
    EXPECT_EQ(testing::file_size(path()), 80);
    EXPECT_EQ(index->max_entries(), 10u);
    EXPECT_EQ(index->entries(), 0u);
}

TEST_F(OffsetIndexTest, LookupFindsTheFloorEntry) {
    auto index = open();
    ASSERT_TRUE(index->append(110, 1000));
    ASSERT_TRUE(index->append(120, 2000));
    ASSERT_TRUE(index->append(130, 3000));
    EXPECT_EQ(index->lookup(99).position, 0u) << "below every entry: the segment start";
    EXPECT_EQ(index->lookup(100).offset, 100);
    EXPECT_EQ(index->lookup(110).position, 1000u);
    EXPECT_EQ(index->lookup(119).position, 1000u);
    EXPECT_EQ(index->lookup(125).position, 2000u);
    EXPECT_EQ(index->lookup(1000).position, 3000u);
}

TEST_F(OffsetIndexTest, RejectsNonIncreasingAndFullAppends) {
    auto index = open(16);
    ASSERT_TRUE(index->append(105, 10));
    EXPECT_FALSE(index->append(105, 20)) << "same offset";
    EXPECT_FALSE(index->append(106, 10)) << "same position";
    EXPECT_FALSE(index->append(99, 30)) << "below the base offset";
    ASSERT_TRUE(index->append(106, 20));
    EXPECT_TRUE(index->is_full());
    EXPECT_FALSE(index->append(107, 30));
}

TEST_F(OffsetIndexTest, EntriesAreBigEndianRelativeOffsetAndPosition) {
    auto index = open();
    ASSERT_TRUE(index->append(100 + 0x010203, 0x0A0B0C0D));
    ASSERT_TRUE(index->file().trim());
    const testing::Bytes bytes = testing::read_file(path());
    EXPECT_EQ(bytes, (testing::Bytes{0x00, 0x01, 0x02, 0x03, 0x0A, 0x0B, 0x0C, 0x0D}));
}

TEST_F(OffsetIndexTest, TruncateDropsEntriesAtOrAboveTheOffset) {
    auto index = open();
    ASSERT_TRUE(index->append(110, 1000));
    ASSERT_TRUE(index->append(120, 2000));
    ASSERT_TRUE(index->append(130, 3000));
    index->truncate_to(120);
    EXPECT_EQ(index->entries(), 1u);
    EXPECT_EQ(index->last_entry().offset, 110);
    EXPECT_TRUE(index->append(115, 1500));
}

TEST_F(OffsetIndexTest, TrimmedFileReopensWithItsEntries) {
    {
        auto index = open();
        ASSERT_TRUE(index->append(110, 1000));
        ASSERT_TRUE(index->append(120, 2000));
        ASSERT_TRUE(index->file().trim());
    }
    EXPECT_EQ(testing::file_size(path()), 16);
    auto index = open(80, false);
    EXPECT_EQ(index->entries(), 2u);
    EXPECT_EQ(index->sanity_check(), "");
    EXPECT_EQ(index->lookup(125).position, 2000u);
}

TEST_F(OffsetIndexTest, SanityCheckRejectsAPartialEntry) {
    testing::write_file(path(), testing::Bytes(13, 0));
    auto index = open(80, false);
    EXPECT_NE(index->sanity_check(), "");
}

TEST_F(OffsetIndexTest, SanityCheckRejectsAnUntrimmedPreallocatedFile) {
    {
        auto index = open();
        ASSERT_TRUE(index->append(110, 1000));
    }  // not trimmed: a crash
    auto index = open(80, false);
    EXPECT_EQ(index->entries(), 10u) << "the size says nothing about the entries";
    EXPECT_NE(index->sanity_check(), "");
}

TEST_F(OffsetIndexTest, ResizeGrowsAndShrinksKeepingEntries) {
    auto index = open(16);
    ASSERT_TRUE(index->append(110, 1000));
    ASSERT_TRUE(index->file().resize(800));
    EXPECT_EQ(index->max_entries(), 100u);
    EXPECT_EQ(index->lookup(111).position, 1000u);
    ASSERT_TRUE(index->file().resize(0));
    EXPECT_EQ(index->max_entries(), 1u) << "never below the entries held";
}

}  // namespace
}  // namespace gregor::storage
