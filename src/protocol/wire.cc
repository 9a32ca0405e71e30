#include "gregor/protocol/wire.h"

#include "gregor/common/assert.h"
#include "gregor/protocol/varint.h"

#include <openssl/rand.h>

#include <bit>
#include <limits>

namespace gregor::protocol {

const char* to_string(DecodeError e) {
    switch (e) {
        case DecodeError::none:
            return "none";
        case DecodeError::truncated:
            return "truncated";
        case DecodeError::bad_length:
            return "bad length";
        case DecodeError::bad_varint:
            return "bad varint";
        case DecodeError::null_not_allowed:
            return "null not allowed";
        case DecodeError::budget_exceeded:
            return "allocation budget exceeded";
    }
    return "unknown";
}

// ---- Uuid ----

bool Uuid::is_zero() const {
    for (uint8_t b : bytes) {
        if (b != 0) {
            return false;
        }
    }
    return true;
}

namespace {
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64url_value(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}
}  // namespace

std::string Uuid::to_string() const {
    std::string out;
    out.reserve(22);
    uint32_t acc = 0;
    int bits = 0;
    for (uint8_t b : bytes) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(kBase64Url[(acc >> bits) & 0x3f]);
        }
    }
    if (bits > 0) {
        out.push_back(kBase64Url[(acc << (6 - bits)) & 0x3f]);
    }
    return out;
}

std::optional<Uuid> Uuid::from_string(std::string_view s) {
    if (s.size() != 22) {
        return std::nullopt;
    }
    Uuid u;
    uint32_t acc = 0;
    int bits = 0;
    size_t i = 0;
    for (char c : s) {
        int v = base64url_value(c);
        if (v < 0) {
            return std::nullopt;
        }
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (i < 16) {
                u.bytes[i++] = static_cast<uint8_t>(acc >> bits);
            }
        }
    }
    return u;
}

Uuid Uuid::random() {
    Uuid u;
    // Kafka's Uuid.randomUuid() is a version-4 UUID and never zero or the metadata topic id.
    do {
        if (RAND_bytes(u.bytes.data(), static_cast<int>(u.bytes.size())) != 1) {
            for (auto& b : u.bytes) {
                b = static_cast<uint8_t>(std::rand());
            }
        }
        u.bytes[6] = static_cast<uint8_t>((u.bytes[6] & 0x0f) | 0x40);
        u.bytes[8] = static_cast<uint8_t>((u.bytes[8] & 0x3f) | 0x80);
    } while (u.is_zero());
    return u;
}

// ---- Reader ----

Reader::Reader(const uint8_t* data, size_t size, size_t alloc_budget)
    : begin_(data),
      pos_(data),
      end_(data + size),
      own_budget_(alloc_budget),
      budget_(&own_budget_) {}

Reader::Reader(const uint8_t* b, const uint8_t* p, const uint8_t* e, size_t* budget)
    : begin_(b), pos_(p), end_(e), own_budget_(0), budget_(budget) {}

void Reader::fail(DecodeError e) {
    if (error_ == DecodeError::none) {
        error_ = e;
    }
    pos_ = end_;
}

bool Reader::need(size_t n) {
    if (!ok()) {
        return false;
    }
    if (remaining() < n) {
        fail(DecodeError::truncated);
        return false;
    }
    return true;
}

bool Reader::charge(size_t n) {
    if (*budget_ < n) {
        fail(DecodeError::budget_exceeded);
        return false;
    }
    *budget_ -= n;
    return true;
}

template <typename T>
T Reader::read_fixed() {
    if (!need(sizeof(T))) {
        return T{};
    }
    uint64_t v = 0;
    if constexpr (sizeof(T) == 1) {
        v = *pos_;
    } else if constexpr (sizeof(T) == 2) {
        v = load_be16(pos_);
    } else if constexpr (sizeof(T) == 4) {
        v = load_be32(pos_);
    } else {
        v = load_be64(pos_);
    }
    pos_ += sizeof(T);
    return static_cast<T>(v);
}

int8_t Reader::read_int8() {
    return read_fixed<int8_t>();
}
int16_t Reader::read_int16() {
    return read_fixed<int16_t>();
}
int32_t Reader::read_int32() {
    return read_fixed<int32_t>();
}
int64_t Reader::read_int64() {
    return read_fixed<int64_t>();
}
uint16_t Reader::read_uint16() {
    return read_fixed<uint16_t>();
}
uint32_t Reader::read_uint32() {
    return read_fixed<uint32_t>();
}
double Reader::read_float64() {
    return std::bit_cast<double>(read_fixed<uint64_t>());
}

Uuid Reader::read_uuid() {
    Uuid u;
    if (!need(16))
        return u;
    std::memcpy(u.bytes.data(), pos_, 16);
    pos_ += 16;
    return u;
}

uint32_t Reader::read_uvarint() {
    if (!ok())
        return 0;
    auto v = decode_unsigned_varint({pos_, remaining()});
    if (!v) {
        // Either the input ends inside the varint or it is longer than five bytes.
        fail(remaining() < kMaxVarintBytes ? DecodeError::truncated : DecodeError::bad_varint);
        return 0;
    }
    pos_ += v->size;
    return v->value;
}

int64_t Reader::read_length(bool compact, bool wide) {
    int64_t n;
    if (compact) {
        n = static_cast<int64_t>(read_uvarint()) - 1;
    } else {
        n = wide ? read_int32() : read_int16();
    }
    if (!ok())
        return -1;
    if (n < -1) {
        fail(DecodeError::bad_length);
        return -1;
    }
    if (n >= 0 && static_cast<uint64_t>(n) > remaining()) {
        fail(DecodeError::truncated);
        return -1;
    }
    return n;
}

std::optional<std::span<const uint8_t>> Reader::read_blob(bool compact,
                                                          bool wide,
                                                          bool nullable,
                                                          bool charge_budget) {
    int64_t n = read_length(compact, wide);
    if (!ok()) {
        return std::nullopt;
    }
    if (n < 0) {
        if (!nullable) {
            fail(DecodeError::null_not_allowed);
        }
        return std::nullopt;
    }
    const auto size = static_cast<size_t>(n);
    if (charge_budget && !charge(size)) {
        return std::nullopt;
    }
    std::span<const uint8_t> blob(pos_, size);
    pos_ += size;
    return blob;
}

void Reader::read_string(std::string& out, bool compact) {
    if (auto b = read_blob(compact, false, false, true)) {
        out.assign(reinterpret_cast<const char*>(b->data()), b->size());
    }
}

void Reader::read_nullable_string(std::optional<std::string>& out, bool compact, bool nullable) {
    auto b = read_blob(compact, false, nullable, true);
    if (!ok()) {
        return;
    }
    if (!b) {
        out.reset();
        return;
    }
    out.emplace(reinterpret_cast<const char*>(b->data()), b->size());
}

void Reader::read_bytes(std::vector<uint8_t>& out, bool compact) {
    if (auto b = read_blob(compact, true, false, true)) {
        out.assign(b->begin(), b->end());
    }
}

void Reader::read_nullable_bytes(std::optional<std::vector<uint8_t>>& out,
                                 bool compact,
                                 bool nullable) {
    auto b = read_blob(compact, true, nullable, true);
    if (!ok()) {
        return;
    }
    if (!b) {
        out.reset();
        return;
    }
    out.emplace(b->begin(), b->end());
}

RecordsRef Reader::read_records(bool compact, bool nullable) {
    // A view: the bytes stay in the request buffer, so nothing is charged.
    auto b = read_blob(compact, true, nullable, false);
    if (!b) {
        return {};
    }
    return RecordsRef{b->data(), b->size(), false};
}

int32_t Reader::read_array_length(bool compact,
                                  bool nullable,
                                  size_t min_element_size,
                                  size_t element_sizeof) {
    int64_t n = compact ? static_cast<int64_t>(read_uvarint()) - 1 : read_int32();
    if (!ok())
        return -1;
    if (n < -1) {
        fail(DecodeError::bad_length);
        return -1;
    }
    if (n == -1) {
        if (!nullable)
            fail(DecodeError::null_not_allowed);
        return -1;
    }
    // Elements that take no bytes on the wire still count one each, so the count is bounded by
    // the input either way.
    size_t per = min_element_size == 0 ? 1 : min_element_size;
    if (static_cast<uint64_t>(n) > remaining() / per) {
        fail(DecodeError::bad_length);
        return -1;
    }
    if (!charge(static_cast<size_t>(n) * element_sizeof))
        return -1;
    return static_cast<int32_t>(n);
}

Reader Reader::sub_reader(size_t n) {
    if (!need(n)) {
        return Reader(begin_, end_, end_, budget_);
    }
    Reader sub(begin_, pos_, pos_ + n, budget_);
    pos_ += n;
    return sub;
}

void Reader::skip(size_t n) {
    if (need(n))
        pos_ += n;
}

void Reader::read_unknown_tag(uint32_t tag, size_t size, TaggedFields& out) {
    if (!need(size) || !charge(size + sizeof(UnknownTag)))
        return;
    out.push_back(UnknownTag{tag, std::vector<uint8_t>(pos_, pos_ + size)});
    pos_ += size;
}

uint32_t Reader::read_tag_count() {
    uint32_t n = read_uvarint();
    if (ok() && n > remaining() / 2) {
        fail(DecodeError::bad_length);
        return 0;
    }
    return n;
}

// ---- Writer ----

void Writer::put_be(uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
        out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
}

void Writer::write_float64(double v) {
    put_be(std::bit_cast<uint64_t>(v), 8);
}

void Writer::write_uvarint(uint32_t v) {
    uint8_t buf[kMaxVarintBytes];
    const size_t n = encode_unsigned_varint(v, buf);
    out_.insert(out_.end(), buf, buf + n);
}

void Writer::write_length(int64_t n, bool compact, bool wide) {
    if (compact) {
        write_uvarint(static_cast<uint32_t>(n + 1));
    } else if (wide) {
        write_int32(static_cast<int32_t>(n));
    } else {
        write_int16(static_cast<int16_t>(n));
    }
}

void Writer::write_string(std::string_view s, bool compact) {
    write_length(static_cast<int64_t>(s.size()), compact, false);
    out_.insert(out_.end(), s.begin(), s.end());
}

void Writer::write_nullable_string(const std::optional<std::string>& s, bool compact) {
    if (!s) {
        write_length(-1, compact, false);
        return;
    }
    write_string(*s, compact);
}

void Writer::write_bytes(std::span<const uint8_t> b, bool compact) {
    write_length(static_cast<int64_t>(b.size()), compact, true);
    write_raw(b);
}

void Writer::write_nullable_bytes(const std::optional<std::vector<uint8_t>>& b, bool compact) {
    if (!b) {
        write_length(-1, compact, true);
        return;
    }
    write_bytes(*b, compact);
}

void Writer::write_records(const RecordsRef& r, bool compact) {
    GREGOR_ASSERT(!r.is_external(), "external records need a ChunkedWriter");
    if (r.is_null) {
        write_length(-1, compact, true);
        return;
    }
    write_bytes(r.bytes(), compact);
}

void ChunkedWriter::write_records(const RecordsRef& r, bool compact) {
    if (!r.is_external()) {
        w().write_records(r, compact);
        return;
    }
    // The prefix of bytes (int32 or compact uvarint(n + 1)) is that of an array of n.
    w().write_array_length(static_cast<int64_t>(r.size), compact);
    chunks_.emplace_back();
}

void Writer::write_array_length(int64_t n, bool compact) {
    write_length(n, compact, true);
}

// ---- SizeCounter ----

size_t SizeCounter::uvarint_size(uint32_t v) {
    return unsigned_varint_size(v);
}

size_t SizeCounter::length_size(int64_t n, bool compact, bool wide) {
    if (compact) {
        return uvarint_size(static_cast<uint32_t>(n + 1));
    }
    return wide ? 4 : 2;
}

void SizeCounter::write_nullable_string(const std::optional<std::string>& s, bool compact) {
    n_ += s ? length_size(static_cast<int64_t>(s->size()), compact, false) + s->size()
            : length_size(-1, compact, false);
}

void SizeCounter::write_nullable_bytes(const std::optional<std::vector<uint8_t>>& b, bool compact) {
    n_ += b ? length_size(static_cast<int64_t>(b->size()), compact, true) + b->size()
            : length_size(-1, compact, true);
}

void SizeCounter::write_records(const RecordsRef& r, bool compact) {
    n_ += r.is_null ? length_size(-1, compact, true)
                    : length_size(static_cast<int64_t>(r.size), compact, true) + r.size;
}

}  // namespace gregor::protocol
