// Goal: the pure framing rules (size checks, caps, header peek, buffer growth) hold at their
// boundaries. Method: call the functions directly with edge values.

#include "gregor/net/frame.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>

namespace gregor::net {
namespace {

TEST(FrameTest, BigEndianRoundTrip) {
    std::array<uint8_t, 4> bytes{};
    for (int32_t value : {0, 1, -1, 0x01020304, std::numeric_limits<int32_t>::max(),
                          std::numeric_limits<int32_t>::min()}) {
        write_be32(bytes.data(), value);
        EXPECT_EQ(read_be32(bytes.data()), value);
    }
    write_be32(bytes.data(), 0x01020304);
    EXPECT_EQ(bytes, (std::array<uint8_t, 4>{1, 2, 3, 4}));
    const std::array<uint8_t, 2> minus_two{0xff, 0xfe};
    EXPECT_EQ(read_be16(minus_two.data()), -2);
}

TEST(FrameTest, SizeChecks) {
    EXPECT_EQ(check_frame_size(-1, 100), FrameCheck::too_small);
    EXPECT_EQ(check_frame_size(std::numeric_limits<int32_t>::min(), 100), FrameCheck::too_small);
    EXPECT_EQ(check_frame_size(0, 100), FrameCheck::too_small);
    EXPECT_EQ(check_frame_size(7, 100), FrameCheck::too_small);
    EXPECT_EQ(check_frame_size(8, 100), FrameCheck::ok);
    EXPECT_EQ(check_frame_size(100, 100), FrameCheck::ok);
    EXPECT_EQ(check_frame_size(101, 100), FrameCheck::too_large);
    EXPECT_EQ(check_frame_size(std::numeric_limits<int32_t>::max(), 104857600),
              FrameCheck::too_large);
}

TEST(FrameTest, PreauthCapAppliesOnlyToUnauthenticatedSasl) {
    EXPECT_EQ(frame_cap_bytes(1000, 10, /*sasl_listener=*/true, /*authenticated=*/false), 10);
    EXPECT_EQ(frame_cap_bytes(1000, 10, true, true), 1000);
    EXPECT_EQ(frame_cap_bytes(1000, 10, false, false), 1000);
    EXPECT_EQ(frame_cap_bytes(5, 10, true, false), 5);  // never above the general cap
}

TEST(FrameTest, ForeignProtocolHints) {
    EXPECT_NE(foreign_protocol_hint(0x16030100), "");  // TLS handshake record, TLS 1.0 header
    EXPECT_NE(foreign_protocol_hint(0x16030300), "");
    EXPECT_NE(foreign_protocol_hint(0x47455420), "");  // "GET "
    EXPECT_EQ(foreign_protocol_hint(1000), "");
    EXPECT_EQ(foreign_protocol_hint(0x16040000), "");
}

TEST(FrameTest, PeekHeader) {
    const std::array<uint8_t, 10> frame{0x00, 0x12, 0x00, 0x03, 0x7f, 0xff, 0xff, 0xfe, 9, 9};
    const RequestHeaderPeek peek = peek_request_header(frame);
    EXPECT_EQ(peek.api_key, 18);
    EXPECT_EQ(peek.api_version, 3);
    EXPECT_EQ(peek.correlation_id, 0x7ffffffe);
}

TEST(FrameTest, BufferGrowsWithArrivalsNotWithTheDeclaredSize) {
    const size_t declared = 50u << 20;
    EXPECT_EQ(next_frame_buffer_size(0, declared), kInitialFrameBufferBytes);
    EXPECT_EQ(next_frame_buffer_size(kInitialFrameBufferBytes, declared),
              2 * kInitialFrameBufferBytes);
    EXPECT_EQ(next_frame_buffer_size(1u << 20, declared), 2u << 20);
    EXPECT_EQ(next_frame_buffer_size(40u << 20, declared), declared);  // capped by the frame
    EXPECT_EQ(next_frame_buffer_size(0, 100), 100u);                   // small frames in one step
}

}  // namespace
}  // namespace gregor::net
