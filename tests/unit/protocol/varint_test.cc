#include "gregor/protocol/varint.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

namespace gregor::protocol {
namespace {

std::vector<uint8_t> enc_varint(int32_t v) {
    std::vector<uint8_t> b(kMaxVarintBytes);
    b.resize(encode_varint(v, b.data()));
    return b;
}

std::vector<uint8_t> enc_varlong(int64_t v) {
    std::vector<uint8_t> b(kMaxVarlongBytes);
    b.resize(encode_varlong(v, b.data()));
    return b;
}

TEST(VarintTest, ZigzagMatchesKafkaByteUtils) {
    // Values from the zigzag definition: 0,-1,1,-2,2 -> 0,1,2,3,4.
    EXPECT_EQ(enc_varint(0), (std::vector<uint8_t>{0x00}));
    EXPECT_EQ(enc_varint(-1), (std::vector<uint8_t>{0x01}));
    EXPECT_EQ(enc_varint(1), (std::vector<uint8_t>{0x02}));
    EXPECT_EQ(enc_varint(-2), (std::vector<uint8_t>{0x03}));
    EXPECT_EQ(enc_varint(63), (std::vector<uint8_t>{0x7e}));
    EXPECT_EQ(enc_varint(-64), (std::vector<uint8_t>{0x7f}));
    EXPECT_EQ(enc_varint(64), (std::vector<uint8_t>{0x80, 0x01}));
    EXPECT_EQ(enc_varint(300), (std::vector<uint8_t>{0xd8, 0x04}));
}

TEST(VarintTest, Int32Extremes) {
    const auto max = std::numeric_limits<int32_t>::max();
    const auto min = std::numeric_limits<int32_t>::min();
    EXPECT_EQ(enc_varint(max), (std::vector<uint8_t>{0xfe, 0xff, 0xff, 0xff, 0x0f}));
    EXPECT_EQ(enc_varint(min), (std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff, 0x0f}));
    for (int32_t v : {max, min, 0, -1, 1, max - 1, min + 1}) {
        auto b = enc_varint(v);
        EXPECT_EQ(b.size(), varint_size(v));
        auto d = decode_varint(b);
        ASSERT_TRUE(d.has_value()) << v;
        EXPECT_EQ(d->value, v);
        EXPECT_EQ(d->size, b.size());
    }
}

TEST(VarintTest, Int64Extremes) {
    const auto max = std::numeric_limits<int64_t>::max();
    const auto min = std::numeric_limits<int64_t>::min();
    EXPECT_EQ(enc_varlong(min).size(), 10u);
    EXPECT_EQ(enc_varlong(min).back(), 0x01);
    for (int64_t v :
         {max, min, int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{1} << 35, -(int64_t{1} << 35)}) {
        auto b = enc_varlong(v);
        EXPECT_EQ(b.size(), varlong_size(v));
        auto d = decode_varlong(b);
        ASSERT_TRUE(d.has_value()) << v;
        EXPECT_EQ(d->value, v);
        EXPECT_EQ(d->size, b.size());
    }
}

TEST(VarintTest, RoundTripsAcrossByteBoundaries) {
    for (int shift = 0; shift < 63; ++shift) {
        for (int64_t delta : {-1, 0, 1}) {
            const int64_t v = (int64_t{1} << shift) + delta;
            for (int64_t x : {v, -v}) {
                auto d = decode_varlong(enc_varlong(x));
                ASSERT_TRUE(d.has_value());
                EXPECT_EQ(d->value, x);
                if (x >= std::numeric_limits<int32_t>::min()
                    && x <= std::numeric_limits<int32_t>::max()) {
                    auto d32 = decode_varint(enc_varint(static_cast<int32_t>(x)));
                    ASSERT_TRUE(d32.has_value());
                    EXPECT_EQ(d32->value, x);
                }
            }
        }
    }
}

TEST(VarintTest, UnsignedVarintIsNotZigzag) {
    uint8_t buf[kMaxVarlongBytes];
    EXPECT_EQ(encode_unsigned_varint(0, buf), 1u);
    EXPECT_EQ(buf[0], 0x00);
    EXPECT_EQ(encode_unsigned_varint(1, buf), 1u);
    EXPECT_EQ(buf[0], 0x01);
    EXPECT_EQ(encode_unsigned_varint(128, buf), 2u);
    EXPECT_EQ(buf[0], 0x80);
    EXPECT_EQ(buf[1], 0x01);
    EXPECT_EQ(encode_unsigned_varint(UINT32_MAX, buf), 5u);
    auto d = decode_unsigned_varint(std::span<const uint8_t>(buf, 5));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->value, UINT32_MAX);
    EXPECT_EQ(encode_unsigned_varlong(UINT64_MAX, buf), 10u);
    auto d64 = decode_unsigned_varlong(std::span<const uint8_t>(buf, 10));
    ASSERT_TRUE(d64.has_value());
    EXPECT_EQ(d64->value, UINT64_MAX);
    EXPECT_EQ(unsigned_varint_size(UINT64_MAX), 10u);
}

TEST(VarintTest, EveryTruncationFails) {
    for (int32_t v : {std::numeric_limits<int32_t>::min(), 300, 64}) {
        auto b = enc_varint(v);
        for (size_t n = 0; n < b.size(); ++n) {
            EXPECT_FALSE(decode_varint(std::span<const uint8_t>(b.data(), n)).has_value()) << n;
        }
    }
    auto b = enc_varlong(std::numeric_limits<int64_t>::min());
    for (size_t n = 0; n < b.size(); ++n) {
        EXPECT_FALSE(decode_varlong(std::span<const uint8_t>(b.data(), n)).has_value()) << n;
        EXPECT_FALSE(decode_unsigned_varlong(std::span<const uint8_t>(b.data(), n)).has_value());
    }
}

TEST(VarintTest, DecodeStopsAtTheEncodingAndIgnoresTrailingBytes) {
    const uint8_t b[] = {0xd8, 0x04, 0xff, 0xff};
    auto d = decode_varint(b);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->value, 300);
    EXPECT_EQ(d->size, 2u);
}

TEST(VarintTest, OverlongEncodingsFail) {
    // Six bytes for a 32-bit varint: the fifth still has its continuation bit set.
    const uint8_t six[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    EXPECT_FALSE(decode_varint(six).has_value());
    EXPECT_FALSE(decode_unsigned_varint(six).has_value());
    // Bits beyond 32 in the fifth byte.
    const uint8_t wide[] = {0xff, 0xff, 0xff, 0xff, 0x1f};
    EXPECT_FALSE(decode_unsigned_varint(wide).has_value());
    // Eleven bytes for a 64-bit varint, and bits beyond 64 in the tenth.
    const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    EXPECT_FALSE(decode_varlong(eleven).has_value());
    const uint8_t wide64[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03};
    EXPECT_FALSE(decode_unsigned_varlong(wide64).has_value());
}

TEST(VarintTest, NonMinimalButInRangeEncodingsAreAccepted) {
    // Kafka's reader accepts padding; so do we, as long as it fits the type's byte limit.
    const uint8_t padded_zero[] = {0x80, 0x80, 0x80, 0x80, 0x00};
    auto d = decode_unsigned_varint(padded_zero);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->value, 0u);
    EXPECT_EQ(d->size, 5u);
}

TEST(VarintTest, BigEndianHelpers) {
    std::array<uint8_t, 8> b{};
    store_be16(b.data(), 0x0102);
    EXPECT_EQ(b[0], 0x01);
    EXPECT_EQ(b[1], 0x02);
    EXPECT_EQ(load_be16(b.data()), 0x0102);
    store_be32(b.data(), 0xdeadbeef);
    EXPECT_EQ(b[0], 0xde);
    EXPECT_EQ(b[3], 0xef);
    EXPECT_EQ(load_be32(b.data()), 0xdeadbeefu);
    store_be64(b.data(), 0x0102030405060708ull);
    EXPECT_EQ(b[0], 0x01);
    EXPECT_EQ(b[7], 0x08);
    EXPECT_EQ(load_be64(b.data()), 0x0102030405060708ull);
}

}  // namespace
}  // namespace gregor::protocol
