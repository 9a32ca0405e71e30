#pragma once

// Byte-level primitives of the Kafka wire format: big-endian fixed-width integers, the zigzag
// varints of the record format (ByteUtils.writeVarint/writeVarlong) and the unsigned varints of the
// flexible protocol (compact lengths, tagged fields). The two varint flavours are easy to mix up: a
// record's key length of -1 is the zigzag byte 0x01, a compact string's null is the unsigned 0x00.
//
// Decoders read from a bounded span, never past its end, and return std::nullopt on truncation
// or on an encoding longer than the type allows (5 bytes for 32 bits, 10 for 64). They accept
// non-minimal encodings within that length, as Kafka does, but reject bits beyond the type's width
// in the last byte, which Kafka would silently drop; no real writer produces them.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace gregor::protocol {

inline constexpr size_t kMaxVarintBytes = 5;
inline constexpr size_t kMaxVarlongBytes = 10;

// ---- Big-endian fixed width. The caller has checked that the bytes are there. ----

inline uint16_t load_be16(const uint8_t* p) {
    return static_cast<uint16_t>((uint16_t{p[0]} << 8) | p[1]);
}
inline uint32_t load_be32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline uint64_t load_be64(const uint8_t* p) {
    return (uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
inline void store_be16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}
inline void store_be64(uint8_t* p, uint64_t v) {
    store_be32(p, static_cast<uint32_t>(v >> 32));
    store_be32(p + 4, static_cast<uint32_t>(v));
}

// ---- Varints ----

// A decoded value and how many bytes it took.
template <typename T>
struct Varint {
    T value;
    size_t size;
};

inline constexpr uint32_t zigzag_encode32(int32_t v) {
    return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
inline constexpr uint64_t zigzag_encode64(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline constexpr int32_t zigzag_decode32(uint32_t v) {
    return static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1));
}
inline constexpr int64_t zigzag_decode64(uint64_t v) {
    return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

inline constexpr size_t unsigned_varint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}
inline constexpr size_t varint_size(int32_t v) {
    return unsigned_varint_size(zigzag_encode32(v));
}
inline constexpr size_t varlong_size(int64_t v) {
    return unsigned_varint_size(zigzag_encode64(v));
}

// Writes v to out, which must have room for unsigned_varint_size(v) bytes (at most 10).
inline size_t encode_unsigned_varlong(uint64_t v, uint8_t* out) {
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = static_cast<uint8_t>(v | 0x80);
        v >>= 7;
    }
    out[n++] = static_cast<uint8_t>(v);
    return n;
}
inline size_t encode_unsigned_varint(uint32_t v, uint8_t* out) {
    return encode_unsigned_varlong(v, out);
}
inline size_t encode_varint(int32_t v, uint8_t* out) {
    return encode_unsigned_varlong(zigzag_encode32(v), out);
}
inline size_t encode_varlong(int64_t v, uint8_t* out) {
    return encode_unsigned_varlong(zigzag_encode64(v), out);
}

namespace detail {

// Reads at most max_bytes; the last permitted byte may carry only last_byte_max.
inline std::optional<Varint<uint64_t>> decode_unsigned(std::span<const uint8_t> in,
                                                       size_t max_bytes,
                                                       uint8_t last_byte_max) {
    uint64_t value = 0;
    for (size_t i = 0; i < max_bytes; ++i) {
        if (i == in.size()) {
            return std::nullopt;  // truncated
        }
        const uint8_t b = in[i];
        if (i + 1 == max_bytes && b > last_byte_max) {
            return std::nullopt;  // continuation past the limit, or bits beyond the type
        }
        value |= uint64_t{static_cast<uint8_t>(b & 0x7f)} << (7 * i);
        if ((b & 0x80) == 0) {
            return Varint<uint64_t>{value, i + 1};
        }
    }
    return std::nullopt;  // unreachable: the last byte check above stops the loop
}

}  // namespace detail

inline std::optional<Varint<uint32_t>> decode_unsigned_varint(std::span<const uint8_t> in) {
    if (!in.empty() && in[0] < 0x80) {
        return Varint<uint32_t>{in[0], 1};
    }
    auto r = detail::decode_unsigned(in, kMaxVarintBytes, 0x0f);
    if (!r) {
        return std::nullopt;
    }
    return Varint<uint32_t>{static_cast<uint32_t>(r->value), r->size};
}

inline std::optional<Varint<uint64_t>> decode_unsigned_varlong(std::span<const uint8_t> in) {
    return detail::decode_unsigned(in, kMaxVarlongBytes, 0x01);
}

inline std::optional<Varint<int32_t>> decode_varint(std::span<const uint8_t> in) {
    auto r = decode_unsigned_varint(in);
    if (!r) {
        return std::nullopt;
    }
    return Varint<int32_t>{zigzag_decode32(r->value), r->size};
}

inline std::optional<Varint<int64_t>> decode_varlong(std::span<const uint8_t> in) {
    auto r = decode_unsigned_varlong(in);
    if (!r) {
        return std::nullopt;
    }
    return Varint<int64_t>{zigzag_decode64(r->value), r->size};
}

}  // namespace gregor::protocol
