#include "gregor/protocol/record_batch.h"

#include "gregor/common/assert.h"
#include "gregor/protocol/crc32c.h"
#include "gregor/protocol/varint.h"

#include <algorithm>
#include <limits>

namespace gregor::protocol {
namespace {

namespace L = batch_layout;

constexpr int16_t kCompressionMask = 0x07;
constexpr int16_t kTimestampTypeBit = 0x08;
constexpr int16_t kTransactionalBit = 0x10;
constexpr int16_t kControlBit = 0x20;
constexpr int16_t kDeleteHorizonBit = 0x40;

// The smallest record: Length, Attributes, TimestampDelta, OffsetDelta, KeyLength, ValueLength and
// HeaderCount, one byte each. Bounds RecordsCount by the bytes an uncompressed batch holds.
constexpr size_t kMinRecordSize = 7;

constexpr size_t kMaxBatchSize = size_t{std::numeric_limits<int32_t>::max()} + L::kLogOverhead;

// Two's-complement arithmetic without signed-overflow UB: deltas come from untrusted input.
int64_t wrapping_add(int64_t a, int64_t b) {
    return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t wrapping_sub(int64_t a, int64_t b) {
    return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

// Header accessors on a view that never passed validate() are our bug, not bad input.
void require_header(std::span<const uint8_t> bytes) {
    GREGOR_ASSERT(bytes.size() >= L::kHeaderSize, "batch header not validated");
}

// A bounded reader over one record's body.
class Cursor {
public:
    explicit Cursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}

    size_t position() const { return pos_; }
    bool at_end() const { return pos_ == bytes_.size(); }

    std::optional<uint8_t> u8() {
        if (at_end()) {
            return std::nullopt;
        }
        return bytes_[pos_++];
    }
    std::optional<int32_t> varint() { return take(decode_varint(rest())); }
    std::optional<int64_t> varlong() { return take(decode_varlong(rest())); }

    std::optional<std::span<const uint8_t>> bytes(size_t n) {
        if (n > bytes_.size() - pos_) {
            return std::nullopt;
        }
        auto s = bytes_.subspan(pos_, n);
        pos_ += n;
        return s;
    }

    std::span<const uint8_t> slice(size_t from, size_t to) const {
        return bytes_.subspan(from, to - from);
    }

private:
    std::span<const uint8_t> rest() const { return bytes_.subspan(pos_); }

    template <typename T>
    std::optional<T> take(std::optional<Varint<T>> v) {
        if (!v) {
            return std::nullopt;
        }
        pos_ += v->size;
        return v->value;
    }

    std::span<const uint8_t> bytes_;
    size_t pos_ = 0;
};

using Nullable = std::optional<std::span<const uint8_t>>;

// A varint length then that many bytes; -1 is null. Running out of body bytes means the record's
// Length was too small for its fields.
BatchError read_nullable(Cursor& c, Nullable& out) {
    auto len = c.varint();
    if (!len) {
        return BatchError::kRecordLengthMismatch;
    }
    if (*len == -1) {
        out = std::nullopt;
        return BatchError::kOk;
    }
    if (*len < -1) {
        return BatchError::kInvalidFieldLength;
    }
    auto b = c.bytes(static_cast<size_t>(*len));
    if (!b) {
        return BatchError::kRecordLengthMismatch;
    }
    out = *b;
    return BatchError::kOk;
}

BatchError read_header(Cursor& c) {
    Nullable key;
    Nullable value;
    if (auto e = read_nullable(c, key); e != BatchError::kOk) {
        return e;
    }
    if (!key) {
        return BatchError::kInvalidFieldLength;  // header keys are never null
    }
    return read_nullable(c, value);
}

BatchError read_headers(Cursor& c, RecordView& r) {
    auto count = c.varint();
    if (!count) {
        return BatchError::kRecordLengthMismatch;
    }
    if (*count < 0) {
        return BatchError::kInvalidFieldLength;
    }
    const size_t start = c.position();
    for (int32_t i = 0; i < *count; ++i) {
        if (auto e = read_header(c); e != BatchError::kOk) {
            return e;
        }
    }
    r.header_count = *count;
    r.header_bytes = c.slice(start, c.position());
    return BatchError::kOk;
}

BatchError read_body(Cursor& c, RecordView& r) {
    auto attributes = c.u8();
    auto timestamp_delta = attributes ? c.varlong() : std::nullopt;
    auto offset_delta = timestamp_delta ? c.varint() : std::nullopt;
    if (!offset_delta) {
        return BatchError::kRecordLengthMismatch;
    }
    r.attributes = static_cast<int8_t>(*attributes);
    r.timestamp_delta = *timestamp_delta;
    r.offset_delta = *offset_delta;
    if (auto e = read_nullable(c, r.key); e != BatchError::kOk) {
        return e;
    }
    if (auto e = read_nullable(c, r.value); e != BatchError::kOk) {
        return e;
    }
    if (auto e = read_headers(c, r); e != BatchError::kOk) {
        return e;
    }
    return c.at_end() ? BatchError::kOk : BatchError::kRecordLengthMismatch;
}

BatchError from_compression_error(CompressionError e) {
    switch (e) {
        case CompressionError::kOk:
            return BatchError::kOk;
        case CompressionError::kTooLarge:
            return BatchError::kDecompressedTooLarge;
        case CompressionError::kUnsupported:
            return BatchError::kUnknownCompression;
        case CompressionError::kCorrupt:
        case CompressionError::kInternal:
            return BatchError::kDecompressionFailed;
    }
    return BatchError::kDecompressionFailed;
}

}  // namespace

std::string_view to_string(BatchError error) {
    switch (error) {
        case BatchError::kOk:
            return "ok";
        case BatchError::kTooShort:
            return "batch shorter than its log overhead";
        case BatchError::kInvalidLength:
            return "batch length smaller than the header";
        case BatchError::kLengthPastEnd:
            return "batch length runs past the buffer";
        case BatchError::kWrongMagic:
            return "unsupported magic";
        case BatchError::kCrcMismatch:
            return "CRC mismatch";
        case BatchError::kUnknownCompression:
            return "unknown compression codec";
        case BatchError::kInvalidCount:
            return "invalid records count";
        case BatchError::kDecompressionFailed:
            return "corrupt compressed records";
        case BatchError::kDecompressedTooLarge:
            return "decompressed records exceed the limit";
        case BatchError::kRecordTruncated:
            return "record truncated";
        case BatchError::kRecordLengthMismatch:
            return "record length disagrees with its fields";
        case BatchError::kInvalidFieldLength:
            return "invalid record field length";
        case BatchError::kRecordCountMismatch:
            return "records disagree with the records count";
        case BatchError::kOffsetDeltaOutOfRange:
            return "record offset delta out of order or range";
    }
    return "unknown";
}

// ---- RecordHeaderIterator ----

std::optional<RecordHeader> RecordHeaderIterator::next() {
    if (remaining_ <= 0) {
        return std::nullopt;
    }
    Cursor c(bytes_);
    Nullable key;
    Nullable value;
    // Checked when the record was read, so a failure here is our bug, not bad input.
    const bool ok = read_nullable(c, key) == BatchError::kOk && key.has_value()
                    && read_nullable(c, value) == BatchError::kOk;
    GREGOR_ASSERT(ok, "record headers changed after validation");
    bytes_ = bytes_.subspan(c.position());
    --remaining_;
    return RecordHeader{*key, value};
}

// ---- RecordIterator ----

std::optional<RecordView> RecordIterator::fail(BatchError error) {
    error_ = error;
    done_ = true;
    return std::nullopt;
}

std::optional<RecordView> RecordIterator::next() {
    if (done_) {
        return std::nullopt;
    }
    if (read_ == count_) {
        done_ = true;
        if (pos_ != bytes_.size()) {
            return fail(BatchError::kRecordCountMismatch);  // bytes after the last record
        }
        return std::nullopt;
    }
    if (pos_ == bytes_.size()) {
        return fail(BatchError::kRecordCountMismatch);  // fewer records than counted
    }
    auto rest = bytes_.subspan(pos_);
    auto length = decode_varint(rest);
    if (!length) {
        return fail(BatchError::kRecordTruncated);
    }
    if (length->value < 0) {
        return fail(BatchError::kInvalidFieldLength);
    }
    if (static_cast<size_t>(length->value) > rest.size() - length->size) {
        return fail(BatchError::kRecordTruncated);
    }
    Cursor body(rest.subspan(length->size, static_cast<size_t>(length->value)));
    RecordView record;
    if (auto e = read_body(body, record); e != BatchError::kOk) {
        return fail(e);
    }
    // Deltas increase within a batch, compacted or not, and stay within LastOffsetDelta.
    if (record.offset_delta <= previous_offset_delta_ || record.offset_delta > last_offset_delta_) {
        return fail(BatchError::kOffsetDeltaOutOfRange);
    }
    previous_offset_delta_ = record.offset_delta;
    pos_ += length->size + static_cast<size_t>(length->value);
    ++read_;
    return record;
}

// ---- RecordBatchView ----

RecordBatchView::RecordBatchView(std::span<const uint8_t> bytes) : bytes_(bytes) {
    if (bytes.size() < L::kLogOverhead) {
        return;
    }
    const auto length = static_cast<int32_t>(load_be32(bytes.data() + L::kLength));
    if (length >= 0 && static_cast<size_t>(length) + L::kLogOverhead <= bytes.size()) {
        bytes_ = bytes.first(static_cast<size_t>(length) + L::kLogOverhead);
    }
}

BatchError RecordBatchView::check_size() const {
    if (bytes_.size() < L::kLogOverhead) {
        return BatchError::kTooShort;
    }
    const int32_t len = length();
    if (len < static_cast<int32_t>(L::kHeaderSize - L::kLogOverhead)) {
        return BatchError::kInvalidLength;
    }
    if (static_cast<size_t>(len) + L::kLogOverhead != bytes_.size()) {
        return BatchError::kLengthPastEnd;  // the constructor trims any excess, so it is short
    }
    return magic() == kMagicV2 ? BatchError::kOk : BatchError::kWrongMagic;
}

BatchError RecordBatchView::check_fields() const {
    if ((attributes() & kCompressionMask) > static_cast<int16_t>(CompressionType::kZstd)) {
        return BatchError::kUnknownCompression;
    }
    const int32_t count = records_count();
    if (count < 0) {
        return BatchError::kInvalidCount;
    }
    // Offset deltas are distinct and within [0, LastOffsetDelta].
    if (count > 0 && int64_t{count} - 1 > int64_t{last_offset_delta()}) {
        return BatchError::kInvalidCount;
    }
    if (compression() == CompressionType::kNone
        && static_cast<size_t>(count) > records_bytes().size() / kMinRecordSize) {
        return BatchError::kInvalidCount;
    }
    return BatchError::kOk;
}

BatchError RecordBatchView::validate_framing() const {
    if (auto e = check_size(); e != BatchError::kOk) {
        return e;
    }
    return check_fields();
}

BatchError RecordBatchView::validate() const {
    if (auto e = check_size(); e != BatchError::kOk) {
        return e;
    }
    // The CRC before the field checks: it covers those fields, so corruption is named as such.
    if (crc() != compute_crc()) {
        return BatchError::kCrcMismatch;
    }
    return check_fields();
}

std::span<const uint8_t> RecordBatchView::records_bytes() const {
    require_header(bytes_);
    return bytes_.subspan(L::kRecords);
}

int64_t RecordBatchView::base_offset() const {
    GREGOR_ASSERT(bytes_.size() >= L::kLogOverhead, "batch header not validated");
    return static_cast<int64_t>(load_be64(bytes_.data() + L::kBaseOffset));
}
int32_t RecordBatchView::length() const {
    GREGOR_ASSERT(bytes_.size() >= L::kLogOverhead, "batch header not validated");
    return static_cast<int32_t>(load_be32(bytes_.data() + L::kLength));
}
int32_t RecordBatchView::partition_leader_epoch() const {
    require_header(bytes_);
    return static_cast<int32_t>(load_be32(bytes_.data() + L::kPartitionLeaderEpoch));
}
int8_t RecordBatchView::magic() const {
    require_header(bytes_);
    return static_cast<int8_t>(bytes_[L::kMagic]);
}
uint32_t RecordBatchView::crc() const {
    require_header(bytes_);
    return load_be32(bytes_.data() + L::kCrc);
}
uint32_t RecordBatchView::compute_crc() const {
    require_header(bytes_);
    return crc32c(bytes_.subspan(L::kCrcStart));
}
int16_t RecordBatchView::attributes() const {
    require_header(bytes_);
    return static_cast<int16_t>(load_be16(bytes_.data() + L::kAttributes));
}
int32_t RecordBatchView::last_offset_delta() const {
    require_header(bytes_);
    return static_cast<int32_t>(load_be32(bytes_.data() + L::kLastOffsetDelta));
}
int64_t RecordBatchView::base_timestamp() const {
    require_header(bytes_);
    return static_cast<int64_t>(load_be64(bytes_.data() + L::kBaseTimestamp));
}
int64_t RecordBatchView::max_timestamp() const {
    require_header(bytes_);
    return static_cast<int64_t>(load_be64(bytes_.data() + L::kMaxTimestamp));
}
int64_t RecordBatchView::producer_id() const {
    require_header(bytes_);
    return static_cast<int64_t>(load_be64(bytes_.data() + L::kProducerId));
}
int16_t RecordBatchView::producer_epoch() const {
    require_header(bytes_);
    return static_cast<int16_t>(load_be16(bytes_.data() + L::kProducerEpoch));
}
int32_t RecordBatchView::base_sequence() const {
    require_header(bytes_);
    return static_cast<int32_t>(load_be32(bytes_.data() + L::kBaseSequence));
}
int32_t RecordBatchView::records_count() const {
    require_header(bytes_);
    return static_cast<int32_t>(load_be32(bytes_.data() + L::kRecordsCount));
}

CompressionType RecordBatchView::compression() const {
    return static_cast<CompressionType>(attributes() & kCompressionMask);
}
TimestampType RecordBatchView::timestamp_type() const {
    return (attributes() & kTimestampTypeBit) ? TimestampType::kLogAppendTime
                                              : TimestampType::kCreateTime;
}
bool RecordBatchView::is_transactional() const {
    return (attributes() & kTransactionalBit) != 0;
}
bool RecordBatchView::is_control() const {
    return (attributes() & kControlBit) != 0;
}
bool RecordBatchView::has_delete_horizon() const {
    return (attributes() & kDeleteHorizonBit) != 0;
}

int64_t RecordBatchView::last_offset() const {
    return wrapping_add(base_offset(), last_offset_delta());
}

int64_t RecordBatchView::next_offset() const {
    return wrapping_add(last_offset(), 1);
}

std::optional<int64_t> RecordBatchView::delete_horizon_ms() const {
    if (!has_delete_horizon()) {
        return std::nullopt;
    }
    return base_timestamp();
}

int64_t RecordBatchView::record_offset(const RecordView& record) const {
    return wrapping_add(base_offset(), record.offset_delta);
}

int64_t RecordBatchView::record_timestamp(const RecordView& record) const {
    if (timestamp_type() == TimestampType::kLogAppendTime) {
        return max_timestamp();
    }
    return wrapping_add(base_timestamp(), record.timestamp_delta);
}

result<RecordIterator, BatchError> RecordBatchView::records(std::vector<uint8_t>& scratch,
                                                            size_t max_uncompressed_bytes) const {
    const int32_t count = records_count();
    if (count <= 0) {
        return RecordIterator({}, 0, last_offset_delta());
    }
    if (compression() == CompressionType::kNone) {
        return RecordIterator(records_bytes(), count, last_offset_delta());
    }
    auto type = compression_type_from_id(attributes() & kCompressionMask);
    if (!type) {
        return unexpected(BatchError::kUnknownCompression);
    }
    scratch.clear();
    const auto e = decompress(*type, records_bytes(), scratch, max_uncompressed_bytes);
    if (e != CompressionError::kOk) {
        return unexpected(from_compression_error(e));
    }
    return RecordIterator(scratch, count, last_offset_delta());
}

BatchError RecordBatchView::validate_records(std::vector<uint8_t>& scratch,
                                             size_t max_uncompressed_bytes) const {
    auto it = records(scratch, max_uncompressed_bytes);
    if (!it) {
        return it.error();
    }
    while (it->next()) {
    }
    return it->error();
}

// ---- MutableRecordBatchView ----

MutableRecordBatchView::MutableRecordBatchView(std::span<uint8_t> bytes) : bytes_(bytes) {
    GREGOR_ASSERT(bytes_.size() >= L::kHeaderSize, "batch header not validated");
}

void MutableRecordBatchView::set_base_offset(int64_t base_offset) {
    store_be64(bytes_.data() + L::kBaseOffset, static_cast<uint64_t>(base_offset));
}

void MutableRecordBatchView::set_partition_leader_epoch(int32_t epoch) {
    store_be32(bytes_.data() + L::kPartitionLeaderEpoch, static_cast<uint32_t>(epoch));
}

void MutableRecordBatchView::set_max_timestamp(TimestampType type, int64_t max_timestamp) {
    auto attrs = static_cast<uint16_t>(load_be16(bytes_.data() + L::kAttributes));
    attrs = static_cast<uint16_t>(attrs & ~uint16_t{kTimestampTypeBit});
    if (type == TimestampType::kLogAppendTime) {
        attrs = static_cast<uint16_t>(attrs | kTimestampTypeBit);
    }
    store_be16(bytes_.data() + L::kAttributes, attrs);
    store_be64(bytes_.data() + L::kMaxTimestamp, static_cast<uint64_t>(max_timestamp));
    recompute_crc();
}

void MutableRecordBatchView::recompute_crc() {
    store_be32(bytes_.data() + L::kCrc, crc32c(bytes_.subspan(L::kCrcStart)));
}

// ---- BatchSplitter ----

std::optional<RecordBatchView> BatchSplitter::next() {
    if (error_ != BatchError::kOk || pos_ == buffer_.size()) {
        return std::nullopt;
    }
    RecordBatchView batch(buffer_.subspan(pos_));
    const BatchError e = check_ == Check::kFull ? batch.validate() : batch.validate_framing();
    if (e != BatchError::kOk) {
        error_ = e;
        return std::nullopt;
    }
    pos_ += batch.size_bytes();
    return batch;
}

// ---- Control records ----

ControlRecordType ControlRecordKey::type() const {
    if (type_id < 0 || type_id > static_cast<int16_t>(ControlRecordType::kKraftVoters)) {
        return ControlRecordType::kUnknown;
    }
    return static_cast<ControlRecordType>(type_id);
}

std::optional<ControlRecordKey> parse_control_record_key(std::span<const uint8_t> key) {
    if (key.size() < 4) {
        return std::nullopt;
    }
    ControlRecordKey k;
    k.version = static_cast<int16_t>(load_be16(key.data()));
    k.type_id = static_cast<int16_t>(load_be16(key.data() + 2));
    if (k.version < 0) {
        return std::nullopt;
    }
    return k;
}

std::array<uint8_t, 4> encode_control_record_key(ControlRecordType type) {
    std::array<uint8_t, 4> out{};
    store_be16(out.data(), static_cast<uint16_t>(kControlRecordKeyVersion));
    store_be16(out.data() + 2, static_cast<uint16_t>(type));
    return out;
}

std::optional<EndTxnMarker> parse_end_txn_marker(std::span<const uint8_t> value) {
    if (value.size() < 6) {
        return std::nullopt;
    }
    EndTxnMarker m;
    m.version = static_cast<int16_t>(load_be16(value.data()));
    m.coordinator_epoch = static_cast<int32_t>(load_be32(value.data() + 2));
    if (m.version < 0) {
        return std::nullopt;
    }
    return m;
}

std::array<uint8_t, 6> encode_end_txn_marker(int32_t coordinator_epoch) {
    std::array<uint8_t, 6> out{};
    store_be16(out.data(), static_cast<uint16_t>(kEndTxnMarkerVersion));
    store_be32(out.data() + 2, static_cast<uint32_t>(coordinator_epoch));
    return out;
}

// ---- RecordBatchBuilder ----

namespace {

constexpr size_t kMaxFieldSize = std::numeric_limits<int32_t>::max();

size_t nullable_size(const Nullable& b) {
    return b ? varint_size(static_cast<int32_t>(b->size())) + b->size() : varint_size(-1);
}

bool nullable_fits(const Nullable& b) {
    return !b || b->size() <= kMaxFieldSize;
}

void put_varint(std::vector<uint8_t>& out, int32_t v) {
    uint8_t buf[kMaxVarintBytes];
    out.insert(out.end(), buf, buf + encode_varint(v, buf));
}

void put_varlong(std::vector<uint8_t>& out, int64_t v) {
    uint8_t buf[kMaxVarlongBytes];
    out.insert(out.end(), buf, buf + encode_varlong(v, buf));
}

void put_nullable(std::vector<uint8_t>& out, const Nullable& b) {
    if (!b) {
        put_varint(out, -1);
        return;
    }
    put_varint(out, static_cast<int32_t>(b->size()));
    out.insert(out.end(), b->begin(), b->end());
}

bool record_fits(const RecordInput& r) {
    if (!nullable_fits(r.key) || !nullable_fits(r.value) || r.headers.size() > kMaxFieldSize) {
        return false;
    }
    return std::all_of(r.headers.begin(), r.headers.end(), [](const RecordHeader& h) {
        return h.key.size() <= kMaxFieldSize && nullable_fits(h.value);
    });
}

}  // namespace

void RecordBatchBuilder::append(const RecordInput& record) {
    if (overflow_ || count_ == std::numeric_limits<int32_t>::max() || !record_fits(record)) {
        overflow_ = true;
        return;
    }
    if (!first_timestamp_) {
        first_timestamp_ = record.timestamp;
        max_timestamp_ = record.timestamp;
    }
    const int64_t base_timestamp = options_.delete_horizon_ms.value_or(*first_timestamp_);
    const int64_t timestamp_delta = wrapping_sub(record.timestamp, base_timestamp);
    const int32_t offset_delta = record.offset_delta.value_or(count_);
    GREGOR_ASSERT(offset_delta > last_offset_delta_, "record offset deltas must increase");

    size_t body = 1 + varlong_size(timestamp_delta) + varint_size(offset_delta)
                  + nullable_size(record.key) + nullable_size(record.value)
                  + varint_size(static_cast<int32_t>(record.headers.size()));
    for (const auto& h : record.headers) {
        body += nullable_size(h.key) + nullable_size(h.value);
    }
    if (body > kMaxFieldSize || records_.size() + body > kMaxBatchSize) {
        overflow_ = true;
        return;
    }

    put_varint(records_, static_cast<int32_t>(body));
    records_.push_back(0);  // record attributes, unused
    put_varlong(records_, timestamp_delta);
    put_varint(records_, offset_delta);
    put_nullable(records_, record.key);
    put_nullable(records_, record.value);
    put_varint(records_, static_cast<int32_t>(record.headers.size()));
    for (const auto& h : record.headers) {
        put_nullable(records_, h.key);
        put_nullable(records_, h.value);
    }
    max_timestamp_ = std::max(max_timestamp_, record.timestamp);
    last_offset_delta_ = offset_delta;
    ++count_;
}

BuildError RecordBatchBuilder::build(std::vector<uint8_t>& out) const {
    if (overflow_) {
        return BuildError::kTooLarge;
    }
    const size_t base = out.size();
    out.resize(base + L::kHeaderSize);
    if (compress(options_.compression, records_, out, options_.compress_options)
        != CompressionError::kOk) {
        out.resize(base);
        return BuildError::kCompressionFailed;
    }
    const size_t size = out.size() - base;
    if (size > kMaxBatchSize) {
        out.resize(base);
        return BuildError::kTooLarge;
    }

    int16_t attrs = static_cast<int16_t>(options_.compression);
    if (options_.timestamp_type == TimestampType::kLogAppendTime) {
        attrs |= kTimestampTypeBit;
    }
    if (options_.transactional) {
        attrs |= kTransactionalBit;
    }
    if (options_.control) {
        attrs |= kControlBit;
    }
    if (options_.delete_horizon_ms) {
        attrs |= kDeleteHorizonBit;
    }
    const int64_t base_timestamp =
        options_.delete_horizon_ms.value_or(first_timestamp_.value_or(kNoTimestamp));
    const int32_t last_offset_delta =
        options_.last_offset_delta.value_or(count_ == 0 ? 0 : last_offset_delta_);

    uint8_t* h = out.data() + base;
    store_be64(h + L::kBaseOffset, static_cast<uint64_t>(options_.base_offset));
    store_be32(h + L::kLength, static_cast<uint32_t>(size - L::kLogOverhead));
    store_be32(h + L::kPartitionLeaderEpoch,
               static_cast<uint32_t>(options_.partition_leader_epoch));
    h[L::kMagic] = static_cast<uint8_t>(kMagicV2);
    store_be16(h + L::kAttributes, static_cast<uint16_t>(attrs));
    store_be32(h + L::kLastOffsetDelta, static_cast<uint32_t>(last_offset_delta));
    store_be64(h + L::kBaseTimestamp, static_cast<uint64_t>(base_timestamp));
    store_be64(h + L::kMaxTimestamp, static_cast<uint64_t>(max_timestamp_));
    store_be64(h + L::kProducerId, static_cast<uint64_t>(options_.producer_id));
    store_be16(h + L::kProducerEpoch, static_cast<uint16_t>(options_.producer_epoch));
    store_be32(h + L::kBaseSequence, static_cast<uint32_t>(options_.base_sequence));
    store_be32(h + L::kRecordsCount, static_cast<uint32_t>(count_));
    store_be32(h + L::kCrc, crc32c(h + L::kCrcStart, size - L::kCrcStart));
    return BuildError::kOk;
}

}  // namespace gregor::protocol
