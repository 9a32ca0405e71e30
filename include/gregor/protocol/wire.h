#pragma once

// Primitive codecs of the Kafka protocol: fixed-width big-endian integers, unsigned varints,
// classic and compact strings/bytes/arrays, uuids and tagged fields. The generated message codecs
// are written against Reader, Writer and SizeCounter.
//
// Reader never throws and never reads past its end: the first failure makes it sticky-failed and
// every later read returns zero values, so generated code checks ok() once per loop iteration.
// Every length is checked against the bytes that remain before anything is allocated, and the
// memory a decode may allocate is bounded by a budget (CVE-2022-34917).

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gregor::protocol {

enum class DecodeError : uint8_t {
    none,
    truncated,         // a field runs past the end of the input
    bad_length,        // a negative or impossible length, or more elements than bytes remain
    bad_varint,        // an unsigned varint longer than five bytes
    null_not_allowed,  // null where this version has no nullable form
    budget_exceeded,   // the decode would allocate more than its budget
};

const char* to_string(DecodeError e);

struct Uuid {
    std::array<uint8_t, 16> bytes{};

    bool is_zero() const;
    // Kafka prints topic ids as URL-safe base64 without padding (Uuid.toString()).
    std::string to_string() const;
    static std::optional<Uuid> from_string(std::string_view s);
    static Uuid random();
    bool operator==(const Uuid&) const = default;
};

// A view of record-batch bytes inside a request or response buffer; never owns them. The buffer
// that backs it (the request frame) must outlive it.
struct RecordsRef {
    const uint8_t* data = nullptr;
    size_t size = 0;
    bool is_null = true;

    std::span<const uint8_t> bytes() const { return {data, size}; }
    static RecordsRef of(std::span<const uint8_t> b) { return {b.data(), b.size(), false}; }
    // `size` bytes supplied outside the encoder (ChunkedWriter); other writers must not see it.
    static RecordsRef external(size_t size) { return {nullptr, size, false}; }
    bool is_external() const { return !is_null && data == nullptr && size > 0; }
    bool operator==(const RecordsRef& o) const {
        return is_null == o.is_null && size == o.size
               && (size == 0 || std::memcmp(data, o.data, size) == 0);
    }
};

// A tagged field this version of Gregor does not know; kept so re-encoding preserves it.
struct UnknownTag {
    uint32_t tag = 0;
    std::vector<uint8_t> data;
    bool operator==(const UnknownTag&) const = default;
};
using TaggedFields = std::vector<UnknownTag>;

class Reader {
public:
    // alloc_budget bounds the bytes a decode may allocate for arrays, strings and kept tags.
    Reader(const uint8_t* data, size_t size, size_t alloc_budget);
    explicit Reader(std::span<const uint8_t> bytes)
        : Reader(bytes.data(), bytes.size(), default_budget(bytes.size())) {}

    // A budget proportional to the input: decoded objects are larger than their wire form.
    static size_t default_budget(size_t input_size) { return input_size * 32 + 64 * 1024; }

    bool ok() const { return error_ == DecodeError::none; }
    DecodeError error() const { return error_; }
    size_t remaining() const { return static_cast<size_t>(end_ - pos_); }
    size_t position() const { return static_cast<size_t>(pos_ - begin_); }
    void fail(DecodeError e);

    int8_t read_int8();
    int16_t read_int16();
    int32_t read_int32();
    int64_t read_int64();
    uint16_t read_uint16();
    uint32_t read_uint32();
    double read_float64();
    bool read_bool() { return read_int8() != 0; }
    Uuid read_uuid();
    uint32_t read_uvarint();

    void read_string(std::string& out, bool compact);
    void read_nullable_string(std::optional<std::string>& out, bool compact, bool nullable);
    void read_bytes(std::vector<uint8_t>& out, bool compact);
    void read_nullable_bytes(std::optional<std::vector<uint8_t>>& out, bool compact, bool nullable);
    RecordsRef read_records(bool compact, bool nullable);

    // Reads an array length: -1 for null (only where nullable), else a count whose elements of at
    // least min_element_size bytes fit in what remains, charged element_sizeof each to the budget.
    int32_t read_array_length(bool compact,
                              bool nullable,
                              size_t min_element_size,
                              size_t element_sizeof);

    // A reader over the next n bytes sharing this reader's budget; this one skips past them.
    Reader sub_reader(size_t n);
    void skip(size_t n);
    // Keeps a tagged field's raw bytes (already charged to the budget).
    void read_unknown_tag(uint32_t tag, size_t size, TaggedFields& out);
    // Tagged-field count: every field takes at least two bytes, so a larger count is malformed.
    uint32_t read_tag_count();

private:
    Reader(const uint8_t* b, const uint8_t* p, const uint8_t* e, size_t* budget);
    bool need(size_t n);
    bool charge(size_t n);
    template <typename T>
    T read_fixed();
    // A length-prefixed blob (string, bytes, records): nullopt for null or on failure.
    std::optional<std::span<const uint8_t>> read_blob(bool compact,
                                                      bool wide,
                                                      bool nullable,
                                                      bool charge_budget);
    // Length of a string/bytes field: -1 null, else a non-negative length.
    int64_t read_length(bool compact, bool wide);

    const uint8_t* begin_;
    const uint8_t* pos_;
    const uint8_t* end_;
    size_t own_budget_;
    size_t* budget_;
    DecodeError error_ = DecodeError::none;
};

// Appends the encoding to a byte vector.
class Writer {
public:
    explicit Writer(std::vector<uint8_t>& out) : out_(out) {}

    void write_int8(int8_t v) { out_.push_back(static_cast<uint8_t>(v)); }
    void write_int16(int16_t v) { put_be(static_cast<uint16_t>(v), 2); }
    void write_int32(int32_t v) { put_be(static_cast<uint32_t>(v), 4); }
    void write_int64(int64_t v) { put_be(static_cast<uint64_t>(v), 8); }
    void write_uint16(uint16_t v) { put_be(v, 2); }
    void write_uint32(uint32_t v) { put_be(v, 4); }
    void write_float64(double v);
    void write_bool(bool v) { write_int8(v ? 1 : 0); }
    void write_uuid(const Uuid& u) { out_.insert(out_.end(), u.bytes.begin(), u.bytes.end()); }
    void write_uvarint(uint32_t v);

    void write_string(std::string_view s, bool compact);
    void write_nullable_string(const std::optional<std::string>& s, bool compact);
    void write_bytes(std::span<const uint8_t> b, bool compact);
    void write_nullable_bytes(const std::optional<std::vector<uint8_t>>& b, bool compact);
    void write_records(const RecordsRef& r, bool compact);
    // n = -1 writes a null array.
    void write_array_length(int64_t n, bool compact);
    void write_raw(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }

    size_t size() const { return out_.size(); }

private:
    void put_be(uint64_t v, int width);
    void write_length(int64_t n, bool compact, bool wide);
    std::vector<uint8_t>& out_;
};

// Encodes like Writer, but leaves out the bytes of records fields marked external
// (RecordsRef::external): their length prefix ends the current chunk, and the caller sends the
// records' bytes between that chunk and the next (Fetch: file slices sent with sendfile). Generated
// for messages with records fields only.
class ChunkedWriter {
public:
    ChunkedWriter() { chunks_.emplace_back(); }

    void write_int8(int8_t v) { w().write_int8(v); }
    void write_int16(int16_t v) { w().write_int16(v); }
    void write_int32(int32_t v) { w().write_int32(v); }
    void write_int64(int64_t v) { w().write_int64(v); }
    void write_uint16(uint16_t v) { w().write_uint16(v); }
    void write_uint32(uint32_t v) { w().write_uint32(v); }
    void write_float64(double v) { w().write_float64(v); }
    void write_bool(bool v) { w().write_bool(v); }
    void write_uuid(const Uuid& u) { w().write_uuid(u); }
    void write_uvarint(uint32_t v) { w().write_uvarint(v); }
    void write_string(std::string_view s, bool compact) { w().write_string(s, compact); }
    void write_nullable_string(const std::optional<std::string>& s, bool compact) {
        w().write_nullable_string(s, compact);
    }
    void write_bytes(std::span<const uint8_t> b, bool compact) { w().write_bytes(b, compact); }
    void write_nullable_bytes(const std::optional<std::vector<uint8_t>>& b, bool compact) {
        w().write_nullable_bytes(b, compact);
    }
    void write_records(const RecordsRef& r, bool compact);
    void write_array_length(int64_t n, bool compact) { w().write_array_length(n, compact); }
    void write_raw(std::span<const uint8_t> b) { w().write_raw(b); }

    // One more chunk than external records fields written, in wire order.
    std::vector<std::vector<uint8_t>>& chunks() { return chunks_; }

private:
    Writer w() { return Writer(chunks_.back()); }
    std::vector<std::vector<uint8_t>> chunks_;
};

// Counts the bytes a Writer would append; used for frame sizes and tagged-field sizes.
class SizeCounter {
public:
    void write_int8(int8_t) { n_ += 1; }
    void write_int16(int16_t) { n_ += 2; }
    void write_int32(int32_t) { n_ += 4; }
    void write_int64(int64_t) { n_ += 8; }
    void write_uint16(uint16_t) { n_ += 2; }
    void write_uint32(uint32_t) { n_ += 4; }
    void write_float64(double) { n_ += 8; }
    void write_bool(bool) { n_ += 1; }
    void write_uuid(const Uuid&) { n_ += 16; }
    void write_uvarint(uint32_t v) { n_ += uvarint_size(v); }

    void write_string(std::string_view s, bool compact) {
        n_ += length_size(static_cast<int64_t>(s.size()), compact, false) + s.size();
    }
    void write_nullable_string(const std::optional<std::string>& s, bool compact);
    void write_bytes(std::span<const uint8_t> b, bool compact) {
        n_ += length_size(static_cast<int64_t>(b.size()), compact, true) + b.size();
    }
    void write_nullable_bytes(const std::optional<std::vector<uint8_t>>& b, bool compact);
    void write_records(const RecordsRef& r, bool compact);
    void write_array_length(int64_t n, bool compact) { n_ += length_size(n, compact, true); }
    void write_raw(std::span<const uint8_t> b) { n_ += b.size(); }

    size_t size() const { return n_; }
    static size_t uvarint_size(uint32_t v);

private:
    static size_t length_size(int64_t n, bool compact, bool wide);
    size_t n_ = 0;
};

// Writes the unknown tags from index `next` on whose tag is below `below`, advancing `next`; the
// generated codecs interleave them with known tagged fields in ascending tag order.
template <typename W>
void write_unknown_tags(W& w, const TaggedFields& tags, size_t& next, uint32_t below) {
    for (; next < tags.size() && tags[next].tag < below; ++next) {
        w.write_uvarint(tags[next].tag);
        w.write_uvarint(static_cast<uint32_t>(tags[next].data.size()));
        w.write_raw(tags[next].data);
    }
}

}  // namespace gregor::protocol
