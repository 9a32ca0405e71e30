#include "gregor/storage/leader_epoch_cache.h"

#include "gregor/storage/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace gregor::storage {
namespace {

namespace fs = std::filesystem;

class LeaderEpochCacheTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::random_device rd;
        dir_ = fs::temp_directory_path() / ("gregor-epoch-" + std::to_string(rd()));
        fs::create_directories(dir_);
        file_ = dir_ / kLeaderEpochCheckpointFile;
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::unique_ptr<LeaderEpochCache> open() {
        auto cache = LeaderEpochCache::open(file_);
        EXPECT_TRUE(cache.has_value()) << (cache ? "" : cache.error().message);
        return cache ? std::move(cache).value() : nullptr;
    }
    std::string read_file() {
        std::ifstream in(file_);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    void write_file(const std::string& text) {
        std::ofstream out(file_, std::ios::trunc);
        out << text;
    }

    fs::path dir_;
    fs::path file_;
};

using Entries = std::vector<EpochEntry>;

TEST_F(LeaderEpochCacheTest, MissingFileIsEmpty) {
    auto cache = open();
    EXPECT_TRUE(cache->entries().empty());
    EXPECT_EQ(cache->latest_epoch(), std::nullopt);
    EXPECT_EQ(cache->end_offset_for(0, 100), std::nullopt);
    EXPECT_EQ(cache->epoch_for_offset(0), std::nullopt);
}

TEST_F(LeaderEpochCacheTest, AssignAppendsNewEpochs) {
    auto cache = open();
    cache->assign(2, 6);
    cache->assign(3, 8);
    cache->assign(4, 11);
    EXPECT_EQ(cache->entries(), (Entries{{2, 6}, {3, 8}, {4, 11}}));
    EXPECT_EQ(cache->latest_epoch(), 4);
}

TEST_F(LeaderEpochCacheTest, AssignSameEpochLaterOffsetIsNoOp) {
    auto cache = open();
    cache->assign(2, 6);
    cache->assign(2, 7);
    cache->assign(2, 10);
    EXPECT_EQ(cache->entries(), (Entries{{2, 6}}));
}

TEST_F(LeaderEpochCacheTest, AssignSameEpochEarlierOffsetMovesItsStart) {
    auto cache = open();
    cache->assign(1, 2);
    cache->assign(2, 6);
    cache->assign(2, 5);
    EXPECT_EQ(cache->entries(), (Entries{{1, 2}, {2, 5}}));
}

TEST_F(LeaderEpochCacheTest, AssignLowerEpochTruncatesConflictingEntries) {
    auto cache = open();
    cache->assign(2, 6);
    cache->assign(3, 8);
    cache->assign(4, 11);
    // Epoch 3 again at 9: entries with epoch >= 3 go (4@11, 3@8), then 3@9 is added.
    cache->assign(3, 9);
    EXPECT_EQ(cache->entries(), (Entries{{2, 6}, {3, 9}}));
}

TEST_F(LeaderEpochCacheTest, AssignHigherEpochAtLowerOffsetTruncatesLaterStarts) {
    auto cache = open();
    cache->assign(2, 6);
    cache->assign(3, 8);
    cache->assign(5, 7);  // start offsets must increase: 3@8 goes
    EXPECT_EQ(cache->entries(), (Entries{{2, 6}, {5, 7}}));
}

TEST_F(LeaderEpochCacheTest, AssignIgnoresNegativeValues) {
    auto cache = open();
    cache->assign(-1, 5);
    cache->assign(1, -1);
    EXPECT_TRUE(cache->entries().empty());
}

// Kafka's LeaderEpochFileCache.endOffsetFor table (KIP-101/279).
TEST_F(LeaderEpochCacheTest, EndOffsetFor) {
    auto cache = open();
    cache->assign(2, 6);
    cache->assign(4, 11);
    cache->assign(6, 20);
    const int64_t leo = 25;
    // UNDEFINED_EPOCH requested.
    EXPECT_EQ(cache->end_offset_for(-1, leo), std::nullopt);
    // Below the first epoch: the requested epoch, ending where our first epoch starts.
    EXPECT_EQ(cache->end_offset_for(1, leo), (EpochEntry{1, 6}));
    EXPECT_EQ(cache->end_offset_for(0, leo), (EpochEntry{0, 6}));
    // An epoch we have, not the latest: ends where the next one starts.
    EXPECT_EQ(cache->end_offset_for(2, leo), (EpochEntry{2, 11}));
    EXPECT_EQ(cache->end_offset_for(4, leo), (EpochEntry{4, 20}));
    // Between epochs: the largest epoch below it, ending where the next one starts.
    EXPECT_EQ(cache->end_offset_for(3, leo), (EpochEntry{2, 11}));
    EXPECT_EQ(cache->end_offset_for(5, leo), (EpochEntry{4, 20}));
    // The latest epoch: the log end offset.
    EXPECT_EQ(cache->end_offset_for(6, leo), (EpochEntry{6, 25}));
    // Above every epoch: undefined.
    EXPECT_EQ(cache->end_offset_for(7, leo), std::nullopt);
}

TEST_F(LeaderEpochCacheTest, EpochForOffset) {
    auto cache = open();
    cache->assign(2, 6);
    cache->assign(4, 11);
    EXPECT_EQ(cache->epoch_for_offset(5), std::nullopt);
    EXPECT_EQ(cache->epoch_for_offset(6), 2);
    EXPECT_EQ(cache->epoch_for_offset(10), 2);
    EXPECT_EQ(cache->epoch_for_offset(11), 4);
    EXPECT_EQ(cache->epoch_for_offset(1000), 4);
}

TEST_F(LeaderEpochCacheTest, TruncateFromEnd) {
    auto cache = open();
    cache->assign(2, 6);
    cache->assign(3, 8);
    cache->assign(4, 11);
    cache->truncate_from_end(12);  // nothing starts at or after 12
    EXPECT_EQ(cache->entries(), (Entries{{2, 6}, {3, 8}, {4, 11}}));
    cache->truncate_from_end(-1);  // undefined: no-op
    EXPECT_EQ(cache->entries().size(), 3u);
    cache->truncate_from_end(8);  // drops 3@8 and 4@11
    EXPECT_EQ(cache->entries(), (Entries{{2, 6}}));
    cache->truncate_from_end(0);
    EXPECT_TRUE(cache->entries().empty());
}

TEST_F(LeaderEpochCacheTest, TruncateFromStart) {
    auto cache = open();
    cache->assign(2, 6);
    cache->assign(3, 8);
    cache->assign(4, 11);
    cache->truncate_from_start(5);  // below the first: no-op
    EXPECT_EQ(cache->entries(), (Entries{{2, 6}, {3, 8}, {4, 11}}));
    cache->truncate_from_start(9);  // inside epoch 3: it now starts at 9
    EXPECT_EQ(cache->entries(), (Entries{{3, 9}, {4, 11}}));
    cache->truncate_from_start(11);  // exactly at epoch 4's start: kept
    EXPECT_EQ(cache->entries(), (Entries{{4, 11}}));
    cache->truncate_from_start(100);  // past every start: the last epoch moves up
    EXPECT_EQ(cache->entries(), (Entries{{4, 100}}));
}

TEST_F(LeaderEpochCacheTest, Clear) {
    auto cache = open();
    cache->assign(1, 0);
    cache->clear();
    EXPECT_TRUE(cache->entries().empty());
    ASSERT_TRUE(cache->flush());
    EXPECT_EQ(read_file(), "0\n0\n");
}

TEST_F(LeaderEpochCacheTest, FlushWritesKafkaFormatAndReloads) {
    {
        auto cache = open();
        cache->assign(0, 0);
        cache->assign(3, 120);
        cache->assign(7, 4567);
        ASSERT_TRUE(cache->flush());
    }
    EXPECT_EQ(read_file(), "0\n3\n0 0\n3 120\n7 4567\n");
    EXPECT_FALSE(fs::exists(dir_ / "leader-epoch-checkpoint.tmp"));
    auto cache = open();
    EXPECT_EQ(cache->entries(), (Entries{{0, 0}, {3, 120}, {7, 4567}}));
}

TEST_F(LeaderEpochCacheTest, FlushCreatesFileForEmptyCache) {
    auto cache = open();
    EXPECT_FALSE(fs::exists(file_));
    ASSERT_TRUE(cache->flush());
    EXPECT_EQ(read_file(), "0\n0\n");
}

TEST_F(LeaderEpochCacheTest, UnflushedChangesAreNotPersisted) {
    {
        auto cache = open();
        cache->assign(1, 10);
        ASSERT_TRUE(cache->flush());
        cache->assign(2, 20);  // never flushed
    }
    EXPECT_EQ(open()->entries(), (Entries{{1, 10}}));
}

TEST_F(LeaderEpochCacheTest, FlushFailureIsAnIoError) {
    auto cache = open();
    cache->assign(1, 10);
    fs::create_directories(dir_ / "leader-epoch-checkpoint.tmp");  // the tmp file cannot be created
    auto flushed = cache->flush();
    ASSERT_FALSE(flushed);
    EXPECT_EQ(flushed.error().code, Errc::io_error);
    fs::remove_all(dir_ / "leader-epoch-checkpoint.tmp");
    EXPECT_TRUE(cache->flush()) << "still dirty after the failure";
    EXPECT_EQ(read_file(), "0\n1\n1 10\n");
}

TEST_F(LeaderEpochCacheTest, LeftoverTmpFileIsIgnored) {
    write_file("0\n1\n5 50\n");
    std::ofstream(dir_ / "leader-epoch-checkpoint.tmp") << "0\n1\n9";  // a torn write
    EXPECT_EQ(open()->entries(), (Entries{{5, 50}}));
}

TEST_F(LeaderEpochCacheTest, NonMonotonicFileIsRepairedOnLoad) {
    write_file("0\n3\n1 10\n2 5\n3 20\n");  // 2@5 conflicts with 1@10
    EXPECT_EQ(open()->entries(), (Entries{{2, 5}, {3, 20}}));
}

TEST_F(LeaderEpochCacheTest, EmptyOrVersionOnlyFileIsEmpty) {
    write_file("");
    EXPECT_TRUE(open()->entries().empty());
    write_file("0\n");
    EXPECT_TRUE(open()->entries().empty());
}

TEST_F(LeaderEpochCacheTest, MalformedFilesAreCorruption) {
    const std::vector<std::string> bad = {
        "1\n1\n1 10\n",        // unknown version
        "x\n1\n1 10\n",        // version not a number
        "0\ntwo\n1 10\n",      // count not a number
        "0\n2\n1 10\n",        // fewer entries than the count
        "0\n1\n1 10\n2 20\n",  // more entries than the count
        "0\n1\n1\n",           // one field
        "0\n1\n1 10 3\n",      // three fields
        "0\n1\na 10\n",        // epoch not a number
        "0\n1\n1 1x\n",        // offset not a number
        "0\n1\n-1 10\n",       // negative epoch
    };
    for (const std::string& text : bad) {
        write_file(text);
        auto cache = LeaderEpochCache::open(file_);
        ASSERT_FALSE(cache) << text;
        EXPECT_EQ(cache.error().code, Errc::corruption) << text;
        EXPECT_NE(cache.error().message.find(file_.string()), std::string::npos)
            << cache.error().message;
    }
}

TEST_F(LeaderEpochCacheTest, MalformedLineIsNamedInTheError) {
    write_file("0\n2\n1 10\nbogus line\n");
    auto cache = LeaderEpochCache::open(file_);
    ASSERT_FALSE(cache);
    EXPECT_NE(cache.error().message.find("bogus line"), std::string::npos) << cache.error().message;
}

TEST_F(LeaderEpochCacheTest, ToleratesCrLfAndExtraSpaces) {
    write_file("0\r\n2\r\n1   10\r\n2\t20\r\n");
    EXPECT_EQ(open()->entries(), (Entries{{1, 10}, {2, 20}}));
}

TEST_F(LeaderEpochCacheTest, ConcurrentAssignsReadsAndFlushes) {
    auto cache = open();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                const int32_t epoch = i * 4 + t;
                cache->assign(epoch, int64_t{epoch} * 10);
                (void)cache->latest_epoch();
                (void)cache->end_offset_for(epoch, 1'000'000);
                if (i % 50 == 0) {
                    EXPECT_TRUE(cache->flush());
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    ASSERT_TRUE(cache->flush());
    auto entries = cache->entries();
    ASSERT_FALSE(entries.empty());
    for (size_t i = 1; i < entries.size(); ++i) {
        EXPECT_LT(entries[i - 1].epoch, entries[i].epoch);
        EXPECT_LT(entries[i - 1].start_offset, entries[i].start_offset);
    }
    EXPECT_EQ(open()->entries(), entries) << "the last flush wrote the final state";
}

}  // namespace
}  // namespace gregor::storage
