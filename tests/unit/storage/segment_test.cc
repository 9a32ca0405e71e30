#include "gregor/storage/segment.h"

#include "gregor/storage/file_cache.h"

#include "storage_test_util.h"
#include <gtest/gtest.h>

namespace gregor::storage {
namespace {

using testing::Bytes;
using testing::make_batch;
using testing::TempDir;

class SegmentTest : public ::testing::Test {
protected:
    SegmentTest() {
        config_.index_interval_bytes = 200;
        config_.segment_index_bytes = 4096;
    }

    std::shared_ptr<Segment> create(int64_t base = 50, FileCache* files = nullptr) {
        auto segment = Segment::create(dir_.path(), base, config_, files, 0);
        EXPECT_TRUE(segment.has_value());
        return segment ? *segment : nullptr;
    }

    // Appends `n` batches of 3 records each starting at `offset`; returns their bytes.
    Bytes append(Segment& segment, int n, int64_t offset, int64_t timestamp = 1000) {
        Bytes all;
        for (int i = 0; i < n; ++i) {
            Bytes b = make_batch(3, timestamp + i * 10, 100, offset + i * 3);
            EXPECT_TRUE(segment.append(b));
            all.insert(all.end(), b.begin(), b.end());
        }
        return all;
    }

    TempDir dir_;
    LogConfig config_;
};

TEST_F(SegmentTest, FileNamesAreTwentyDigitBaseOffsets) {
    EXPECT_EQ(segment_file_prefix(42), "00000000000000000042");
    EXPECT_EQ(segment_base_offset_from_name("00000000000000000042.log"), 42);
    EXPECT_EQ(segment_base_offset_from_name("00000000000000000042.log.swap"), 42);
    EXPECT_FALSE(segment_base_offset_from_name("leader-epoch-checkpoint"));
    EXPECT_FALSE(segment_base_offset_from_name("0000000000000000004x.log"));
    auto segment = create(42);
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "00000000000000000042.log"));
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "00000000000000000042.index"));
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "00000000000000000042.timeindex"));
}

TEST_F(SegmentTest, StoresBatchesVerbatim) {
    auto segment = create();
    const Bytes written = append(*segment, 5, 50);
    EXPECT_EQ(testing::read_file(segment->log_path()), written);
    EXPECT_EQ(segment->size_bytes(), static_cast<int64_t>(written.size()));
    EXPECT_EQ(segment->read_next_offset().value(), 65);
}

TEST_F(SegmentTest, IndexesEveryIntervalBytes) {
    auto segment = create();
    append(*segment, 10, 50);  // ~200 bytes each
    const OffsetIndex* index = segment->offset_index().value();
    ASSERT_GT(index->entries(), 2u);
    // Every entry points at the start of the batch holding its offset.
    for (size_t i = 0; i < index->entries(); ++i) {
        const OffsetPosition e = index->entry(i);
        auto batch = segment->find_batch(e.offset).value();
        ASSERT_TRUE(batch);
        EXPECT_EQ(batch->position, e.position);
        EXPECT_EQ(batch->last_offset, e.offset) << "entries name a batch's last offset";
    }
    EXPECT_GT(segment->time_index().value()->entries(), 0u);
}

TEST_F(SegmentTest, ReadReturnsWholeBatchesFromTheOneHoldingTheOffset) {
    auto segment = create();
    const Bytes written = append(*segment, 10, 50);
    const uint32_t batch_size = static_cast<uint32_t>(written.size() / 10);
    auto read = segment->read(58, 1 << 20, INT64_MAX, false).value();
    ASSERT_TRUE(read);
    EXPECT_EQ(read->first_batch_offset, 56) << "offset 58 lies in the batch 56..58";
    EXPECT_EQ(read->slice.offset, 2 * batch_size);
    EXPECT_EQ(read->slice.length, 8 * batch_size);
    EXPECT_EQ(testing::slice_bytes(read->slice),
              Bytes(written.begin() + 2 * batch_size, written.end()));
}

TEST_F(SegmentTest, ReadHonoursMaxBytesMaxOffsetAndMinOneBatch) {
    auto segment = create();
    const Bytes written = append(*segment, 10, 50);
    const uint32_t batch_size = static_cast<uint32_t>(written.size() / 10);

    auto two = segment->read(50, 2 * batch_size + 5, INT64_MAX, false).value();
    EXPECT_EQ(two->slice.length, 2 * batch_size);

    auto none = segment->read(50, batch_size - 1, INT64_MAX, false).value();
    ASSERT_TRUE(none) << "the segment holds the offset";
    EXPECT_EQ(none->slice.length, 0u);

    auto one = segment->read(50, 1, INT64_MAX, true).value();
    EXPECT_EQ(one->slice.length, batch_size) << "min_one_batch: the first whole batch";

    auto bounded = segment->read(50, 1 << 20, 59, false).value();
    EXPECT_EQ(bounded->slice.length, 3 * batch_size) << "batches 50, 53, 56 end below 59";

    EXPECT_FALSE(segment->read(80, 1 << 20, INT64_MAX, true).value()) << "past the end";
}

TEST_F(SegmentTest, FindsOffsetsByTimestamp) {
    auto segment = create();
    append(*segment, 10, 50, 1000);  // batch i: records at 1000+10i .. 1002+10i
    auto at = segment->find_offset_by_timestamp(1041, 0).value();
    ASSERT_TRUE(at);
    EXPECT_EQ(at->offset, 63) << "batch 4 (offsets 62..64) record 1 has timestamp 1041";
    EXPECT_EQ(at->timestamp, 1041);
    auto start = segment->find_offset_by_timestamp(0, 0).value();
    EXPECT_EQ(start->offset, 50);
    EXPECT_FALSE(segment->find_offset_by_timestamp(5000, 0).value());
    EXPECT_EQ(segment->max_timestamp_so_far(), 1092);
    EXPECT_EQ(segment->find_max_timestamp_record().value().offset, 79);
}

TEST_F(SegmentTest, TruncateCutsAtTheBatchHoldingTheOffset) {
    auto segment = create();
    const Bytes written = append(*segment, 10, 50);
    const int64_t batch_size = static_cast<int64_t>(written.size() / 10);
    EXPECT_EQ(segment->truncate_to(57, 0).value(), 8 * batch_size);
    EXPECT_EQ(segment->size_bytes(), 2 * batch_size);
    EXPECT_EQ(segment->read_next_offset().value(), 56);
    EXPECT_EQ(segment->max_timestamp_so_far(), 1012);
    EXPECT_EQ(testing::file_size(segment->log_path()), 2 * batch_size);
    EXPECT_EQ(segment->truncate_to(100, 0).value(), 0) << "nothing there";
}

TEST_F(SegmentTest, RecoveryRebuildsTheSameIndexesAsAppend) {
    auto segment = create();
    append(*segment, 20, 50);
    ASSERT_TRUE(segment->on_become_inactive());
    const Bytes index = testing::read_file(segment->index_path());
    const Bytes time_index = testing::read_file(segment->time_index_path());
    segment->close();

    auto reopened = Segment::open(dir_.path(), 50, config_, nullptr, 0).value();
    auto recovered = reopened->recover(0, nullptr).value();
    EXPECT_EQ(recovered.batches_validated, 20);
    EXPECT_EQ(recovered.bytes_truncated, 0);
    EXPECT_EQ(recovered.next_offset, 110);
    EXPECT_EQ(recovered.error, "");
    EXPECT_EQ(testing::read_file(reopened->index_path()), index);
    EXPECT_EQ(testing::read_file(reopened->time_index_path()), time_index);
}

TEST_F(SegmentTest, CloseTrimsIndexesAndAddsTheLastTimeEntry) {
    config_.index_interval_bytes = 4096;  // no entry before the close
    auto segment = create();
    append(*segment, 3, 50, 7000);
    EXPECT_EQ(testing::file_size(segment->index_path()), 4096);
    segment->close();
    EXPECT_EQ(testing::file_size(segment->index_path()), 0);
    const Bytes t = testing::read_file(segment->time_index_path());
    ASSERT_EQ(t.size(), 12u);
    EXPECT_EQ(get_be64(t.data()), 7022u);
    EXPECT_EQ(get_be32(t.data() + 8), 8u) << "last offset 58, relative 8";
}

TEST_F(SegmentTest, RollsOnSizeTimeIndexAndOffsetOverflow) {
    auto segment = create(0);
    RollParams p;
    p.messages_size = 100;
    p.max_offset_in_messages = 10;
    p.now_ms = 0;
    EXPECT_FALSE(segment->should_roll(config_, p));

    LogConfig small = config_;
    small.segment_bytes = 99;
    EXPECT_TRUE(segment->should_roll(small, p)) << "would exceed segment.bytes";

    p.max_offset_in_messages = int64_t{1} << 31;
    EXPECT_TRUE(segment->should_roll(config_, p)) << "relative offset overflow";
    p.max_offset_in_messages = 10;

    append(*segment, 1, 0, 1000);
    LogConfig timed = config_;
    timed.segment_ms = 500;
    p.max_timestamp_in_messages = 1400;
    EXPECT_FALSE(segment->should_roll(timed, p));
    p.max_timestamp_in_messages = 1503;
    EXPECT_TRUE(segment->should_roll(timed, p)) << "segment.ms since the first batch's timestamp";
}

TEST_F(SegmentTest, FileCacheBoundsOpenDescriptors) {
    FileCache cache(2);
    std::vector<std::shared_ptr<Segment>> segments;
    for (int i = 0; i < 5; ++i) {
        segments.push_back(create(i * 100, &cache));
        append(*segments.back(), 2, i * 100);
        EXPECT_LE(cache.open_files(), 2u);
    }
    for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < 5; ++i) {
            auto read = segments[i]->read(i * 100, 1 << 20, INT64_MAX, true).value();
            ASSERT_TRUE(read);
            EXPECT_EQ(testing::batch_offsets(testing::slice_bytes(read->slice)),
                      (std::vector<int64_t>{i * 100, i * 100 + 3}));
            EXPECT_LE(cache.open_files(), 2u);
        }
    }
    EXPECT_GT(cache.opens(), 5u) << "evicted descriptors were reopened";
}

TEST_F(SegmentTest, SlicesOutliveDeletion) {
    FileCache cache(1);
    auto segment = create(0, &cache);
    const Bytes written = append(*segment, 2, 0);
    auto read = segment->read(0, 1 << 20, INT64_MAX, true).value();
    ASSERT_TRUE(segment->change_suffix(kDeletedFileSuffix));
    ASSERT_TRUE(segment->delete_files());
    EXPECT_FALSE(std::filesystem::exists(segment->log_path()));
    EXPECT_EQ(testing::slice_bytes(read->slice), written);
}

TEST_F(SegmentTest, ChangeSuffixRenamesAllThreeFiles) {
    auto segment = create(7);
    append(*segment, 1, 7);
    ASSERT_TRUE(segment->change_suffix(kCleanedFileSuffix));
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "00000000000000000007.log.cleaned"));
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "00000000000000000007.index.cleaned"));
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "00000000000000000007.timeindex.cleaned"));
    ASSERT_TRUE(segment->change_suffix(""));
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "00000000000000000007.log"));
    EXPECT_TRUE(segment->read(7, 1000, INT64_MAX, true).value());
}

}  // namespace
}  // namespace gregor::storage
