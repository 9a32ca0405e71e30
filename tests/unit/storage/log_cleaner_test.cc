#include "gregor/storage/log_cleaner.h"

#include "gregor/protocol/record_batch.h"
#include "gregor/storage/checkpoint.h"
#include "gregor/storage/log.h"
#include "gregor/storage/offset_map.h"
#include "gregor/storage/segment.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <vector>

namespace gregor::storage {
namespace {

using protocol::BatchSplitter;
using protocol::CompressionType;
using protocol::RecordBatchView;
using Bytes = std::vector<uint8_t>;

std::span<const uint8_t> bytes_of(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string str(std::span<const uint8_t> b) {
    return {b.begin(), b.end()};
}

// A record for batch(): key, value (nullopt = tombstone), and an optional key = nullopt.
struct Rec {
    std::optional<std::string> key;
    std::optional<std::string> value;
    int64_t timestamp = 1000;
};

struct BatchSpec {
    int64_t base_offset = 0;
    std::vector<Rec> records;
    CompressionType codec = CompressionType::kNone;
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    int32_t base_sequence = -1;
    bool transactional = false;
    int32_t leader_epoch = 7;
};

void append_batch(Bytes& out, const BatchSpec& spec) {
    protocol::BatchOptions o;
    o.base_offset = spec.base_offset;
    o.compression = spec.codec;
    o.producer_id = spec.producer_id;
    o.producer_epoch = spec.producer_epoch;
    o.base_sequence = spec.base_sequence;
    o.transactional = spec.transactional;
    o.partition_leader_epoch = spec.leader_epoch;
    protocol::RecordBatchBuilder b(o);
    for (const auto& r : spec.records) {
        protocol::RecordInput in;
        in.timestamp = r.timestamp;
        if (r.key) {
            in.key = bytes_of(*r.key);
        }
        if (r.value) {
            in.value = bytes_of(*r.value);
        }
        b.append(in);
    }
    ASSERT_EQ(b.build(out), protocol::BuildError::kOk);
}

// Every record of the batches as offset → "key=value" ("key=<null>" for tombstones).
std::map<int64_t, std::string> contents(std::span<const uint8_t> batches) {
    std::map<int64_t, std::string> m;
    std::vector<uint8_t> scratch;
    BatchSplitter s(batches);
    while (auto b = s.next()) {
        auto it = b->records(scratch, 1 << 20);
        EXPECT_TRUE(it.has_value());
        while (auto r = it->next()) {
            m[b->record_offset(*r)] =
                (r->key ? str(*r->key) : "<nokey>") + "=" + (r->value ? str(*r->value) : "<null>");
        }
    }
    EXPECT_EQ(s.error(), protocol::BatchError::kOk);
    return m;
}

std::vector<RecordBatchView> batches_of(std::span<const uint8_t> bytes) {
    std::vector<RecordBatchView> v;
    BatchSplitter s(bytes);
    while (auto b = s.next()) {
        v.push_back(*b);
    }
    EXPECT_EQ(s.error(), protocol::BatchError::kOk);
    return v;
}

// ---- CleanerOffsetMap ------------------------------------------------------------------------

TEST(CleanerOffsetMapTest, PutGetOverwrite) {
    CleanerOffsetMap map(24 * 100);
    EXPECT_EQ(map.slots(), 100u);
    EXPECT_EQ(map.max_entries(), 90u);
    EXPECT_EQ(map.get(bytes_of("a")), -1);
    EXPECT_TRUE(map.put(bytes_of("a"), 5));
    EXPECT_TRUE(map.put(bytes_of("b"), 6));
    EXPECT_TRUE(map.put(bytes_of("a"), 9));
    EXPECT_EQ(map.get(bytes_of("a")), 9);
    EXPECT_EQ(map.get(bytes_of("b")), 6);
    EXPECT_EQ(map.get(bytes_of("c")), -1);
    EXPECT_EQ(map.get(bytes_of("")), -1);
    EXPECT_TRUE(map.put(bytes_of(""), 11));  // an empty key is a key
    EXPECT_EQ(map.get(bytes_of("")), 11);
    EXPECT_EQ(map.size(), 3u);
    map.clear();
    EXPECT_EQ(map.size(), 0u);
    EXPECT_EQ(map.get(bytes_of("a")), -1);
    EXPECT_EQ(map.latest_offset(), -1);
}

TEST(CleanerOffsetMapTest, StopsAtLoadFactorButUpdatesExistingKeys) {
    CleanerOffsetMap map(24 * 10, 0.5);
    EXPECT_EQ(map.max_entries(), 5u);
    for (int i = 0; i < 5; ++i) {
        EXPECT_TRUE(map.put(bytes_of("key-" + std::to_string(i)), i));
    }
    EXPECT_TRUE(map.full());
    EXPECT_FALSE(map.put(bytes_of("key-new"), 100));
    EXPECT_EQ(map.get(bytes_of("key-new")), -1);
    EXPECT_TRUE(map.put(bytes_of("key-3"), 200));
    EXPECT_EQ(map.get(bytes_of("key-3")), 200);
    EXPECT_DOUBLE_EQ(map.utilization(), 0.5);
}

TEST(CleanerOffsetMapTest, ManyKeysSurviveProbing) {
    CleanerOffsetMap map(24 * 5000);
    for (int i = 0; i < 4000; ++i) {
        ASSERT_TRUE(map.put(bytes_of("k" + std::to_string(i)), i));
    }
    for (int i = 0; i < 4000; ++i) {
        ASSERT_EQ(map.get(bytes_of("k" + std::to_string(i))), i);
    }
    EXPECT_EQ(map.get(bytes_of("k4000")), -1);
}

TEST(CleanerOffsetMapTest, HashMatchesMurmur3Vectors) {
    // MurmurHash3_x64_128 with seed 0: published reference vectors.
    const auto empty = CleanerOffsetMap::hash({});
    EXPECT_EQ(empty[0], 0u);
    EXPECT_EQ(empty[1], 0u);
    const auto hello = CleanerOffsetMap::hash(bytes_of("hello"));
    EXPECT_EQ(hello[0], 0xcbd8a7b341bd9b02ULL);
    EXPECT_EQ(hello[1], 0x5b1e906a48ae1d19ULL);
    const auto hw = CleanerOffsetMap::hash(bytes_of("hello, world"));
    EXPECT_EQ(hw[0], 0x342fac623a5ebc8eULL);
    EXPECT_EQ(hw[1], 0x4cdcbc079642414dULL);
    const auto y2038 = CleanerOffsetMap::hash(bytes_of("19 Jan 2038 at 3:14:07 AM"));
    EXPECT_EQ(y2038[0], 0xb89e5988b737affcULL);
    EXPECT_EQ(y2038[1], 0x664fc2950231b2cbULL);
    // Lengths that exercise every tail branch hash differently.
    std::set<std::pair<uint64_t, uint64_t>> seen;
    std::string s;
    for (int i = 0; i < 40; ++i) {
        const auto h = CleanerOffsetMap::hash(bytes_of(s));
        EXPECT_TRUE(seen.insert({h[0], h[1]}).second) << i;
        s.push_back(static_cast<char>('a' + i % 26));
    }
}

// ---- Record selection --------------------------------------------------------------------------

struct Cleaned {
    Bytes out;
    std::vector<compaction::CleanedBatch> written;
    CleanerStats stats;
};

Cleaned clean(const Bytes& log,
              int64_t start_offset,
              int64_t now_ms,
              int64_t delete_retention_ms = 1000,
              const compaction::ProducerBatches* live = nullptr,
              size_t map_bytes = 24 * 1000) {
    CleanerOffsetMap map(map_bytes);
    Cleaned c;
    auto full = compaction::map_batches(log, start_offset, map, c.stats, 1 << 20);
    EXPECT_TRUE(full.has_value());
    compaction::RetentionContext ctx;
    ctx.map = &map;
    ctx.now_ms = now_ms;
    ctx.delete_retention_ms = delete_retention_ms;
    ctx.live_producers = live;
    auto r = compaction::clean_batches(log, ctx, c.out, &c.written, c.stats);
    EXPECT_TRUE(r.has_value());
    return c;
}

TEST(CompactionTest, KeepsLatestValuePerKeyAndOffsets) {
    Bytes log;
    append_batch(log, {0, {{"a", "1"}, {"b", "1"}, {"c", "1"}}});
    append_batch(log, {3, {{"a", "2"}, {"b", "2"}}});
    append_batch(log, {5, {{"a", "3"}, {"d", "1"}}});
    const Cleaned c = clean(log, 0, 5000);
    const std::map<int64_t, std::string> expected = {
        {2, "c=1"}, {4, "b=2"}, {5, "a=3"}, {6, "d=1"}};
    EXPECT_EQ(contents(c.out), expected);
    EXPECT_EQ(c.stats.records_removed, 3);
    EXPECT_EQ(c.stats.records_written, 4);
    // Base and last offsets of every surviving batch are the originals.
    const auto out = batches_of(c.out);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].base_offset(), 0);
    EXPECT_EQ(out[0].last_offset(), 2);
    EXPECT_EQ(out[1].base_offset(), 3);
    EXPECT_EQ(out[1].last_offset(), 4);
    EXPECT_EQ(out[2].base_offset(), 5);
    EXPECT_EQ(out[2].last_offset(), 6);
    EXPECT_EQ(out[0].partition_leader_epoch(), 7);
    // The last batch lost nothing: copied byte for byte.
    const auto in = batches_of(log);
    EXPECT_TRUE(std::equal(in[2].bytes().begin(), in[2].bytes().end(), out[2].bytes().begin(),
                           out[2].bytes().end()));
    ASSERT_EQ(c.written.size(), 3u);
    EXPECT_EQ(c.written[1].base_offset, 3);
    EXPECT_EQ(c.written[1].last_offset, 4);
}

TEST(CompactionTest, WholeBatchRemovedWhenSuperseded) {
    Bytes log;
    append_batch(log, {0, {{"a", "1"}, {"b", "1"}}});
    append_batch(log, {2, {{"a", "2"}, {"b", "2"}}});
    const Cleaned c = clean(log, 0, 5000);
    EXPECT_EQ(batches_of(c.out).size(), 1u);
    EXPECT_EQ(c.stats.batches_removed, 1);
    EXPECT_EQ(contents(c.out), (std::map<int64_t, std::string>{{2, "a=2"}, {3, "b=2"}}));
}

TEST(CompactionTest, KeylessRecordsAreDropped) {
    Bytes log;
    append_batch(log, {0, {{std::nullopt, "x"}, {"a", "1"}}});
    const Cleaned c = clean(log, 0, 5000);
    EXPECT_EQ(contents(c.out), (std::map<int64_t, std::string>{{1, "a=1"}}));
    EXPECT_EQ(c.stats.invalid_records, 1);
}

TEST(CompactionTest, RecordsPastTheMappedRangeAreKept) {
    Bytes log;
    append_batch(log, {0, {{"a", "1"}}});
    append_batch(log, {1, {{"a", "2"}}});
    CleanerOffsetMap map(24 * 100);
    CleanerStats stats;
    // Map only the first batch: offset 1 lies past the map and must survive untouched.
    const auto first = batches_of(log)[0];
    ASSERT_TRUE(compaction::map_batches(first.bytes(), 0, map, stats, 1 << 20).has_value());
    EXPECT_EQ(map.latest_offset(), 0);
    compaction::RetentionContext ctx;
    ctx.map = &map;
    Bytes out;
    ASSERT_TRUE(compaction::clean_batches(log, ctx, out, nullptr, stats).has_value());
    EXPECT_EQ(contents(out), (std::map<int64_t, std::string>{{0, "a=1"}, {1, "a=2"}}));
}

TEST(CompactionTest, MapFillsAndCoversOnlyWholeBatches) {
    Bytes log;
    append_batch(log, {0, {{"a", "1"}, {"b", "1"}}});
    append_batch(log, {2, {{"c", "1"}, {"d", "1"}}});
    append_batch(log, {4, {{"e", "1"}}});
    CleanerOffsetMap map(24 * 4, 0.9);  // 3 entries
    ASSERT_EQ(map.max_entries(), 3u);
    CleanerStats stats;
    auto full = compaction::map_batches(log, 0, map, stats, 1 << 20);
    ASSERT_TRUE(full.has_value());
    EXPECT_TRUE(*full);
    EXPECT_EQ(map.latest_offset(), 1);  // the second batch did not fit completely
}

TEST(CompactionTest, MapIgnoresRecordsBelowStart) {
    Bytes log;
    append_batch(log, {0, {{"a", "1"}, {"b", "1"}}});
    append_batch(log, {2, {{"a", "2"}}});
    CleanerOffsetMap map(24 * 100);
    CleanerStats stats;
    ASSERT_TRUE(compaction::map_batches(log, 2, map, stats, 1 << 20).has_value());
    EXPECT_EQ(map.get(bytes_of("b")), -1);
    EXPECT_EQ(map.get(bytes_of("a")), 2);
    EXPECT_EQ(map.latest_offset(), 2);
}

TEST(CompactionTest, TombstoneGetsHorizonThenGoes) {
    Bytes log;
    append_batch(log, {0, {{"a", "1"}, {"b", "1"}}});
    append_batch(log, {2, {{"a", std::nullopt, 2000}}});
    // First pass at t=5000: the old value goes, the tombstone stays with horizon 5000 + 1000.
    const Cleaned first = clean(log, 0, 5000, 1000);
    EXPECT_EQ(contents(first.out), (std::map<int64_t, std::string>{{1, "b=1"}, {2, "a=<null>"}}));
    EXPECT_EQ(first.stats.tombstones_horizoned, 1);
    const auto out = batches_of(first.out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_FALSE(out[0].has_delete_horizon());
    ASSERT_TRUE(out[1].has_delete_horizon());
    EXPECT_EQ(*out[1].delete_horizon_ms(), 6000);
    // The record keeps its own timestamp, relative to the horizon.
    std::vector<uint8_t> scratch;
    auto it = out[1].records(scratch, 1 << 20);
    ASSERT_TRUE(it.has_value());
    auto r = it->next();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(out[1].record_timestamp(*r), 2000);
    EXPECT_EQ(out[1].max_timestamp(), 2000);

    // Before the horizon: kept, horizon unchanged, batch copied as it is.
    const Cleaned second = clean(first.out, 0, 5999, 1000);
    EXPECT_EQ(contents(second.out), contents(first.out));
    EXPECT_EQ(second.stats.tombstones_horizoned, 0);
    EXPECT_EQ(second.out, first.out);

    // At the horizon: gone.
    const Cleaned third = clean(first.out, 0, 6000, 1000);
    EXPECT_EQ(contents(third.out), (std::map<int64_t, std::string>{{1, "b=1"}}));
}

TEST(CompactionTest, CompressedBatchesStayCompressed) {
    for (auto codec : {CompressionType::kGzip, CompressionType::kSnappy, CompressionType::kLz4,
                       CompressionType::kZstd}) {
        Bytes log;
        append_batch(log, {0, {{"a", "1"}, {"b", "1"}, {"c", "1"}}, codec});
        append_batch(log, {3, {{"a", "2"}}, codec});
        const Cleaned c = clean(log, 0, 5000);
        EXPECT_EQ(contents(c.out),
                  (std::map<int64_t, std::string>{{1, "b=1"}, {2, "c=1"}, {3, "a=2"}}));
        const auto out = batches_of(c.out);
        ASSERT_EQ(out.size(), 2u);
        EXPECT_EQ(out[0].compression(), codec);
        EXPECT_EQ(out[0].validate(), protocol::BatchError::kOk);
        EXPECT_EQ(out[0].base_offset(), 0);
        EXPECT_EQ(out[0].last_offset(), 2);
        EXPECT_EQ(out[0].records_count(), 2);
    }
}

TEST(CompactionTest, ProducerFieldsKeptAndLastBatchOfLiveProducerKeptEmpty) {
    Bytes log;
    append_batch(log, {0, {{"a", "1"}, {"b", "1"}}, CompressionType::kNone, 42, 3, 10});
    append_batch(log, {2, {{"a", "2"}}, CompressionType::kNone, 42, 3, 12});
    append_batch(log, {3, {{"a", "3"}, {"b", "3"}}});
    compaction::ProducerBatches producers;
    compaction::note_producers(log, producers);
    ASSERT_EQ(producers.size(), 1u);
    EXPECT_EQ(producers[42].last_data_offset, 2);
    const auto live = compaction::live_producers(producers, 5000, 86400000);
    ASSERT_EQ(live.size(), 1u);

    const Cleaned c = clean(log, 0, 5000, 1000, &live);
    const auto out = batches_of(c.out);
    ASSERT_EQ(out.size(), 2u);
    // The producer's last batch, all records superseded, survives as a header.
    EXPECT_EQ(out[0].base_offset(), 2);
    EXPECT_EQ(out[0].last_offset(), 2);
    EXPECT_EQ(out[0].records_count(), 0);
    EXPECT_EQ(out[0].producer_id(), 42);
    EXPECT_EQ(out[0].producer_epoch(), 3);
    EXPECT_EQ(out[0].base_sequence(), 12);
    EXPECT_EQ(out[0].max_timestamp(), 1000);
    EXPECT_EQ(out[0].partition_leader_epoch(), 7);
    EXPECT_EQ(out[0].validate(), protocol::BatchError::kOk);
    EXPECT_EQ(c.stats.batches_emptied, 1);
    EXPECT_EQ(c.stats.batches_removed, 1);

    // An expired producer keeps nothing.
    const auto none = compaction::live_producers(producers, 1000 + 86400000, 86400000);
    EXPECT_TRUE(none.empty());
    const Cleaned d = clean(log, 0, 5000, 1000, &none);
    EXPECT_EQ(batches_of(d.out).size(), 1u);
}

TEST(CompactionTest, PartialBatchKeepsProducerFieldsAndLastOffset) {
    Bytes log;
    append_batch(log, {0, {{"a", "1"}, {"b", "1"}, {"c", "1"}}, CompressionType::kZstd, 9, 1, 100});
    append_batch(log, {3, {{"c", "2"}}});
    const Cleaned c = clean(log, 0, 5000);
    const auto out = batches_of(c.out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].last_offset(), 2);  // the removed last record still bounds the batch
    EXPECT_EQ(out[0].producer_id(), 9);
    EXPECT_EQ(out[0].base_sequence(), 100);
    EXPECT_EQ(out[0].records_count(), 2);
    EXPECT_EQ(out[0].compression(), CompressionType::kZstd);
}

TEST(CompactionTest, TransactionalAndControlBatchesAreKept) {
    Bytes log;
    BatchSpec txn{0, {{"a", "1"}}, CompressionType::kNone, 5, 0, 0, true};
    append_batch(log, txn);
    {
        protocol::BatchOptions o;
        o.base_offset = 1;
        o.control = true;
        o.transactional = true;
        o.producer_id = 5;
        o.producer_epoch = 0;
        protocol::RecordBatchBuilder b(o);
        const auto key = protocol::encode_control_record_key(protocol::ControlRecordType::kCommit);
        const auto value = protocol::encode_end_txn_marker(0);
        protocol::RecordInput in;
        in.key = std::span<const uint8_t>(key);
        in.value = std::span<const uint8_t>(value);
        b.append(in);
        ASSERT_EQ(b.build(log), protocol::BuildError::kOk);
    }
    append_batch(log, {2, {{"a", "2"}}});
    const Cleaned c = clean(log, 0, 5000);
    EXPECT_EQ(c.out, log);
}

TEST(CompactionTest, BatchTooLargeToDecompressIsKeptWholeAndUnmapped) {
    Bytes log;
    append_batch(log, {0, {{"a", std::string(200, 'x')}}, CompressionType::kZstd});
    append_batch(log, {1, {{"a", "2"}}});
    CleanerOffsetMap map(24 * 100);
    CleanerStats stats;
    ASSERT_TRUE(compaction::map_batches(log, 0, map, stats, 64).has_value());
    EXPECT_EQ(map.latest_offset(), 1);
    compaction::RetentionContext ctx;
    ctx.map = &map;
    ctx.max_uncompressed_bytes = 64;  // the first batch cannot be looked into
    Bytes out;
    ASSERT_TRUE(compaction::clean_batches(log, ctx, out, nullptr, stats).has_value());
    EXPECT_EQ(out, log);
}

TEST(CompactionTest, GroupsSegmentsBySize) {
    using compaction::SegmentSize;
    std::vector<SegmentSize> segs = {
        {0, 400, 8, 12}, {10, 400, 8, 12}, {20, 400, 8, 12}, {30, 100, 8, 12}, {40, 0, 0, 0}};
    auto groups = compaction::group_segments_by_size(segs, 1000, 1000, 50);
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups[0], (std::vector<size_t>{0, 1}));
    EXPECT_EQ(groups[1], (std::vector<size_t>{2, 3, 4}));
    // Index limits bind too.
    groups = compaction::group_segments_by_size(segs, 100000, 20, 50);
    ASSERT_EQ(groups.size(), 4u);  // two time indexes (24 bytes) never fit; empty ones do
    EXPECT_EQ(groups[3], (std::vector<size_t>{3, 4}));
    // Relative offsets must stay within int32.
    std::vector<SegmentSize> wide = {{0, 10, 8, 12}, {int64_t{1} << 31, 10, 8, 12}};
    groups = compaction::group_segments_by_size(wide, 1000, 1000, (int64_t{1} << 32));
    EXPECT_EQ(groups.size(), 2u);
}

// ---- The cleaner over real logs -----------------------------------------------------------------

class LogCleanerTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = std::filesystem::temp_directory_path()
                / ("gregor-cleaner-" + std::to_string(::getpid()) + "-"
                   + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(root_);
        std::filesystem::create_directories(root_);
        config_.segment_bytes = 1 << 20;
        config_.cleanup_compact = true;
        config_.cleanup_delete = false;
        config_.min_cleanable_dirty_ratio = 0.5;
        config_.delete_retention_ms = 1000;
        cleaner_config_.dedupe_buffer_size = 24 * 10000;
        cleaner_config_.io_buffer_size = 4096;  // small: exercises chunked reads
    }
    void TearDown() override {
        cleaner_.reset();
        log_.reset();
        std::filesystem::remove_all(root_);
    }

    Clock clock() {
        return [this] { return now_; };
    }

    std::shared_ptr<Log> open_log(const std::string& topic = "t") {
        LogOpenOptions options;
        options.config = config_;
        options.clock = clock();
        auto log = Log::open(root_ / (topic + "-0"), TopicPartition{topic, 0}, options);
        EXPECT_TRUE(log.has_value()) << (log ? "" : log.error().message);
        return std::shared_ptr<Log>(std::move(*log));
    }

    LogCleaner& cleaner() {
        if (!cleaner_) {
            cleaner_ = std::make_unique<LogCleaner>(cleaner_config_, clock());
        }
        return *cleaner_;
    }

    // Appends one batch of records, timestamps = now unless given.
    void append(Log& log,
                std::vector<Rec> records,
                CompressionType codec = CompressionType::kNone) {
        for (auto& r : records) {
            if (r.timestamp == 1000) {
                r.timestamp = now_;
            }
        }
        Bytes batch;
        append_batch(batch, {0, records, codec});
        auto r = log.append_as_leader(batch, 0);
        ASSERT_TRUE(r.has_value()) << r.error().message;
    }

    void roll(Log& log) {
        auto r = log.maybe_roll(true);
        ASSERT_TRUE(r.has_value()) << r.error().message;
    }

    // The whole log, batch by batch, read through Log::read.
    Bytes read_all(const Log& log) {
        Bytes all;
        int64_t offset = log.log_start_offset();
        while (offset < log.log_end_offset()) {
            auto r = log.read(offset, 1 << 20, log.log_end_offset(), true);
            EXPECT_TRUE(r.has_value());
            if (!r || r->slices.empty()) {
                break;
            }
            Bytes chunk;
            for (const auto& slice : r->slices) {
                const size_t at = chunk.size();
                chunk.resize(at + slice.length);
                EXPECT_EQ(::pread(slice.file->fd(), chunk.data() + at, slice.length,
                                  static_cast<off_t>(slice.offset)),
                          static_cast<ssize_t>(slice.length));
            }
            int64_t next = offset;
            for (const auto& b : batches_of(chunk)) {
                next = b.next_offset();
            }
            EXPECT_GT(next, offset);
            if (next <= offset) {
                break;
            }
            all.insert(all.end(), chunk.begin(), chunk.end());
            offset = next;
        }
        return all;
    }

    std::filesystem::path root_;
    int64_t now_ = 1'000'000;
    LogConfig config_;
    LogCleanerConfig cleaner_config_;
    std::shared_ptr<Log> log_;
    std::unique_ptr<LogCleaner> cleaner_;
};

TEST_F(LogCleanerTest, KeepsLatestValuePerKeyAcrossSegments) {
    log_ = open_log();
    append(*log_, {{"a", "1"}, {"b", "1"}, {"c", "1"}});  // 0-2
    roll(*log_);
    append(*log_, {{"a", "2"}, {"b", "2"}});  // 3-4
    roll(*log_);
    append(*log_, {{"a", "3"}});  // 5
    append(*log_, {{"d", "1"}});  // 6
    roll(*log_);
    append(*log_, {{"a", "4"}, {"b", "4"}});  // 7-8: active segment, never cleaned
    const auto before = contents(read_all(*log_));
    ASSERT_EQ(before.size(), 9u);
    ASSERT_EQ(log_->segment_count(), 4);

    cleaner().add_log(log_);
    auto r = cleaner().clean_once();
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_TRUE(*r);

    const std::map<int64_t, std::string> expected = {{2, "c=1"}, {4, "b=2"}, {5, "a=3"},
                                                     {6, "d=1"}, {7, "a=4"}, {8, "b=4"}};
    EXPECT_EQ(contents(read_all(*log_)), expected);
    EXPECT_EQ(log_->log_end_offset(), 9);
    EXPECT_EQ(cleaner().first_dirty_offset(log_->topic_partition()), 7);
    const auto stats = cleaner().stats();
    EXPECT_EQ(stats.logs_cleaned, 1);
    EXPECT_EQ(stats.last.records_removed, 3);
    EXPECT_GT(stats.last.bytes_read, stats.last.bytes_written);
    EXPECT_EQ(stats.last_log, log_->topic_partition());
    EXPECT_EQ(stats.last_run_ms, now_);

    // The checkpoint is on disk, in Kafka's format.
    auto checkpoint = read_offset_checkpoint(root_ / kCleanerOffsetCheckpointFile);
    ASSERT_TRUE(checkpoint.has_value());
    EXPECT_EQ(checkpoint->at(log_->topic_partition()), 7);
    // No transient files are left behind.
    for (const auto& f : std::filesystem::directory_iterator(log_->dir())) {
        const auto name = f.path().filename().string();
        EXPECT_EQ(name.find(".cleaned"), std::string::npos) << name;
        EXPECT_EQ(name.find(".swap"), std::string::npos) << name;
    }

    // Nothing is dirty now: a second pass does nothing.
    auto again = cleaner().clean_once();
    ASSERT_TRUE(again.has_value());
    EXPECT_FALSE(*again);

    // A later cleaner instance resumes from the checkpoint file.
    cleaner_.reset();
    cleaner().add_log(log_);
    EXPECT_EQ(cleaner().first_dirty_offset(log_->topic_partition()), 7);
}

TEST_F(LogCleanerTest, ReadsAcrossGapsReturnTheNextBatch) {
    log_ = open_log();
    append(*log_, {{"a", "1"}});  // 0
    append(*log_, {{"b", "1"}});  // 1
    append(*log_, {{"a", "2"}});  // 2
    roll(*log_);
    append(*log_, {{"z", "1"}});
    cleaner().add_log(log_);
    auto r = cleaner().clean_once();
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_TRUE(*r);
    auto read = log_->read(0, 1 << 20, log_->log_end_offset(), true);
    ASSERT_TRUE(read.has_value()) << read.error().message;
    EXPECT_EQ(read->first_batch_offset, 1);  // offset 0 is gone: the next batch comes back
    EXPECT_EQ(contents(read_all(*log_)),
              (std::map<int64_t, std::string>{{1, "b=1"}, {2, "a=2"}, {3, "z=1"}}));
}

TEST_F(LogCleanerTest, ActiveSegmentIsNeverCleaned) {
    log_ = open_log();
    for (int i = 0; i < 10; ++i) {
        append(*log_, {{"a", std::to_string(i)}});
    }
    cleaner().add_log(log_);
    auto r = cleaner().clean_once();
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(*r);
    auto forced = cleaner().clean_log(log_->topic_partition());
    ASSERT_TRUE(forced.has_value());
    EXPECT_FALSE(*forced);
    EXPECT_EQ(contents(read_all(*log_)).size(), 10u);
}

TEST_F(LogCleanerTest, DirtyRatioBelowThresholdIsLeftAlone) {
    config_.min_cleanable_dirty_ratio = 0.6;
    log_ = open_log();
    for (int i = 0; i < 20; ++i) {
        append(*log_, {{"k" + std::to_string(i), "v"}});
    }
    roll(*log_);
    append(*log_, {{"x", "1"}});
    cleaner().add_log(log_);
    ASSERT_TRUE(cleaner().clean_once().value());  // all dirty: ratio 1
    // A small dirty segment beside a large clean one: ratio well below 0.6.
    append(*log_, {{"k1", "2"}});
    roll(*log_);
    append(*log_, {{"y", "1"}});
    const auto d = cleaner().dirtiness(log_->topic_partition());
    ASSERT_TRUE(d.has_value());
    EXPECT_LT(d->ratio, 0.6);
    EXPECT_GT(d->cleanable_bytes, 0);
    auto r = cleaner().clean_once();
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(*r);
    EXPECT_EQ(contents(read_all(*log_)).count(1), 1u);  // k1=v still there
    // Lowering the threshold lets it go.
    config_.min_cleanable_dirty_ratio = 0.01;
    log_->update_config(config_);
    ASSERT_TRUE(cleaner().clean_once().value());
    EXPECT_EQ(contents(read_all(*log_)).count(1), 0u);
}

TEST_F(LogCleanerTest, TombstonesStayUntilTheHorizonThenGo) {
    config_.min_cleanable_dirty_ratio = 0.01;  // later passes have a small dirty section
    log_ = open_log();
    append(*log_, {{"a", "1"}, {"b", "1"}});  // 0-1
    append(*log_, {{"a", std::nullopt}});     // 2: tombstone
    roll(*log_);
    append(*log_, {{"c", "1"}});  // 3
    cleaner().add_log(log_);
    ASSERT_TRUE(cleaner().clean_once().value());
    EXPECT_EQ(contents(read_all(*log_)),
              (std::map<int64_t, std::string>{{1, "b=1"}, {2, "a=<null>"}, {3, "c=1"}}));
    // The surviving tombstone's batch now carries the horizon.
    bool found = false;
    const Bytes all = read_all(*log_);
    for (const auto& b : batches_of(all)) {
        if (b.base_offset() == 2) {
            found = true;
            ASSERT_TRUE(b.delete_horizon_ms().has_value());
            EXPECT_EQ(*b.delete_horizon_ms(), now_ + config_.delete_retention_ms);
        }
    }
    EXPECT_TRUE(found);

    // Before the horizon, a new pass keeps it.
    now_ += 500;
    roll(*log_);
    append(*log_, {{"d", "1"}});
    ASSERT_TRUE(cleaner().clean_once().value());
    EXPECT_EQ(contents(read_all(*log_)).count(2), 1u);

    // After it, the next pass drops it.
    now_ += 600;
    roll(*log_);
    append(*log_, {{"e", "1"}});
    ASSERT_TRUE(cleaner().clean_once().value());
    EXPECT_EQ(contents(read_all(*log_)),
              (std::map<int64_t, std::string>{{1, "b=1"}, {3, "c=1"}, {4, "d=1"}, {5, "e=1"}}));
}

TEST_F(LogCleanerTest, MinCompactionLagProtectsRecentRecords) {
    config_.min_compaction_lag_ms = 10'000;
    log_ = open_log();
    append(*log_, {{"a", "1"}});
    append(*log_, {{"a", "2"}});
    roll(*log_);
    append(*log_, {{"z", "1"}});
    cleaner().add_log(log_);
    auto r = cleaner().clean_once();
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(*r);
    EXPECT_EQ(contents(read_all(*log_)).size(), 3u);
    now_ += 10'001;
    ASSERT_TRUE(cleaner().clean_once().value());
    EXPECT_EQ(contents(read_all(*log_)), (std::map<int64_t, std::string>{{1, "a=2"}, {2, "z=1"}}));
}

TEST_F(LogCleanerTest, MaxCompactionLagForcesCleaningBelowTheRatio) {
    config_.min_cleanable_dirty_ratio = 0.99;
    config_.max_compaction_lag_ms = 5'000;
    log_ = open_log();
    for (int i = 0; i < 20; ++i) {
        append(*log_, {{"k" + std::to_string(i), "v"}});
    }
    roll(*log_);
    append(*log_, {{"x", "1"}});
    cleaner().add_log(log_);
    // Force a first clean so that the log has a clean head.
    ASSERT_TRUE(cleaner().clean_log(log_->topic_partition()).value());
    append(*log_, {{"k1", "2"}});
    roll(*log_);
    append(*log_, {{"y", "1"}});
    EXPECT_FALSE(cleaner().clean_once().value());
    now_ += 5'001;
    EXPECT_TRUE(cleaner().clean_once().value());
    EXPECT_EQ(contents(read_all(*log_)).count(1), 0u);
}

TEST_F(LogCleanerTest, CompressedBatchesAreCleanedAndStayCompressed) {
    log_ = open_log();
    append(*log_, {{"a", "1"}, {"b", "1"}, {"c", "1"}}, CompressionType::kZstd);
    append(*log_, {{"a", "2"}}, CompressionType::kLz4);
    roll(*log_);
    append(*log_, {{"z", "1"}});
    cleaner().add_log(log_);
    ASSERT_TRUE(cleaner().clean_once().value());
    const Bytes all = read_all(*log_);
    EXPECT_EQ(contents(all),
              (std::map<int64_t, std::string>{{1, "b=1"}, {2, "c=1"}, {3, "a=2"}, {4, "z=1"}}));
    const auto batches = batches_of(all);
    ASSERT_EQ(batches.size(), 3u);
    EXPECT_EQ(batches[0].compression(), CompressionType::kZstd);
    EXPECT_EQ(batches[0].validate(), protocol::BatchError::kOk);
    EXPECT_EQ(batches[0].last_offset(), 2);
    EXPECT_EQ(batches[1].compression(), CompressionType::kLz4);
}

TEST_F(LogCleanerTest, SmallOffsetMapCleansInSeveralPasses) {
    cleaner_config_.dedupe_buffer_size = 24 * 12;  // 10 keys per pass
    log_ = open_log();
    for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < 15; ++i) {
            append(*log_, {{"k" + std::to_string(i), std::to_string(round)}});
        }
        roll(*log_);
    }
    append(*log_, {{"z", "1"}});
    cleaner().add_log(log_);
    int passes = 0;
    while (passes < 10) {
        auto r = cleaner().clean_log(log_->topic_partition());
        ASSERT_TRUE(r.has_value()) << r.error().message;
        if (!*r) {
            break;
        }
        ++passes;
    }
    EXPECT_GE(passes, 2);
    const auto c = contents(read_all(*log_));
    EXPECT_EQ(c.size(), 16u);
    for (int i = 0; i < 15; ++i) {
        EXPECT_EQ(c.at(15 + i), "k" + std::to_string(i) + "=1");
    }
}

TEST_F(LogCleanerTest, NonCompactedLogsAreIgnored) {
    config_.cleanup_compact = false;
    config_.cleanup_delete = true;
    log_ = open_log();
    append(*log_, {{"a", "1"}});
    append(*log_, {{"a", "2"}});
    roll(*log_);
    append(*log_, {{"z", "1"}});
    cleaner().add_log(log_);
    EXPECT_FALSE(cleaner().clean_once().value());
    EXPECT_EQ(contents(read_all(*log_)).size(), 3u);
}

TEST_F(LogCleanerTest, ThreadCleansInTheBackground) {
    cleaner_config_.backoff_ms = 10;
    log_ = open_log();
    append(*log_, {{"a", "1"}});
    append(*log_, {{"a", "2"}});
    roll(*log_);
    append(*log_, {{"z", "1"}});
    cleaner().add_log(log_);
    cleaner().start();
    for (int i = 0; i < 500 && cleaner().stats().logs_cleaned == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    cleaner().stop();
    EXPECT_EQ(cleaner().stats().logs_cleaned, 1);
    EXPECT_EQ(contents(read_all(*log_)), (std::map<int64_t, std::string>{{1, "a=2"}, {2, "z=1"}}));
}

// Appends, rolls and reads race the cleaner thread; at the end every key's latest value is
// there, at its original offset.
TEST_F(LogCleanerTest, CleansWhileTheLogIsWritten) {
    cleaner_config_.backoff_ms = 1;
    config_.min_cleanable_dirty_ratio = 0.01;
    log_ = open_log();
    cleaner().add_log(log_);
    cleaner().start();
    std::map<std::string, std::pair<int64_t, std::string>> latest;
    for (int round = 0; round < 40; ++round) {
        for (int i = 0; i < 10; ++i) {
            const std::string key = "k" + std::to_string((round * 7 + i) % 13);
            const std::string value = std::to_string(round) + "." + std::to_string(i);
            const int64_t offset = log_->log_end_offset();
            append(*log_, {{key, value}});
            latest[key] = {offset, value};
        }
        roll(*log_);
        const auto seen = contents(read_all(*log_));  // must decode while segments swap
        EXPECT_FALSE(seen.empty());
    }
    for (int i = 0; i < 500 && cleaner().stats().logs_cleaned < 3; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    cleaner().remove_log(log_->topic_partition());
    cleaner().stop();
    EXPECT_GE(cleaner().stats().logs_cleaned, 1);
    EXPECT_EQ(cleaner().stats().failures, 0);
    const auto c = contents(read_all(*log_));
    for (const auto& [key, at] : latest) {
        ASSERT_EQ(c.count(at.first), 1u) << key;
        EXPECT_EQ(c.at(at.first), key + "=" + at.second);
    }
    // Nothing but latest values below the active segment... of what the cleaner reached.
    EXPECT_LT(c.size(), 400u);
}

TEST_F(LogCleanerTest, CorruptSegmentMarksTheLogUncleanable) {
    log_ = open_log();
    append(*log_, {{"a", "1"}});
    append(*log_, {{"a", "2"}});
    roll(*log_);
    append(*log_, {{"z", "1"}});
    // Damage the magic byte of the first batch behind the log's back.
    {
        const auto path = log_->segments().front()->log_path();
        std::FILE* f = std::fopen(path.c_str(), "r+b");
        ASSERT_NE(f, nullptr);
        ASSERT_EQ(std::fseek(f, 16, SEEK_SET), 0);
        ASSERT_EQ(std::fputc(9, f), 9);
        std::fclose(f);
    }
    cleaner().add_log(log_);
    auto r = cleaner().clean_once();
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::corruption);
    EXPECT_EQ(cleaner().stats().failures, 1);
    EXPECT_EQ(cleaner().stats().uncleanable_logs, 1);
    // Skipped from now on (until re-added), and nothing was swapped.
    EXPECT_FALSE(cleaner().clean_once().value());
    EXPECT_EQ(log_->segment_count(), 2);
    for (const auto& f : std::filesystem::directory_iterator(log_->dir())) {
        EXPECT_EQ(f.path().string().find(".cleaned"), std::string::npos) << f.path();
    }
}

TEST_F(LogCleanerTest, PausedLogIsNotCleanedUntilResumed) {
    log_ = open_log();
    append(*log_, {{"a", "1"}});
    append(*log_, {{"a", "2"}});
    roll(*log_);
    append(*log_, {{"z", "1"}});
    cleaner().add_log(log_);
    cleaner().pause(log_->topic_partition());
    EXPECT_FALSE(cleaner().clean_once().value());
    cleaner().resume(log_->topic_partition());
    EXPECT_TRUE(cleaner().clean_once().value());
}

TEST_F(LogCleanerTest, LastBatchOfAnIdempotentProducerSurvivesEmpty) {
    log_ = open_log();
    Bytes batch;
    append_batch(batch, {0, {{"a", "1"}, {"b", "1"}}, CompressionType::kNone, 42, 0, 0});
    ASSERT_TRUE(log_->append_as_leader(batch, 0).has_value());  // 0-1, producer 42 seq 0-1
    append(*log_, {{"a", "2"}, {"b", "2"}});                    // 2-3, no producer
    roll(*log_);
    append(*log_, {{"z", "1"}});
    cleaner().add_log(log_);
    ASSERT_TRUE(cleaner().clean_once().value());
    const Bytes all = read_all(*log_);
    EXPECT_EQ(contents(all), (std::map<int64_t, std::string>{{2, "a=2"}, {3, "b=2"}, {4, "z=1"}}));
    const auto batches = batches_of(all);
    ASSERT_EQ(batches.size(), 3u);
    EXPECT_EQ(batches[0].producer_id(), 42);
    EXPECT_EQ(batches[0].records_count(), 0);
    EXPECT_EQ(batches[0].base_offset(), 0);
    EXPECT_EQ(batches[0].last_offset(), 1);
    EXPECT_EQ(batches[0].base_sequence(), 0);
    EXPECT_EQ(cleaner().stats().last.batches_emptied, 1);
}

TEST_F(LogCleanerTest, CheckpointFollowsTruncationAndRemoval) {
    log_ = open_log();
    append(*log_, {{"a", "1"}});
    append(*log_, {{"a", "2"}});
    roll(*log_);
    append(*log_, {{"z", "1"}});
    roll(*log_);
    append(*log_, {{"y", "1"}});
    cleaner().add_log(log_);
    ASSERT_TRUE(cleaner().clean_once().value());
    const TopicPartition tp = log_->topic_partition();
    EXPECT_EQ(cleaner().first_dirty_offset(tp), 3);

    // A follower truncation below the checkpoint.
    cleaner().pause(tp);
    ASSERT_TRUE(log_->truncate_to(2).has_value());
    cleaner().truncate_checkpoint(tp, 2);
    cleaner().resume(tp);
    EXPECT_EQ(cleaner().first_dirty_offset(tp), 2);
    auto on_disk = read_offset_checkpoint(root_ / kCleanerOffsetCheckpointFile);
    ASSERT_TRUE(on_disk.has_value());
    EXPECT_EQ(on_disk->at(tp), 2);

    // Removing the partition for good drops its entry.
    cleaner().remove_log(tp, /*drop_checkpoint=*/true);
    EXPECT_FALSE(cleaner().first_dirty_offset(tp).has_value());
    on_disk = read_offset_checkpoint(root_ / kCleanerOffsetCheckpointFile);
    ASSERT_TRUE(on_disk.has_value());
    EXPECT_EQ(on_disk->count(tp), 0u);
}

TEST_F(LogCleanerTest, StaleCheckpointPastTheLogEndRestartsFromTheLogStart) {
    // A checkpoint from an earlier life of the partition, beyond its current end.
    ASSERT_TRUE(write_offset_checkpoint(root_ / kCleanerOffsetCheckpointFile,
                                        {{TopicPartition{"t", 0}, 1000}})
                    .has_value());
    log_ = open_log();
    append(*log_, {{"a", "1"}});
    append(*log_, {{"a", "2"}});
    roll(*log_);
    append(*log_, {{"z", "1"}});
    cleaner().add_log(log_);
    const auto d = cleaner().dirtiness(log_->topic_partition());
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->first_dirty_offset, 0);
    ASSERT_TRUE(cleaner().clean_once().value());
    EXPECT_EQ(contents(read_all(*log_)), (std::map<int64_t, std::string>{{1, "a=2"}, {2, "z=1"}}));
    EXPECT_EQ(cleaner().first_dirty_offset(log_->topic_partition()), 2);
}

TEST_F(LogCleanerTest, GroupsRespectSegmentBytes) {
    log_ = open_log();
    // Five segments of unique keys; after a first clean, shrink segment.bytes so that two old
    // segments no longer fit one group.
    for (int s = 0; s < 5; ++s) {
        for (int i = 0; i < 5; ++i) {
            append(*log_, {{"k" + std::to_string(s * 5 + i), std::string(50, 'x')}});
        }
        roll(*log_);
    }
    append(*log_, {{"z", "1"}});
    cleaner().add_log(log_);
    ASSERT_TRUE(cleaner().clean_log(log_->topic_partition()).value());
    EXPECT_EQ(log_->segment_count(), 2);  // everything fitted one group
    const int64_t first_size = log_->segments().front()->size_bytes();
    config_.segment_bytes = static_cast<int32_t>(first_size / 2);
    log_->update_config(config_);
    append(*log_, {{"k0", "new"}});
    roll(*log_);
    append(*log_, {{"y", "1"}});
    ASSERT_TRUE(cleaner().clean_log(log_->topic_partition()).value());
    for (const auto& segment : log_->segments()) {
        EXPECT_LE(segment->size_bytes(), std::max<int64_t>(first_size, config_.segment_bytes));
    }
    const auto c = contents(read_all(*log_));
    EXPECT_EQ(c.count(0), 0u);
    EXPECT_EQ(c.size(), 27u);  // k0..k24 (k0 new), z, y
}

// Crashes during the swap, simulated by planting a cleaned segment's files in a second, identical
// log and reopening it (Log::open resolves leftovers as Kafka's LogLoader does).
class LogCleanerCrashTest : public LogCleanerTest {
protected:
    void fill(Log& log) {
        append(log, {{"a", "1"}, {"b", "1"}});  // 0-1
        roll(log);
        append(log, {{"a", "2"}});  // 2
        roll(log);
        append(log, {{"z", "1"}});  // 3
    }

    // Cleans "cleaned-0" and returns the directory of the closed, uncleaned twin "crashed-0".
    std::filesystem::path clean_one_of_two() {
        log_ = open_log("cleaned");
        auto other = open_log("crashed");
        fill(*log_);
        fill(*other);
        cleaner().add_log(log_);
        EXPECT_TRUE(cleaner().clean_once().value());
        cleaned_ = contents(read_all(*log_));
        EXPECT_EQ(cleaned_, (std::map<int64_t, std::string>{{1, "b=1"}, {2, "a=2"}, {3, "z=1"}}));
        original_ = contents(read_all(*other));
        const auto dir = other->dir();
        other->close();
        return dir;
    }

    // Copies the cleaned log's segment 0 files into `dir` under `suffix`.
    void plant(const std::filesystem::path& dir, const std::string& suffix) {
        for (const char* ext : {".log", ".index", ".timeindex"}) {
            const std::string name = std::string("00000000000000000000") + ext;
            std::filesystem::copy_file(log_->dir() / name, dir / (name + suffix),
                                       std::filesystem::copy_options::overwrite_existing);
        }
    }

    static void expect_no_leftovers(const std::filesystem::path& dir) {
        for (const auto& f : std::filesystem::directory_iterator(dir)) {
            const auto name = f.path().filename().string();
            EXPECT_EQ(name.find(".cleaned"), std::string::npos) << name;
            EXPECT_EQ(name.find(".swap"), std::string::npos) << name;
        }
    }

    std::map<int64_t, std::string> cleaned_;
    std::map<int64_t, std::string> original_;
};

// Crash while writing `.cleaned`: the output is discarded, the log is as before.
TEST_F(LogCleanerCrashTest, CrashWhileWritingCleanedKeepsTheOldSegments) {
    const auto dir = clean_one_of_two();
    plant(dir, ".cleaned");
    auto reopened = open_log("crashed");
    EXPECT_EQ(contents(read_all(*reopened)), original_);
    expect_no_leftovers(dir);
}

// Crash after `.cleaned` became `.swap`, old segments not yet replaced: the swap is completed.
TEST_F(LogCleanerCrashTest, CrashAfterRenameToSwapCompletesTheSwap) {
    const auto dir = clean_one_of_two();
    plant(dir, ".swap");
    auto reopened = open_log("crashed");
    EXPECT_EQ(contents(read_all(*reopened)), cleaned_);
    EXPECT_EQ(reopened->log_end_offset(), 4);
    expect_no_leftovers(dir);
    // And the log can still be cleaned and appended to.
    append(*reopened, {{"b", "2"}});
    EXPECT_EQ(contents(read_all(*reopened)).at(4), "b=2");
}

// A `.swap` at or above a `.cleaned` belongs to an unfinished cleaning (KAFKA-6264): both go.
TEST_F(LogCleanerCrashTest, SwapAboveCleanedIsDiscarded) {
    const auto dir = clean_one_of_two();
    plant(dir, ".swap");
    plant(dir, ".cleaned");
    auto reopened = open_log("crashed");
    EXPECT_EQ(contents(read_all(*reopened)), original_);
    expect_no_leftovers(dir);
}

}  // namespace
}  // namespace gregor::storage
