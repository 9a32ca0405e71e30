#pragma once

// RecordBatch v2 (magic 2): a zero-copy view over the bytes, record iteration, control records, a
// splitter for concatenated batches and a builder. Layout (big-endian; DefaultRecordBatch.java),
// with the byte offsets in batch_layout below:
//
//   BaseOffset int64, Length int32 (bytes after this field), PartitionLeaderEpoch int32,
//   Magic int8 = 2, CRC uint32 (CRC-32C of Attributes..end), Attributes int16, LastOffsetDelta
//   int32, BaseTimestamp int64, MaxTimestamp int64, ProducerId int64, ProducerEpoch int16,
//   BaseSequence int32, RecordsCount int32, then the records (compressed as a whole when the
//   attributes say so; RecordsCount stays outside).
//
// Attributes: bits 0-2 codec, 3 LogAppendTime, 4 transactional, 5 control, 6 BaseTimestamp holds
// the delete horizon (KIP-534).
//
// Record: Length varint, Attributes int8, TimestampDelta varlong, OffsetDelta varint, key and value
// as varint length (-1 = null) + bytes, then a varint header count and per header a key (length
// must be >= 0) and a nullable value. All record varints are zigzag.
//
// Views borrow the bytes they were built on; keep those alive and unchanged while using them.

#include "gregor/common/result.h"
#include "gregor/protocol/compression.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace gregor::protocol {

namespace batch_layout {
inline constexpr size_t kBaseOffset = 0;
inline constexpr size_t kLength = 8;
inline constexpr size_t kPartitionLeaderEpoch = 12;
inline constexpr size_t kMagic = 16;
inline constexpr size_t kCrc = 17;
inline constexpr size_t kAttributes = 21;
inline constexpr size_t kLastOffsetDelta = 23;
inline constexpr size_t kBaseTimestamp = 27;
inline constexpr size_t kMaxTimestamp = 35;
inline constexpr size_t kProducerId = 43;
inline constexpr size_t kProducerEpoch = 51;
inline constexpr size_t kBaseSequence = 53;
inline constexpr size_t kRecordsCount = 57;
inline constexpr size_t kRecords = 61;
inline constexpr size_t kHeaderSize = 61;   // RECORD_BATCH_OVERHEAD
inline constexpr size_t kLogOverhead = 12;  // BaseOffset + Length, not counted in Length
inline constexpr size_t kCrcStart = kAttributes;
}  // namespace batch_layout

inline constexpr int8_t kMagicV2 = 2;
inline constexpr int64_t kNoProducerId = -1;
inline constexpr int16_t kNoProducerEpoch = -1;
inline constexpr int32_t kNoSequence = -1;
inline constexpr int32_t kNoPartitionLeaderEpoch = -1;
inline constexpr int64_t kNoTimestamp = -1;

enum class TimestampType : uint8_t { kCreateTime = 0, kLogAppendTime = 1 };

enum class BatchError : uint8_t {
    kOk = 0,
    // Batch framing and header (validate(), BatchSplitter).
    kTooShort,            // fewer than the 12 bytes of BaseOffset + Length
    kInvalidLength,       // Length field too small for the 61-byte header (or negative)
    kLengthPastEnd,       // Length runs past the buffer: a partial batch
    kWrongMagic,          // magic is not 2
    kCrcMismatch,         // CRC-32C of bytes 21..end differs from the stored CRC
    kUnknownCompression,  // codec bits name 5, 6 or 7
    kInvalidCount,        // RecordsCount negative, above LastOffsetDelta + 1, or above what the
                          // uncompressed bytes could hold
    // Records (RecordIterator).
    kDecompressionFailed,    // the compressed records are corrupt
    kDecompressedTooLarge,   // the records decompress past the caller's cap
    kRecordTruncated,        // a record or one of its varints runs past the records
    kRecordLengthMismatch,   // a record's Length disagrees with the fields it holds
    kInvalidFieldLength,     // a length below -1, a null header key or a negative header count
    kRecordCountMismatch,    // the records end before RecordsCount, or bytes follow the last
    kOffsetDeltaOutOfRange,  // offset deltas not increasing or past LastOffsetDelta
};

std::string_view to_string(BatchError error);

struct RecordHeader {
    std::span<const uint8_t> key;                   // UTF-8, never null
    std::optional<std::span<const uint8_t>> value;  // nullopt = null
};

// Walks the headers of one record. They were checked when the record was read, so this cannot
// fail.
class RecordHeaderIterator {
public:
    RecordHeaderIterator() = default;
    RecordHeaderIterator(std::span<const uint8_t> bytes, int32_t count)
        : bytes_(bytes), remaining_(count) {}

    std::optional<RecordHeader> next();

private:
    std::span<const uint8_t> bytes_;
    int32_t remaining_ = 0;
};

// One record, pointing into the batch (or the decompression buffer).
struct RecordView {
    int8_t attributes = 0;  // unused by Kafka; kept for fidelity
    int64_t timestamp_delta = 0;
    int32_t offset_delta = 0;
    std::optional<std::span<const uint8_t>> key;    // nullopt = null
    std::optional<std::span<const uint8_t>> value;  // nullopt = null
    int32_t header_count = 0;
    std::span<const uint8_t> header_bytes;  // the encoded headers, for copying as they are

    RecordHeaderIterator headers() const { return {header_bytes, header_count}; }
};

// Reads records one at a time, checking each. next() returns nullopt at the end or on the first
// malformed record; error() then says which (kOk after a clean end).
class RecordIterator {
public:
    RecordIterator() = default;
    RecordIterator(std::span<const uint8_t> records, int32_t count, int32_t last_offset_delta)
        : bytes_(records), count_(count), last_offset_delta_(last_offset_delta) {}

    std::optional<RecordView> next();
    BatchError error() const { return error_; }
    int32_t records_read() const { return read_; }

private:
    std::optional<RecordView> fail(BatchError error);

    std::span<const uint8_t> bytes_;
    size_t pos_ = 0;
    int32_t count_ = 0;
    int32_t last_offset_delta_ = 0;
    int32_t read_ = 0;
    int64_t previous_offset_delta_ = -1;
    BatchError error_ = BatchError::kOk;
    bool done_ = false;
};

class RecordBatchView {
public:
    // Takes the bytes of one batch. When they hold more than the Length field says, the view
    // covers only the batch. Nothing else is checked: call validate() before trusting anything,
    // and before the header accessors, which need the 61-byte header (they assert it).
    explicit RecordBatchView(std::span<const uint8_t> bytes);

    // Framing, magic, CRC, codec and count checks. Does not look inside the records.
    BatchError validate() const;
    // validate() without the CRC: for bytes already verified, e.g. read back from our own log.
    BatchError validate_framing() const;

    std::span<const uint8_t> bytes() const { return bytes_; }
    size_t size_bytes() const { return bytes_.size(); }
    // The records section: compressed bytes when the batch is compressed.
    std::span<const uint8_t> records_bytes() const;

    int64_t base_offset() const;
    int32_t length() const;
    int32_t partition_leader_epoch() const;
    int8_t magic() const;
    uint32_t crc() const;
    uint32_t compute_crc() const;
    int16_t attributes() const;
    int32_t last_offset_delta() const;
    int64_t base_timestamp() const;
    int64_t max_timestamp() const;
    int64_t producer_id() const;
    int16_t producer_epoch() const;
    int32_t base_sequence() const;
    int32_t records_count() const;

    // Attribute bits. compression() is one of the five codecs once validate() has passed.
    CompressionType compression() const;
    TimestampType timestamp_type() const;
    bool is_transactional() const;
    bool is_control() const;
    bool has_delete_horizon() const;

    // Derived values, as DefaultRecordBatch computes them.
    int64_t last_offset() const;  // base_offset + last_offset_delta
    int64_t next_offset() const;
    bool has_producer_id() const { return producer_id() >= 0; }
    std::optional<int64_t> delete_horizon_ms() const;
    int64_t record_offset(const RecordView& record) const;
    // With LogAppendTime every record's timestamp is the batch's max timestamp.
    int64_t record_timestamp(const RecordView& record) const;

    // Iterates the records. An uncompressed batch is read in place; a compressed one is first
    // decompressed into `scratch` (replacing its contents), producing at most
    // max_uncompressed_bytes. Record views point into the batch or into `scratch`, so keep both
    // unchanged while using them. A batch with RecordsCount 0 yields nothing without decompressing,
    // as Kafka does. Call after validate().
    result<RecordIterator, BatchError> records(std::vector<uint8_t>& scratch,
                                               size_t max_uncompressed_bytes) const;

    // Reads every record and reports the first problem: the produce path's deep check.
    BatchError validate_records(std::vector<uint8_t>& scratch, size_t max_uncompressed_bytes) const;

private:
    BatchError check_size() const;    // size, Length and magic
    BatchError check_fields() const;  // codec and counts

    std::span<const uint8_t> bytes_;
};

// In-place edits of a batch the caller owns. Base offset and partition leader epoch lie outside the
// CRC, so setting them keeps the CRC valid; everything else recomputes it. Recomputing the CRC of a
// corrupt batch would hide the corruption, so validate() first.
class MutableRecordBatchView {
public:
    explicit MutableRecordBatchView(std::span<uint8_t> bytes);

    RecordBatchView view() const { return RecordBatchView(bytes_); }

    void set_base_offset(int64_t base_offset);
    void set_partition_leader_epoch(int32_t epoch);
    // Sets the timestamp type bit and the max timestamp, then the CRC (Kafka's setMaxTimestamp).
    // With kLogAppendTime this stamps the broker's append time on the whole batch.
    void set_max_timestamp(TimestampType type, int64_t max_timestamp);
    void recompute_crc();

private:
    std::span<uint8_t> bytes_;
};

// Walks a buffer of concatenated batches (a Produce request's records, a .log segment). next()
// returns nullopt at the end of the buffer or at the first partial or invalid batch; error() tells
// which, and consumed() how many bytes of whole, valid batches came before it (where log recovery
// truncates).
class BatchSplitter {
public:
    enum class Check : uint8_t {
        kFull,     // validate(): framing, magic, CRC, codec, counts
        kFraming,  // validate_framing(): everything but the CRC
    };

    explicit BatchSplitter(std::span<const uint8_t> buffer, Check check = Check::kFull)
        : buffer_(buffer), check_(check) {}

    std::optional<RecordBatchView> next();
    BatchError error() const { return error_; }
    size_t consumed() const { return pos_; }

private:
    std::span<const uint8_t> buffer_;
    Check check_;
    size_t pos_ = 0;
    BatchError error_ = BatchError::kOk;
};

// ---- Control records (ControlRecordType.java, EndTransactionMarker.java) ----

enum class ControlRecordType : int16_t {
    kUnknown = -1,
    kAbort = 0,
    kCommit = 1,
    kLeaderChange = 2,
    kSnapshotHeader = 3,
    kSnapshotFooter = 4,
    kKraftVersion = 5,
    kKraftVoters = 6,
};

struct ControlRecordKey {
    int16_t version = 0;
    int16_t type_id = 0;
    // kUnknown for ids this broker does not know; Kafka logs and skips those.
    ControlRecordType type() const;
};

inline constexpr int16_t kControlRecordKeyVersion = 0;
inline constexpr int16_t kEndTxnMarkerVersion = 0;

// Key = version int16 + type int16. nullopt if shorter or the version is negative; newer versions
// are read as version 0, as Kafka does.
std::optional<ControlRecordKey> parse_control_record_key(std::span<const uint8_t> key);
std::array<uint8_t, 4> encode_control_record_key(ControlRecordType type);

struct EndTxnMarker {
    int16_t version = 0;
    int32_t coordinator_epoch = 0;
};

// Value of an ABORT/COMMIT record = version int16 + coordinator epoch int32.
std::optional<EndTxnMarker> parse_end_txn_marker(std::span<const uint8_t> value);
std::array<uint8_t, 6> encode_end_txn_marker(int32_t coordinator_epoch);

// ---- Builder ----

struct RecordInput {
    int64_t timestamp = 0;
    std::optional<std::span<const uint8_t>> key;
    std::optional<std::span<const uint8_t>> value;
    std::span<const RecordHeader> headers;
    // The record's offset delta; by default its position in the batch. Set it to leave gaps, as
    // compaction does. Deltas must increase.
    std::optional<int32_t> offset_delta;
};

struct BatchOptions {
    int64_t base_offset = 0;
    int32_t partition_leader_epoch = kNoPartitionLeaderEpoch;
    CompressionType compression = CompressionType::kNone;
    CompressOptions compress_options;
    TimestampType timestamp_type = TimestampType::kCreateTime;
    bool transactional = false;
    bool control = false;
    int64_t producer_id = kNoProducerId;
    int16_t producer_epoch = kNoProducerEpoch;
    int32_t base_sequence = kNoSequence;
    // When set, BaseTimestamp holds it and the delete-horizon bit is set (KIP-534).
    std::optional<int64_t> delete_horizon_ms;
    // Overrides LastOffsetDelta, e.g. for an empty batch that keeps a compacted range.
    std::optional<int32_t> last_offset_delta;
};

enum class BuildError : uint8_t {
    kOk = 0,
    kTooLarge,           // the batch would not fit an int32 Length
    kCompressionFailed,  // the codec failed or the level is out of range
};

// Writes one RecordBatch v2. Base timestamp is the first record's (or the delete horizon), max
// timestamp the largest; the CRC is computed last. Record bytes are copied at append() time.
class RecordBatchBuilder {
public:
    explicit RecordBatchBuilder(BatchOptions options) : options_(std::move(options)) {}

    void append(const RecordInput& record);
    int32_t record_count() const { return count_; }

    // Appends the finished batch to out.
    [[nodiscard]] BuildError build(std::vector<uint8_t>& out) const;

private:
    BatchOptions options_;
    std::vector<uint8_t> records_;  // encoded, uncompressed
    int32_t count_ = 0;
    std::optional<int64_t> first_timestamp_;
    int64_t max_timestamp_ = kNoTimestamp;
    int32_t last_offset_delta_ = -1;
    bool overflow_ = false;
};

}  // namespace gregor::protocol
