#include "gregor/protocol/crc32c.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

namespace gregor::protocol {
namespace {

using ExtendFn = uint32_t (*)(uint32_t, const uint8_t*, size_t);

struct Path {
    const char* name;
    ExtendFn extend;
};

std::vector<Path> available_paths() {
    std::vector<Path> paths{{"portable", &crc32c_extend_portable}, {"dispatch", &crc32c_extend}};
    if (crc32c_hardware_available()) {
        paths.push_back({"hardware", &crc32c_extend_hardware});
    }
    return paths;
}

uint32_t crc_of(ExtendFn f, std::string_view s) {
    return f(0, reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

uint32_t crc_of(ExtendFn f, const std::vector<uint8_t>& v) {
    return f(0, v.data(), v.size());
}

class Crc32cPathTest : public ::testing::TestWithParam<Path> {};

TEST_P(Crc32cPathTest, CheckValue) {
    EXPECT_EQ(crc_of(GetParam().extend, "123456789"), 0xE3069283u);
}

TEST_P(Crc32cPathTest, EmptyIsZero) {
    EXPECT_EQ(crc_of(GetParam().extend, ""), 0u);
}

// RFC 3720 (iSCSI) appendix B.4 vectors.
TEST_P(Crc32cPathTest, Rfc3720Vectors) {
    const ExtendFn f = GetParam().extend;
    EXPECT_EQ(crc_of(f, std::vector<uint8_t>(32, 0x00)), 0x8A9136AAu);
    EXPECT_EQ(crc_of(f, std::vector<uint8_t>(32, 0xff)), 0x62A8AB43u);
    std::vector<uint8_t> ascending(32);
    std::vector<uint8_t> descending(32);
    for (int i = 0; i < 32; ++i) {
        ascending[i] = static_cast<uint8_t>(i);
        descending[i] = static_cast<uint8_t>(31 - i);
    }
    EXPECT_EQ(crc_of(f, ascending), 0x46DD794Eu);
    EXPECT_EQ(crc_of(f, descending), 0x113FDB5Cu);
    const std::vector<uint8_t> iscsi_read = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    EXPECT_EQ(crc_of(f, iscsi_read), 0xD9963A56u);
}

TEST_P(Crc32cPathTest, ExtendEqualsWholeAtEverySplitAndAlignment) {
    const ExtendFn f = GetParam().extend;
    std::mt19937 rng(42);
    std::vector<uint8_t> buf(300);
    for (auto& b : buf) {
        b = static_cast<uint8_t>(rng());
    }
    for (size_t start = 0; start < 9; ++start) {
        const uint8_t* p = buf.data() + start;
        const size_t n = buf.size() - start;
        const uint32_t whole = crc32c_extend_portable(0, p, n);
        for (size_t split = 0; split <= n; split += 7) {
            EXPECT_EQ(f(f(0, p, split), p + split, n - split), whole) << start << "/" << split;
        }
    }
}

std::string path_name(const ::testing::TestParamInfo<Path>& p) {
    return p.param.name;
}

INSTANTIATE_TEST_SUITE_P(Paths, Crc32cPathTest, ::testing::ValuesIn(available_paths()), path_name);

TEST(Crc32cTest, HardwareAndPortableAgreeOnRandomInput) {
    if (!crc32c_hardware_available()) {
        GTEST_SKIP() << "no SSE4.2 on this CPU";
    }
    std::mt19937 rng(7);
    // Sizes around the three-way interleaved blocks (3 x 256 and 3 x 8192 bytes) included.
    for (size_t n : {1u,   3u,    4u,     7u,     8u,     9u,     15u,     16u,
                     17u,  63u,   64u,    65u,    1000u,  4099u,  767u,    768u,
                     769u, 1541u, 24575u, 24576u, 24581u, 49152u, 100003u, 262157u}) {
        std::vector<uint8_t> buf(n);
        for (auto& b : buf) {
            b = static_cast<uint8_t>(rng());
        }
        EXPECT_EQ(crc32c_extend_hardware(0x12345678, buf.data(), n),
                  crc32c_extend_portable(0x12345678, buf.data(), n))
            << n;
    }
}

TEST(Crc32cTest, SpanOverload) {
    const uint8_t data[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    EXPECT_EQ(crc32c(data), 0xE3069283u);
}

}  // namespace
}  // namespace gregor::protocol
