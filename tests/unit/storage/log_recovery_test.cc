// Crash recovery, in the shape of LevelDB's log_test: a fixture writes batches through a Log,
// snapshots its directory while the log is still open (what a crash leaves: preallocated indexes,
// no trimming), applies one failure shape to the snapshot, reopens it as after an unclean
// shutdown, and checks exactly which offsets survive and what the RecoveryReport says.

#include "gregor/protocol/record_batch.h"
#include "gregor/storage/leader_epoch_cache.h"
#include "gregor/storage/log.h"
#include "gregor/storage/segment.h"

#include "storage_test_util.h"
#include <gtest/gtest.h>

namespace gregor::storage {
namespace {

namespace fs = std::filesystem;
namespace L = protocol::batch_layout;
using testing::Bytes;
using testing::make_batch;
using testing::TempDir;

constexpr int kRecords = 2;  // records per batch: batch i holds offsets 2i, 2i+1

class LogRecoveryTest : public ::testing::Test {
protected:
    LogRecoveryTest() {
        config_.index_interval_bytes = 100;
        config_.segment_index_bytes = 1024;
    }

    LogOpenOptions options(bool clean, int64_t recovery_point) {
        LogOpenOptions o;
        o.config = config_;
        o.clock = [] { return int64_t{50'000}; };
        o.had_clean_shutdown = clean;
        o.recovery_point = recovery_point;
        return o;
    }

    // Writes `n` batches (leader epoch 1 + i / 4) and snapshots the log into crash_dir(): while
    // it is still open (a crash), or after close() when `clean`.
    void write(int n, bool clean = false) {
        auto log = Log::open(live_dir(), tp(), options(false, 0));
        ASSERT_TRUE(log.has_value());
        for (int i = 0; i < n; ++i) {
            ASSERT_TRUE((*log)->append_as_leader(make_batch(kRecords, 1000 + i, 20), 1 + i / 4));
        }
        segments_ = (*log)->segments().size();
        if (clean) {
            (*log)->close();
        }
        snapshot();
    }

    void snapshot() {
        fs::remove_all(crash_dir());
        fs::create_directories(crash_dir());
        fs::copy(live_dir(), crash_dir(), fs::copy_options::recursive);
    }

    TopicPartition tp() const {
        TopicPartition t;
        t.topic = "r";
        t.partition = 0;
        return t;
    }
    fs::path live_dir() const { return tmp_.path() / "live" / "r-0"; }
    fs::path crash_dir() const { return tmp_.path() / "crash" / "r-0"; }

    // The .log files of the snapshot, oldest first.
    std::vector<fs::path> log_files() const {
        std::vector<fs::path> out;
        for (const auto& e : fs::directory_iterator(crash_dir())) {
            if (e.path().extension() == ".log") {
                out.push_back(e.path());
            }
        }
        std::sort(out.begin(), out.end());
        return out;
    }
    fs::path first_log() const { return log_files().front(); }
    fs::path last_log() const { return log_files().back(); }

    // Start positions of the batches in a .log.
    static std::vector<size_t> positions(const fs::path& file) {
        const Bytes bytes = testing::read_file(file);
        std::vector<size_t> out;
        protocol::BatchSplitter splitter(bytes);
        while (auto batch = splitter.next()) {
            out.push_back(static_cast<size_t>(batch->bytes().data() - bytes.data()));
        }
        return out;
    }

    void flip_byte(const fs::path& file, size_t position) {
        Bytes bytes = testing::read_file(file);
        ASSERT_LT(position, bytes.size());
        bytes[position] ^= 0x40;
        testing::write_file(file, bytes);
    }

    void shrink(const fs::path& file, size_t size) { fs::resize_file(file, size); }

    // Reopens the snapshot as after a crash; returns the base offset of every readable batch.
    std::vector<int64_t> recover(int64_t recovery_point = 0, bool clean = false) {
        report_ = RecoveryReport{};
        auto log = Log::open(crash_dir(), tp(), options(clean, recovery_point), &report_);
        EXPECT_TRUE(log.has_value()) << (log ? "" : log.error().message);
        if (!log) {
            return {};
        }
        std::vector<int64_t> out;
        int64_t offset = (*log)->log_start_offset();
        while (offset < (*log)->log_end_offset()) {
            auto read = (*log)->read(offset, 1 << 20, INT64_MAX, true);
            EXPECT_TRUE(read.has_value());
            if (!read || read->slices.empty()) {
                break;
            }
            const Bytes bytes = testing::slice_bytes(read->slices[0]);
            protocol::BatchSplitter splitter(bytes);
            while (auto batch = splitter.next()) {
                out.push_back(batch->base_offset());
                offset = batch->next_offset();
            }
            EXPECT_EQ(splitter.error(), protocol::BatchError::kOk) << "an invalid batch was served";
        }
        EXPECT_EQ(offset, (*log)->log_end_offset());
        log_end_ = (*log)->log_end_offset();
        epochs_ = (*log)->leader_epochs().entries();
        return out;
    }

    static std::vector<int64_t> first_batches(int n) {
        std::vector<int64_t> out;
        for (int i = 0; i < n; ++i) {
            out.push_back(i * kRecords);
        }
        return out;
    }

    TempDir tmp_;
    LogConfig config_;
    size_t segments_ = 0;
    RecoveryReport report_;
    int64_t log_end_ = -1;
    std::vector<EpochEntry> epochs_;
};

TEST_F(LogRecoveryTest, IntactLogSurvivesWhole) {
    write(10);
    EXPECT_EQ(recover(), first_batches(10));
    EXPECT_EQ(report_.batches_validated, 10);
    EXPECT_EQ(report_.bytes_validated, testing::file_size(first_log()));
    EXPECT_EQ(report_.bytes_truncated, 0);
    EXPECT_EQ(report_.segments_deleted, 0);
    EXPECT_EQ(report_.indexes_rebuilt, 2);
    EXPECT_EQ(report_.first_error, "");
    EXPECT_EQ(log_end_, 20);
}

TEST_F(LogRecoveryTest, FlippedHeaderByteCutsAtThatBatch) {
    write(10);
    const auto pos = positions(first_log());
    flip_byte(first_log(), pos[5] + L::kAttributes + 1);
    const int64_t size = testing::file_size(first_log());
    EXPECT_EQ(recover(), first_batches(5));
    EXPECT_EQ(report_.bytes_truncated, size - static_cast<int64_t>(pos[5]));
    EXPECT_EQ(report_.batches_validated, 5);
    EXPECT_NE(report_.first_error.find("CRC"), std::string::npos) << report_.first_error;
    EXPECT_EQ(testing::file_size(first_log()), static_cast<int64_t>(pos[5]));
    EXPECT_EQ(log_end_, 10);
}

TEST_F(LogRecoveryTest, FlippedMagicCutsAtThatBatch) {
    write(10);
    const auto pos = positions(first_log());
    flip_byte(first_log(), pos[3] + L::kMagic);
    EXPECT_EQ(recover(), first_batches(3));
    EXPECT_NE(report_.first_error, "");
}

TEST_F(LogRecoveryTest, FlippedPayloadByteCutsAtThatBatch) {
    write(10);
    const auto pos = positions(first_log());
    flip_byte(first_log(), pos[8] - 3);  // inside batch 7's records
    EXPECT_EQ(recover(), first_batches(7));
    EXPECT_EQ(report_.batches_validated, 7);
}

TEST_F(LogRecoveryTest, FlippedCrcCutsAtThatBatch) {
    write(10);
    const auto pos = positions(first_log());
    flip_byte(first_log(), pos[0] + L::kCrc + 2);
    EXPECT_EQ(recover(), std::vector<int64_t>{});
    EXPECT_EQ(report_.bytes_truncated, testing::file_size(live_dir() / "00000000000000000000.log"));
    EXPECT_EQ(log_end_, 0);
    EXPECT_TRUE(epochs_.empty()) << "the epoch cache agrees with the empty log";
}

TEST_F(LogRecoveryTest, BaseOffsetGoingBackwardsCutsAtThatBatch) {
    write(10);
    const auto pos = positions(first_log());
    Bytes bytes = testing::read_file(first_log());
    bytes[pos[6] + 7] = 1;  // base offset 12 -> 1: below the previous batch (not CRC-covered)
    testing::write_file(first_log(), bytes);
    EXPECT_EQ(recover(), first_batches(6));
    EXPECT_NE(report_.first_error.find("below"), std::string::npos) << report_.first_error;
}

TEST_F(LogRecoveryTest, TruncatedLastBatchAtEveryByte) {
    write(6);
    const auto pos = positions(first_log());
    const Bytes full = testing::read_file(first_log());
    for (size_t cut = pos[5]; cut < full.size(); ++cut) {
        SCOPED_TRACE("cut at byte " + std::to_string(cut));
        snapshot();
        shrink(first_log(), cut);
        EXPECT_EQ(recover(), first_batches(5));
        EXPECT_EQ(report_.bytes_truncated, static_cast<int64_t>(cut - pos[5]));
        EXPECT_EQ(report_.batches_validated, 5);
        EXPECT_EQ(cut == pos[5], report_.first_error.empty());
        EXPECT_EQ(log_end_, 10);
    }
}

TEST_F(LogRecoveryTest, ZeroFilledTailIsCut) {
    write(4);
    Bytes bytes = testing::read_file(first_log());
    bytes.resize(bytes.size() + 4096, 0);  // a preallocated file after a crash
    testing::write_file(first_log(), bytes);
    EXPECT_EQ(recover(), first_batches(4));
    EXPECT_EQ(report_.bytes_truncated, 4096);
    EXPECT_NE(report_.first_error.find("length"), std::string::npos) << report_.first_error;
}

TEST_F(LogRecoveryTest, LengthRunningPastEndOfFileIsCut) {
    write(5);
    const auto pos = positions(first_log());
    Bytes bytes = testing::read_file(first_log());
    put_be32(bytes.data() + pos[4] + L::kLength, 0x00100000);
    testing::write_file(first_log(), bytes);
    EXPECT_EQ(recover(), first_batches(4));
    EXPECT_NE(report_.first_error.find("past the end"), std::string::npos) << report_.first_error;
}

TEST_F(LogRecoveryTest, ValidBatchesAfterACorruptOneAreDropped) {
    config_.segment_bytes = 600;  // several segments
    write(20);
    ASSERT_GT(segments_, 3u);
    const auto files = log_files();
    const auto pos = positions(files[1]);
    ASSERT_GT(pos.size(), 1u);
    flip_byte(files[1], pos[1] + L::kRecords + 2);
    const int64_t base1 = *segment_base_offset_from_name(files[1].filename().string());
    const auto survivors = recover();
    ASSERT_FALSE(survivors.empty());
    EXPECT_EQ(survivors.back(), base1) << "only the first batch of segment 1 is left";
    EXPECT_EQ(report_.segments_deleted, static_cast<int32_t>(segments_ - 2));
    EXPECT_EQ(log_files().size(), 2u);
    EXPECT_EQ(log_end_, base1 + kRecords);
    ASSERT_FALSE(epochs_.empty());
    EXPECT_LT(epochs_.back().start_offset, log_end_);
}

TEST_F(LogRecoveryTest, SegmentsBelowTheRecoveryPointAreTrusted) {
    config_.segment_bytes = 600;
    write(20);
    const auto files = log_files();
    const int64_t base2 = *segment_base_offset_from_name(files[2].filename().string());
    EXPECT_EQ(recover(base2).size(), 20u);
    EXPECT_LT(report_.batches_validated, 20) << "only from the segment holding the recovery point";
    EXPECT_EQ(report_.indexes_rebuilt, 2 * static_cast<int32_t>(files.size() - 2));
}

TEST_F(LogRecoveryTest, CorruptOffsetIndexIsRebuilt) {
    config_.segment_bytes = 600;
    write(20, true);
    const auto files = log_files();
    fs::path index = files[0];
    index.replace_extension(".index");
    ASSERT_GT(testing::file_size(index), 0) << "rolled segments have entries";
    testing::write_file(index,
                        Bytes{0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2});  // offsets go back
    EXPECT_EQ(recover(INT64_MAX, true).size(), 20u);
    EXPECT_EQ(report_.indexes_rebuilt, 2);
    EXPECT_EQ(report_.batches_validated, static_cast<int64_t>(positions(files[0]).size()));
    EXPECT_EQ(testing::read_file(index), testing::read_file(live_dir() / index.filename()));
}

TEST_F(LogRecoveryTest, CorruptTimeIndexIsRebuilt) {
    config_.segment_bytes = 600;
    write(20, true);
    fs::path index = log_files()[1];
    index.replace_extension(".timeindex");
    testing::write_file(index, Bytes(7, 0xFF));  // not a multiple of 12
    EXPECT_EQ(recover(INT64_MAX, true).size(), 20u);
    EXPECT_EQ(report_.indexes_rebuilt, 2);
    EXPECT_EQ(testing::read_file(index), testing::read_file(live_dir() / index.filename()));
}

TEST_F(LogRecoveryTest, MissingIndexIsRebuilt) {
    config_.segment_bytes = 600;
    write(20, true);
    fs::path index = log_files()[0];
    index.replace_extension(".index");
    fs::remove(index);
    EXPECT_EQ(recover(INT64_MAX, true).size(), 20u);
    EXPECT_EQ(report_.indexes_rebuilt, 2);
    EXPECT_EQ(testing::read_file(index), testing::read_file(live_dir() / index.filename()));
}

TEST_F(LogRecoveryTest, UntrimmedIndexesAfterACrashAreRebuilt) {
    write(10);
    fs::path index = first_log();
    index.replace_extension(".index");
    EXPECT_EQ(testing::file_size(index), 1024) << "preallocated: the snapshot is of an open log";
    EXPECT_EQ(recover().size(), 10u);
    // A read through the rebuilt index finds every batch.
    EXPECT_EQ(report_.indexes_rebuilt, 2);
}

TEST_F(LogRecoveryTest, CrashDuringRollLeavesAnUntrimmedIndex) {
    config_.segment_bytes = 600;
    write(20);
    const auto files = log_files();
    fs::path index = files[0];
    index.replace_extension(".index");
    const Bytes trimmed = testing::read_file(index);
    fs::resize_file(index, 1024);  // the roll crashed before trimming
    const int64_t base2 = *segment_base_offset_from_name(files[2].filename().string());
    EXPECT_EQ(recover(base2).size(), 20u) << "segment 0 is trusted, its index is not";
    EXPECT_EQ(testing::read_file(index), trimmed);
    EXPECT_EQ(report_.indexes_rebuilt, 2 * static_cast<int32_t>(files.size() - 2) + 2);
}

TEST_F(LogRecoveryTest, LeftoverDeletedAndCleanedFilesAreRemoved) {
    write(6);
    testing::write_file(crash_dir() / "00000000000000000000.log.deleted", Bytes(10, 1));
    testing::write_file(crash_dir() / "00000000000000000000.index.deleted", Bytes(8, 1));
    testing::write_file(crash_dir() / "00000000000000000004.log.cleaned", Bytes(10, 1));
    testing::write_file(crash_dir() / "00000000000000000004.log.swap", Bytes(10, 1));  // >= cleaned
    testing::write_file(crash_dir() / "00000000000000000099.index", Bytes(8, 1));      // orphan
    EXPECT_EQ(recover(), first_batches(6));
    EXPECT_EQ(report_.temp_files_deleted, 5);
    EXPECT_EQ(report_.swaps_completed, 0);
    for (const auto& e : fs::directory_iterator(crash_dir())) {
        const std::string name = e.path().filename().string();
        EXPECT_EQ(name.find(".deleted"), std::string::npos) << name;
        EXPECT_EQ(name.find(".cleaned"), std::string::npos) << name;
        EXPECT_EQ(name.find(".swap"), std::string::npos) << name;
        EXPECT_NE(name, "00000000000000000099.index");
    }
}

TEST_F(LogRecoveryTest, InterruptedSwapIsCompleted) {
    config_.segment_bytes = 600;
    write(20);
    const auto files = log_files();
    ASSERT_GT(files.size(), 3u);
    // A cleaner replaced segments 0 and 1 by one segment keeping segment 1's last batch, renamed
    // it .swap, and crashed before renaming the old segments .deleted.
    const int64_t base1 = *segment_base_offset_from_name(files[1].filename().string());
    const int64_t base2 = *segment_base_offset_from_name(files[2].filename().string());
    const Bytes seg1 = testing::read_file(files[1]);
    const auto pos1 = positions(files[1]);
    const Bytes kept(seg1.begin() + static_cast<long>(pos1.back()), seg1.end());
    testing::write_file(crash_dir() / "00000000000000000000.log.swap", kept);
    testing::write_file(crash_dir() / "00000000000000000000.index.swap", Bytes{});
    testing::write_file(crash_dir() / "00000000000000000000.timeindex.swap", Bytes{});
    const auto survivors = recover();
    EXPECT_EQ(report_.swaps_completed, 1);
    EXPECT_EQ(report_.temp_files_deleted, 6) << "segments 0 and 1, three files each";
    ASSERT_FALSE(survivors.empty());
    EXPECT_EQ(survivors.front(), base2 - kRecords);
    EXPECT_EQ(log_end_, 40);
    EXPECT_FALSE(fs::exists(crash_dir() / (segment_file_prefix(base1) + ".log")));
    EXPECT_EQ(testing::read_file(crash_dir() / "00000000000000000000.log"), kept);
}

TEST_F(LogRecoveryTest, EpochCacheFollowsTheTruncatedLog) {
    write(12);  // epochs 1 (offsets 0..7), 2 (8..15), 3 (16..23)
    const auto pos = positions(first_log());
    flip_byte(first_log(), pos[6] + L::kCrc);
    EXPECT_EQ(recover(), first_batches(6));
    EXPECT_EQ(epochs_, (std::vector<EpochEntry>{EpochEntry{1, 0}, EpochEntry{2, 8}}));
    auto cache = LeaderEpochCache::open(crash_dir() / "leader-epoch-checkpoint");
    ASSERT_TRUE(cache.has_value());
    EXPECT_EQ((*cache)->entries(), epochs_) << "and the checkpoint was rewritten";
}

TEST_F(LogRecoveryTest, LogStartBeyondTheRecoveredEndRestartsTheLog) {
    write(4);
    const auto pos = positions(first_log());
    shrink(first_log(), pos[2]);
    report_ = RecoveryReport{};
    LogOpenOptions o = options(false, 0);
    o.log_start_offset = 7;
    auto log = Log::open(crash_dir(), tp(), o, &report_);
    ASSERT_TRUE(log.has_value());
    EXPECT_EQ((*log)->log_start_offset(), 7);
    EXPECT_EQ((*log)->log_end_offset(), 7);
    ASSERT_TRUE((*log)->append_as_leader(make_batch(1), 5));
    EXPECT_EQ((*log)->read(7, 1000, INT64_MAX, true)->first_batch_offset, 7);
}

}  // namespace
}  // namespace gregor::storage
