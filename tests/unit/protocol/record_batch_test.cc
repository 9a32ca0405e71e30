#include "gregor/protocol/record_batch.h"

#include "gregor/protocol/crc32c.h"
#include "gregor/protocol/varint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gregor::protocol {
namespace {

namespace L = batch_layout;
using Bytes = std::vector<uint8_t>;

constexpr size_t kCap = 1 << 20;

constexpr CompressionType kAllCodecs[] = {CompressionType::kNone, CompressionType::kGzip,
                                          CompressionType::kSnappy, CompressionType::kLz4,
                                          CompressionType::kZstd};

std::span<const uint8_t> bytes_of(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string str(std::span<const uint8_t> b) {
    return {b.begin(), b.end()};
}

using Nullable = std::optional<std::span<const uint8_t>>;

RecordInput rec(int64_t timestamp,
                Nullable key,
                Nullable value,
                std::span<const RecordHeader> headers = {},
                std::optional<int32_t> offset_delta = std::nullopt) {
    RecordInput r;
    r.timestamp = timestamp;
    r.key = key;
    r.value = value;
    r.headers = headers;
    r.offset_delta = offset_delta;
    return r;
}

// Three records covering null key, null value, headers with a null value.
struct Sample {
    const RecordHeader headers[2] = {{bytes_of("h1"), bytes_of("hv")},
                                     {bytes_of("h2"), std::nullopt}};
    std::vector<RecordInput> records() const {
        return {
            rec(1000, bytes_of("k1"), bytes_of("value-1"), headers),
            rec(900, std::nullopt, bytes_of("value-2")),
            rec(1500, bytes_of("k3"), std::nullopt),
        };
    }
};

Bytes build(const BatchOptions& options, const std::vector<RecordInput>& records) {
    RecordBatchBuilder b(options);
    for (const auto& r : records) {
        b.append(r);
    }
    Bytes out;
    EXPECT_EQ(b.build(out), BuildError::kOk);
    return out;
}

Bytes sample_batch(CompressionType codec = CompressionType::kNone) {
    Sample s;
    BatchOptions o;
    o.base_offset = 100;
    o.partition_leader_epoch = 7;
    o.compression = codec;
    o.producer_id = 4242;
    o.producer_epoch = 3;
    o.base_sequence = 17;
    return build(o, s.records());
}

std::vector<RecordView> read_all(const RecordBatchView& batch, Bytes& scratch) {
    auto it = batch.records(scratch, kCap);
    EXPECT_TRUE(it.has_value());
    std::vector<RecordView> out;
    if (!it) {
        return out;
    }
    while (auto r = it->next()) {
        out.push_back(*r);
    }
    EXPECT_EQ(it->error(), BatchError::kOk);
    return out;
}

// A batch around hand-written record bytes, with a correct CRC, for malformed-record tests.
Bytes raw_batch(const Bytes& records,
                int32_t count,
                int32_t last_offset_delta,
                CompressionType codec = CompressionType::kNone) {
    Bytes out(L::kHeaderSize);
    EXPECT_EQ(compress(codec, records, out), CompressionError::kOk);
    store_be32(out.data() + L::kLength, static_cast<uint32_t>(out.size() - L::kLogOverhead));
    out[L::kMagic] = 2;
    store_be16(out.data() + L::kAttributes, static_cast<uint16_t>(codec));
    store_be32(out.data() + L::kLastOffsetDelta, static_cast<uint32_t>(last_offset_delta));
    store_be64(out.data() + L::kProducerId, static_cast<uint64_t>(-1));
    store_be32(out.data() + L::kRecordsCount, static_cast<uint32_t>(count));
    MutableRecordBatchView(out).recompute_crc();
    return out;
}

void put_varint(Bytes& b, int32_t v) {
    uint8_t buf[kMaxVarintBytes];
    b.insert(b.end(), buf, buf + encode_varint(v, buf));
}

// One record's fields, set fluently; body() overrides the Length prefix.
struct RawRecord {
    int32_t offset_delta = 0;
    int32_t key_length = -1;
    int32_t value_length = 1;
    int32_t header_count = 0;
    Bytes header_bytes;
    std::optional<int32_t> body_length;
    Bytes extra;  // appended inside the body

    RawRecord& offset(int32_t v) {
        offset_delta = v;
        return *this;
    }
    RawRecord& key(int32_t v) {
        key_length = v;
        return *this;
    }
    RawRecord& value(int32_t v) {
        value_length = v;
        return *this;
    }
    RawRecord& headers(int32_t count, Bytes bytes = {}) {
        header_count = count;
        header_bytes = std::move(bytes);
        return *this;
    }
    RawRecord& body(int32_t v) {
        body_length = v;
        return *this;
    }
    RawRecord& trailing(Bytes v) {
        extra = std::move(v);
        return *this;
    }
};

Bytes encode_raw(const RawRecord& r) {
    Bytes body = {0x00, 0x00};  // attributes, timestamp delta 0
    put_varint(body, r.offset_delta);
    put_varint(body, r.key_length);
    body.insert(body.end(), static_cast<size_t>(std::max(r.key_length, 0)), 'k');
    put_varint(body, r.value_length);
    body.insert(body.end(), static_cast<size_t>(std::max(r.value_length, 0)), 'v');
    put_varint(body, r.header_count);
    body.insert(body.end(), r.header_bytes.begin(), r.header_bytes.end());
    body.insert(body.end(), r.extra.begin(), r.extra.end());
    Bytes out;
    put_varint(out, r.body_length.value_or(static_cast<int32_t>(body.size())));
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

BatchError iterate_error(const Bytes& batch_bytes) {
    RecordBatchView batch(batch_bytes);
    EXPECT_EQ(batch.validate(), BatchError::kOk);
    Bytes scratch;
    return batch.validate_records(scratch, kCap);
}

// ---- Round trips ----

class BatchCodecTest : public ::testing::TestWithParam<CompressionType> {};

TEST_P(BatchCodecTest, BuilderRoundTrip) {
    const Bytes bytes = sample_batch(GetParam());
    RecordBatchView batch(bytes);
    ASSERT_EQ(batch.validate(), BatchError::kOk);
    EXPECT_EQ(batch.size_bytes(), bytes.size());
    EXPECT_EQ(batch.base_offset(), 100);
    EXPECT_EQ(batch.length(), static_cast<int32_t>(bytes.size() - 12));
    EXPECT_EQ(batch.partition_leader_epoch(), 7);
    EXPECT_EQ(batch.magic(), 2);
    EXPECT_EQ(batch.crc(), batch.compute_crc());
    EXPECT_EQ(batch.compression(), GetParam());
    EXPECT_EQ(batch.timestamp_type(), TimestampType::kCreateTime);
    EXPECT_FALSE(batch.is_transactional());
    EXPECT_FALSE(batch.is_control());
    EXPECT_FALSE(batch.has_delete_horizon());
    EXPECT_EQ(batch.last_offset_delta(), 2);
    EXPECT_EQ(batch.last_offset(), 102);
    EXPECT_EQ(batch.next_offset(), 103);
    EXPECT_EQ(batch.base_timestamp(), 1000);
    EXPECT_EQ(batch.max_timestamp(), 1500);
    EXPECT_EQ(batch.producer_id(), 4242);
    EXPECT_EQ(batch.producer_epoch(), 3);
    EXPECT_EQ(batch.base_sequence(), 17);
    EXPECT_EQ(batch.records_count(), 3);

    Bytes scratch;
    const auto records = read_all(batch, scratch);
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(str(*records[0].key), "k1");
    EXPECT_EQ(str(*records[0].value), "value-1");
    EXPECT_EQ(batch.record_offset(records[0]), 100);
    EXPECT_EQ(batch.record_timestamp(records[0]), 1000);
    EXPECT_EQ(records[0].header_count, 2);
    auto headers = records[0].headers();
    auto h1 = headers.next();
    ASSERT_TRUE(h1.has_value());
    EXPECT_EQ(str(h1->key), "h1");
    EXPECT_EQ(str(*h1->value), "hv");
    auto h2 = headers.next();
    ASSERT_TRUE(h2.has_value());
    EXPECT_EQ(str(h2->key), "h2");
    EXPECT_FALSE(h2->value.has_value());
    EXPECT_FALSE(headers.next().has_value());

    EXPECT_FALSE(records[1].key.has_value());
    EXPECT_EQ(str(*records[1].value), "value-2");
    EXPECT_EQ(batch.record_offset(records[1]), 101);
    EXPECT_EQ(batch.record_timestamp(records[1]), 900);
    EXPECT_EQ(records[1].header_count, 0);

    EXPECT_EQ(str(*records[2].key), "k3");
    EXPECT_FALSE(records[2].value.has_value());
    EXPECT_EQ(batch.record_offset(records[2]), 102);
    EXPECT_EQ(batch.record_timestamp(records[2]), 1500);
}

TEST_P(BatchCodecTest, ManyRecordsRoundTrip) {
    BatchOptions o;
    o.compression = GetParam();
    std::vector<std::string> values;
    for (int i = 0; i < 2000; ++i) {
        values.push_back("value-" + std::to_string(i)
                         + std::string(static_cast<size_t>(i % 50), 'x'));
    }
    std::vector<RecordInput> records;
    for (int i = 0; i < 2000; ++i) {
        records.push_back(rec(1'700'000'000'000 + i, std::nullopt, bytes_of(values[i])));
    }
    const Bytes bytes = build(o, records);
    RecordBatchView batch(bytes);
    ASSERT_EQ(batch.validate(), BatchError::kOk);
    Bytes scratch;
    const auto read = read_all(batch, scratch);
    ASSERT_EQ(read.size(), 2000u);
    for (int i = 0; i < 2000; ++i) {
        EXPECT_EQ(str(*read[i].value), values[i]);
        EXPECT_EQ(batch.record_timestamp(read[i]), 1'700'000'000'000 + i);
        EXPECT_EQ(read[i].offset_delta, i);
    }
}

TEST_P(BatchCodecTest, EveryBitFlipIsCaughtWhereTheCrcReaches) {
    Bytes bytes = sample_batch(GetParam());
    for (size_t i = 0; i < bytes.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            bytes[i] ^= static_cast<uint8_t>(1 << bit);
            const BatchError e = RecordBatchView(bytes).validate();
            const bool uncovered =
                i < L::kLength || (i >= L::kPartitionLeaderEpoch && i < L::kMagic);
            if (uncovered) {
                // BaseOffset and PartitionLeaderEpoch are outside the CRC by design.
                EXPECT_EQ(e, BatchError::kOk) << i;
            } else {
                EXPECT_NE(e, BatchError::kOk) << "byte " << i << " bit " << bit;
            }
            bytes[i] ^= static_cast<uint8_t>(1 << bit);
        }
    }
}

TEST_P(BatchCodecTest, EveryTruncationFailsCleanly) {
    const Bytes bytes = sample_batch(GetParam());
    for (size_t n = 0; n < bytes.size(); ++n) {
        const std::span<const uint8_t> cut(bytes.data(), n);
        const BatchError e = RecordBatchView(cut).validate();
        EXPECT_TRUE(e == BatchError::kTooShort || e == BatchError::kLengthPastEnd) << n;
        BatchSplitter splitter(cut);
        EXPECT_FALSE(splitter.next().has_value());
        EXPECT_EQ(splitter.error(), n == 0 ? BatchError::kOk : e);
        EXPECT_EQ(splitter.consumed(), 0u);
    }
}

TEST_P(BatchCodecTest, DecompressionCapApplies) {
    if (GetParam() == CompressionType::kNone) {
        GTEST_SKIP() << "uncompressed records are read in place";
    }
    BatchOptions o;
    o.compression = GetParam();
    const Bytes big(100000, 'a');
    const Bytes bytes = build(o, {rec(1, std::nullopt, big)});
    RecordBatchView batch(bytes);
    ASSERT_EQ(batch.validate(), BatchError::kOk);
    Bytes scratch;
    auto it = batch.records(scratch, 50000);
    ASSERT_FALSE(it.has_value());
    EXPECT_EQ(it.error(), BatchError::kDecompressedTooLarge);
    EXPECT_LE(scratch.capacity(), 50001u);
    EXPECT_EQ(batch.validate_records(scratch, 100100), BatchError::kOk);
}

TEST_P(BatchCodecTest, MalformedRecordsInsideACompressedBatch) {
    // Count says 2, the payload holds 1: checked after decompression too.
    const Bytes one = encode_raw(RawRecord().value(20));
    EXPECT_EQ(iterate_error(raw_batch(one, 2, 1, GetParam())), BatchError::kRecordCountMismatch);
}

std::string codec_name(const ::testing::TestParamInfo<CompressionType>& p) {
    return std::string(to_string(p.param));
}

INSTANTIATE_TEST_SUITE_P(Codecs, BatchCodecTest, ::testing::ValuesIn(kAllCodecs), codec_name);

TEST(RecordBatchTest, CorruptCompressedPayloadWithValidCrc) {
    const Bytes garbage = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    Bytes bytes = raw_batch(garbage, 1, 0);
    store_be16(bytes.data() + L::kAttributes, static_cast<uint16_t>(CompressionType::kZstd));
    MutableRecordBatchView(bytes).recompute_crc();
    RecordBatchView batch(bytes);
    ASSERT_EQ(batch.validate(), BatchError::kOk);
    Bytes scratch;
    EXPECT_EQ(batch.validate_records(scratch, kCap), BatchError::kDecompressionFailed);
}

// ---- Header validation ----

TEST(RecordBatchTest, HeaderErrors) {
    const Bytes good = sample_batch();
    ASSERT_EQ(RecordBatchView(good).validate(), BatchError::kOk);

    Bytes magic = good;
    magic[L::kMagic] = 1;  // outside the CRC
    EXPECT_EQ(RecordBatchView(magic).validate(), BatchError::kWrongMagic);

    Bytes codec = good;
    store_be16(codec.data() + L::kAttributes, 5);
    MutableRecordBatchView(codec).recompute_crc();
    EXPECT_EQ(RecordBatchView(codec).validate(), BatchError::kUnknownCompression);

    Bytes negative = good;
    store_be32(negative.data() + L::kRecordsCount, static_cast<uint32_t>(-1));
    MutableRecordBatchView(negative).recompute_crc();
    EXPECT_EQ(RecordBatchView(negative).validate(), BatchError::kInvalidCount);

    Bytes past_delta = good;
    store_be32(past_delta.data() + L::kRecordsCount, 4);  // LastOffsetDelta is 2
    MutableRecordBatchView(past_delta).recompute_crc();
    EXPECT_EQ(RecordBatchView(past_delta).validate(), BatchError::kInvalidCount);

    Bytes too_many = good;
    store_be32(too_many.data() + L::kLastOffsetDelta, 100000);
    store_be32(too_many.data() + L::kRecordsCount, 100000);  // cannot fit the bytes
    MutableRecordBatchView(too_many).recompute_crc();
    EXPECT_EQ(RecordBatchView(too_many).validate(), BatchError::kInvalidCount);

    Bytes small_length = good;
    store_be32(small_length.data() + L::kLength, 48);
    EXPECT_EQ(RecordBatchView(small_length).validate(), BatchError::kInvalidLength);
    store_be32(small_length.data() + L::kLength, static_cast<uint32_t>(-5));
    EXPECT_EQ(RecordBatchView(small_length).validate(), BatchError::kInvalidLength);

    Bytes long_length = good;
    store_be32(long_length.data() + L::kLength, static_cast<uint32_t>(good.size()));
    EXPECT_EQ(RecordBatchView(long_length).validate(), BatchError::kLengthPastEnd);

    Bytes crc = good;
    crc[L::kCrc] ^= 1;
    EXPECT_EQ(RecordBatchView(crc).validate(), BatchError::kCrcMismatch);
    EXPECT_EQ(RecordBatchView(crc).validate_framing(), BatchError::kOk);

    EXPECT_EQ(RecordBatchView(std::span(good.data(), 11)).validate(), BatchError::kTooShort);
}

TEST(RecordBatchTest, ViewTrimsToTheLengthField) {
    Bytes bytes = sample_batch();
    const size_t size = bytes.size();
    bytes.insert(bytes.end(), {9, 9, 9});
    RecordBatchView batch(bytes);
    EXPECT_EQ(batch.size_bytes(), size);
    EXPECT_EQ(batch.validate(), BatchError::kOk);
}

// ---- Malformed records ----

TEST(RecordBatchTest, MalformedRecords) {
    // Sanity: the raw encoder makes valid records.
    EXPECT_EQ(iterate_error(raw_batch(encode_raw(RawRecord()), 1, 0)), BatchError::kOk);

    // Length runs past the records section.
    EXPECT_EQ(iterate_error(raw_batch(encode_raw(RawRecord().value(10).body(40)), 1, 0)),
              BatchError::kRecordTruncated);
    // Length too small for the fields.
    EXPECT_EQ(iterate_error(raw_batch(encode_raw(RawRecord().value(10).body(5)), 1, 0)),
              BatchError::kRecordLengthMismatch);
    // Length larger than the fields: extra bytes inside the record.
    EXPECT_EQ(iterate_error(raw_batch(encode_raw(RawRecord().trailing({0, 0})), 1, 0)),
              BatchError::kRecordLengthMismatch);
    // Negative record length.
    EXPECT_EQ(iterate_error(raw_batch(encode_raw(RawRecord().value(10).body(-3)), 1, 0)),
              BatchError::kInvalidFieldLength);
    // Key and value lengths below -1.
    EXPECT_EQ(iterate_error(raw_batch(encode_raw(RawRecord().key(-2).value(10)), 1, 0)),
              BatchError::kInvalidFieldLength);
    EXPECT_EQ(
        iterate_error(raw_batch(encode_raw(RawRecord().value(-7).trailing(Bytes(8, 0))), 1, 0)),
        BatchError::kInvalidFieldLength);
    // Negative header count.
    EXPECT_EQ(iterate_error(raw_batch(encode_raw(RawRecord().value(10).headers(-1)), 1, 0)),
              BatchError::kInvalidFieldLength);
    // Null header key.
    Bytes null_key;
    put_varint(null_key, -1);
    put_varint(null_key, 1);
    null_key.push_back('v');
    EXPECT_EQ(iterate_error(raw_batch(encode_raw(RawRecord().headers(1, null_key)), 1, 0)),
              BatchError::kInvalidFieldLength);
    // More headers counted than present.
    Bytes one_header = {0x02, 'h', 0x02, 'v'};
    EXPECT_EQ(iterate_error(raw_batch(encode_raw(RawRecord().headers(2, one_header)), 1, 0)),
              BatchError::kRecordLengthMismatch);
    EXPECT_EQ(iterate_error(raw_batch(encode_raw(RawRecord().headers(1, one_header)), 1, 0)),
              BatchError::kOk);
}

TEST(RecordBatchTest, RecordCountsMustMatch) {
    const Bytes r0 = encode_raw(RawRecord().offset(0).value(10));
    const Bytes r1 = encode_raw(RawRecord().offset(1).value(10));
    Bytes two = r0;
    two.insert(two.end(), r1.begin(), r1.end());
    EXPECT_EQ(iterate_error(raw_batch(two, 2, 1)), BatchError::kOk);
    EXPECT_EQ(iterate_error(raw_batch(two, 1, 1)), BatchError::kRecordCountMismatch);
    EXPECT_EQ(iterate_error(raw_batch(r0, 2, 1)), BatchError::kRecordCountMismatch);
}

TEST(RecordBatchTest, OffsetDeltasMustIncreaseWithinLastOffsetDelta) {
    const Bytes r0 = encode_raw(RawRecord().offset(0).value(10));
    const Bytes r5 = encode_raw(RawRecord().offset(5).value(10));
    Bytes gap = r0;
    gap.insert(gap.end(), r5.begin(), r5.end());
    EXPECT_EQ(iterate_error(raw_batch(gap, 2, 5)), BatchError::kOk);  // compacted
    EXPECT_EQ(iterate_error(raw_batch(gap, 2, 4)), BatchError::kOffsetDeltaOutOfRange);
    Bytes backwards = r5;
    backwards.insert(backwards.end(), r0.begin(), r0.end());
    EXPECT_EQ(iterate_error(raw_batch(backwards, 2, 5)), BatchError::kOffsetDeltaOutOfRange);
    Bytes twice = r0;
    twice.insert(twice.end(), r0.begin(), r0.end());
    EXPECT_EQ(iterate_error(raw_batch(twice, 2, 1)), BatchError::kOffsetDeltaOutOfRange);
    EXPECT_EQ(iterate_error(raw_batch(encode_raw(RawRecord().offset(-1).value(10)), 1, 0)),
              BatchError::kOffsetDeltaOutOfRange);
}

TEST(RecordBatchTest, OverlongAndTruncatedVarintsInRecords) {
    // A record whose offset delta is a six-byte varint.
    Bytes body = {0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01, 0x02, 'v', 0x00};
    Bytes rec;
    put_varint(rec, static_cast<int32_t>(body.size()));
    rec.insert(rec.end(), body.begin(), body.end());
    EXPECT_EQ(iterate_error(raw_batch(rec, 1, 0)), BatchError::kRecordLengthMismatch);
    // A record Length varint cut by the end of the records.
    Bytes cut = encode_raw(RawRecord().value(10));
    cut.push_back(0x80);
    EXPECT_EQ(iterate_error(raw_batch(cut, 2, 1)), BatchError::kRecordTruncated);
}

TEST(RecordBatchTest, EveryTruncationOfTheRecordsFailsCleanly) {
    Sample s;
    RecordBatchBuilder b({});
    for (const auto& r : s.records()) {
        b.append(r);
    }
    Bytes full;
    ASSERT_EQ(b.build(full), BuildError::kOk);
    const Bytes records(full.begin() + L::kRecords, full.end());
    for (size_t n = 0; n < records.size(); ++n) {
        const Bytes cut(records.begin(), records.begin() + static_cast<ptrdiff_t>(n));
        // Counts that the bytes cannot hold fail validate(); the rest fail while iterating.
        Bytes bytes = raw_batch(cut, 3, 2);
        RecordBatchView batch(bytes);
        Bytes scratch;
        const BatchError e = batch.validate() != BatchError::kOk
                                 ? batch.validate()
                                 : batch.validate_records(scratch, kCap);
        EXPECT_NE(e, BatchError::kOk) << n;
    }
}

// ---- Empty, compacted, timestamps ----

TEST(RecordBatchTest, EmptyBatch) {
    BatchOptions o;
    o.last_offset_delta = 9;
    o.producer_id = 12;
    const Bytes bytes = build(o, {});
    RecordBatchView batch(bytes);
    ASSERT_EQ(batch.validate(), BatchError::kOk);
    EXPECT_EQ(batch.size_bytes(), L::kHeaderSize);
    EXPECT_EQ(batch.records_count(), 0);
    EXPECT_EQ(batch.last_offset_delta(), 9);
    EXPECT_EQ(batch.base_timestamp(), kNoTimestamp);
    EXPECT_EQ(batch.max_timestamp(), kNoTimestamp);
    Bytes scratch;
    EXPECT_TRUE(read_all(batch, scratch).empty());
}

TEST(RecordBatchTest, CompactedGapsAndDeleteHorizon) {
    BatchOptions o;
    o.delete_horizon_ms = 5000;
    o.last_offset_delta = 10;
    const Bytes bytes = build(o, {rec(4000, std::nullopt, bytes_of("a"), {}, 2),
                                  rec(6000, bytes_of("k"), std::nullopt, {}, 7)});
    RecordBatchView batch(bytes);
    ASSERT_EQ(batch.validate(), BatchError::kOk);
    EXPECT_TRUE(batch.has_delete_horizon());
    EXPECT_EQ(batch.delete_horizon_ms(), 5000);
    EXPECT_EQ(batch.base_timestamp(), 5000);
    EXPECT_EQ(batch.max_timestamp(), 6000);
    Bytes scratch;
    const auto records = read_all(batch, scratch);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].offset_delta, 2);
    EXPECT_EQ(records[0].timestamp_delta, -1000);
    EXPECT_EQ(batch.record_timestamp(records[0]), 4000);
    EXPECT_EQ(records[1].offset_delta, 7);
    EXPECT_EQ(batch.record_timestamp(records[1]), 6000);
}

TEST(RecordBatchTest, TimestampExtremesDoNotOverflow) {
    const Bytes bytes = build({}, {rec(INT64_MAX, std::nullopt, bytes_of("a")),
                                   rec(INT64_MIN, std::nullopt, bytes_of("b"))});
    RecordBatchView batch(bytes);
    ASSERT_EQ(batch.validate(), BatchError::kOk);
    Bytes scratch;
    const auto records = read_all(batch, scratch);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(batch.record_timestamp(records[0]), INT64_MAX);
    EXPECT_EQ(batch.record_timestamp(records[1]), INT64_MIN);
}

// ---- In-place edits ----

TEST(RecordBatchTest, PatchingOffsetAndEpochKeepsTheCrc) {
    Bytes bytes = sample_batch(CompressionType::kLz4);
    const uint32_t crc = RecordBatchView(bytes).crc();
    MutableRecordBatchView m(bytes);
    m.set_base_offset(1'000'000);
    m.set_partition_leader_epoch(42);
    RecordBatchView batch(bytes);
    EXPECT_EQ(batch.validate(), BatchError::kOk);
    EXPECT_EQ(batch.crc(), crc);
    EXPECT_EQ(batch.base_offset(), 1'000'000);
    EXPECT_EQ(batch.partition_leader_epoch(), 42);
    EXPECT_EQ(batch.last_offset(), 1'000'002);
}

TEST(RecordBatchTest, LogAppendTimeRestamp) {
    Bytes bytes = sample_batch(CompressionType::kGzip);
    MutableRecordBatchView m(bytes);
    m.set_max_timestamp(TimestampType::kLogAppendTime, 777);
    RecordBatchView batch(bytes);
    ASSERT_EQ(batch.validate(), BatchError::kOk);
    EXPECT_EQ(batch.timestamp_type(), TimestampType::kLogAppendTime);
    EXPECT_EQ(batch.max_timestamp(), 777);
    EXPECT_EQ(batch.compression(), CompressionType::kGzip);
    Bytes scratch;
    for (const auto& r : read_all(batch, scratch)) {
        EXPECT_EQ(batch.record_timestamp(r), 777);
    }
    m.set_max_timestamp(TimestampType::kCreateTime, 1500);
    EXPECT_EQ(RecordBatchView(bytes).validate(), BatchError::kOk);
    EXPECT_EQ(bytes, sample_batch(CompressionType::kGzip));
}

// ---- Splitter ----

TEST(BatchSplitterTest, WalksConcatenatedBatches) {
    Bytes buffer;
    std::vector<size_t> sizes;
    for (auto codec : {CompressionType::kNone, CompressionType::kZstd, CompressionType::kSnappy}) {
        const Bytes b = sample_batch(codec);
        sizes.push_back(b.size());
        buffer.insert(buffer.end(), b.begin(), b.end());
    }
    BatchSplitter splitter(buffer);
    for (size_t size : sizes) {
        auto batch = splitter.next();
        ASSERT_TRUE(batch.has_value());
        EXPECT_EQ(batch->size_bytes(), size);
    }
    EXPECT_FALSE(splitter.next().has_value());
    EXPECT_EQ(splitter.error(), BatchError::kOk);
    EXPECT_EQ(splitter.consumed(), buffer.size());
}

TEST(BatchSplitterTest, StopsAtAPartialBatch) {
    const Bytes one = sample_batch();
    Bytes buffer = one;
    buffer.insert(buffer.end(), one.begin(), one.begin() + 30);
    BatchSplitter splitter(buffer);
    ASSERT_TRUE(splitter.next().has_value());
    EXPECT_FALSE(splitter.next().has_value());
    EXPECT_EQ(splitter.error(), BatchError::kLengthPastEnd);
    EXPECT_EQ(splitter.consumed(), one.size());
    EXPECT_FALSE(splitter.next().has_value());  // stays stopped

    Bytes tail = one;
    tail.insert(tail.end(), {0, 0, 0, 0, 0});
    BatchSplitter short_tail(tail);
    ASSERT_TRUE(short_tail.next().has_value());
    EXPECT_FALSE(short_tail.next().has_value());
    EXPECT_EQ(short_tail.error(), BatchError::kTooShort);
}

TEST(BatchSplitterTest, StopsAtACorruptBatchUnlessOnlyFraming) {
    const Bytes one = sample_batch();
    Bytes buffer = one;
    buffer.insert(buffer.end(), one.begin(), one.end());
    buffer[one.size() + 70] ^= 0x01;
    BatchSplitter full(buffer);
    ASSERT_TRUE(full.next().has_value());
    EXPECT_FALSE(full.next().has_value());
    EXPECT_EQ(full.error(), BatchError::kCrcMismatch);
    EXPECT_EQ(full.consumed(), one.size());

    BatchSplitter framing(buffer, BatchSplitter::Check::kFraming);
    EXPECT_TRUE(framing.next().has_value());
    EXPECT_TRUE(framing.next().has_value());
    EXPECT_FALSE(framing.next().has_value());
    EXPECT_EQ(framing.error(), BatchError::kOk);
}

TEST(BatchSplitterTest, EmptyBufferIsClean) {
    BatchSplitter splitter({});
    EXPECT_FALSE(splitter.next().has_value());
    EXPECT_EQ(splitter.error(), BatchError::kOk);
}

// ---- Control records ----

TEST(ControlRecordTest, TransactionMarkerBatch) {
    const auto key = encode_control_record_key(ControlRecordType::kCommit);
    const auto value = encode_end_txn_marker(5);
    BatchOptions o;
    o.control = true;
    o.transactional = true;
    o.producer_id = 99;
    o.producer_epoch = 2;
    const Bytes bytes = build(o, {rec(10, key, value)});
    RecordBatchView batch(bytes);
    ASSERT_EQ(batch.validate(), BatchError::kOk);
    EXPECT_TRUE(batch.is_control());
    EXPECT_TRUE(batch.is_transactional());
    Bytes scratch;
    const auto records = read_all(batch, scratch);
    ASSERT_EQ(records.size(), 1u);
    auto k = parse_control_record_key(*records[0].key);
    ASSERT_TRUE(k.has_value());
    EXPECT_EQ(k->version, 0);
    EXPECT_EQ(k->type(), ControlRecordType::kCommit);
    auto m = parse_end_txn_marker(*records[0].value);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->version, 0);
    EXPECT_EQ(m->coordinator_epoch, 5);
}

TEST(ControlRecordTest, KeyBytesAndTypes) {
    EXPECT_EQ(encode_control_record_key(ControlRecordType::kAbort),
              (std::array<uint8_t, 4>{0, 0, 0, 0}));
    EXPECT_EQ(encode_control_record_key(ControlRecordType::kKraftVoters),
              (std::array<uint8_t, 4>{0, 0, 0, 6}));
    for (int16_t t = 0; t <= 6; ++t) {
        const auto k =
            parse_control_record_key(encode_control_record_key(static_cast<ControlRecordType>(t)));
        ASSERT_TRUE(k.has_value());
        EXPECT_EQ(static_cast<int16_t>(k->type()), t);
    }
    const uint8_t unknown[] = {0, 0, 0, 99};
    EXPECT_EQ(parse_control_record_key(unknown)->type(), ControlRecordType::kUnknown);
    const uint8_t newer[] = {0, 3, 0, 1, 0xaa};  // newer versions parse as version 0
    EXPECT_EQ(parse_control_record_key(newer)->type(), ControlRecordType::kCommit);
    const uint8_t negative[] = {0xff, 0xff, 0, 1};
    EXPECT_FALSE(parse_control_record_key(negative).has_value());
    const uint8_t short_key[] = {0, 0, 0};
    EXPECT_FALSE(parse_control_record_key(short_key).has_value());
}

TEST(ControlRecordTest, EndTxnMarkerValue) {
    EXPECT_EQ(encode_end_txn_marker(0x01020304), (std::array<uint8_t, 6>{0, 0, 1, 2, 3, 4}));
    const uint8_t short_value[] = {0, 0, 1, 2, 3};
    EXPECT_FALSE(parse_end_txn_marker(short_value).has_value());
    const uint8_t negative[] = {0x80, 0, 0, 0, 0, 1};
    EXPECT_FALSE(parse_end_txn_marker(negative).has_value());
}

// ---- Batches written by real clients ----

std::optional<Bytes> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

// The one record batch inside a captured Produce request, found by its CRC so the test does not
// depend on the request codec.
std::optional<Bytes> golden_batch(const char* file) {
    const auto frame =
        read_file(std::filesystem::path(GREGOR_SOURCE_DIR) / "tests/unit/protocol/golden" / file);
    if (!frame) {
        return std::nullopt;
    }
    for (size_t i = 0; i + L::kHeaderSize <= frame->size(); ++i) {
        const RecordBatchView candidate(std::span<const uint8_t>(*frame).subspan(i));
        if (candidate.validate() == BatchError::kOk) {
            return Bytes(candidate.bytes().begin(), candidate.bytes().end());
        }
    }
    ADD_FAILURE() << "no valid batch in " << file;
    return std::nullopt;
}

void check_golden_produce(const char* file) {
    const auto bytes = golden_batch(file);
    if (!bytes) {
        GTEST_SKIP() << "no " << file;
    }
    const RecordBatchView batch(*bytes);
    EXPECT_EQ(batch.records_count(), 3);
    EXPECT_EQ(batch.compression(), CompressionType::kNone);
    Bytes scratch;
    const auto records = read_all(batch, scratch);
    ASSERT_EQ(records.size(), 3u);
    for (int i = 0; i < 3; ++i) {
        const std::string n = std::to_string(i + 1);
        EXPECT_EQ(str(*records[i].key), "k" + n);
        EXPECT_EQ(str(*records[i].value), "value-" + n);
        auto h = records[i].headers().next();
        ASSERT_TRUE(h.has_value());
        EXPECT_EQ(str(h->key), "h1");
    }
}

TEST(GoldenBatchTest, JavaProducerBatch) {
    check_golden_produce("java_produce_request_v13.bin");
}

TEST(GoldenBatchTest, LibrdkafkaBatch) {
    check_golden_produce("librdkafka_produce_request_v7.bin");
}

// ---- Fuzz seeds ----

// Writes the seed corpus for tests/fuzz/record_batch_fuzz.cc. Run by hand after format changes:
//   gregor_unit_tests --gtest_also_run_disabled_tests --gtest_filter='*WriteFuzzSeeds'
TEST(RecordBatchSeeds, DISABLED_WriteFuzzSeeds) {
    const auto dir =
        std::filesystem::path(GREGOR_SOURCE_DIR) / "tests/fuzz/corpus/record_batch_fuzz";
    std::filesystem::create_directories(dir);
    auto write = [&](const std::string& name, const Bytes& b) {
        std::ofstream(dir / name, std::ios::binary)
            .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    };
    for (auto codec : kAllCodecs) {
        write(std::string("sample_") + std::string(to_string(codec)), sample_batch(codec));
    }
    const auto key = encode_control_record_key(ControlRecordType::kAbort);
    const auto value = encode_end_txn_marker(1);
    BatchOptions control;
    control.control = true;
    control.transactional = true;
    control.producer_id = 5;
    write("control_abort", build(control, {rec(1, key, value)}));
    BatchOptions empty;
    empty.last_offset_delta = 3;
    write("empty", build(empty, {}));
    Bytes two = sample_batch(CompressionType::kNone);
    const Bytes second = sample_batch(CompressionType::kZstd);
    two.insert(two.end(), second.begin(), second.end());
    write("two_batches", two);
    for (const char* client :
         {"java_produce_request_v13.bin", "librdkafka_produce_request_v7.bin"}) {
        if (auto b = golden_batch(client)) {
            write(std::string("golden_")
                      + std::string(client).substr(0, std::string(client).find('_')),
                  *b);
        }
    }
}

}  // namespace
}  // namespace gregor::protocol
