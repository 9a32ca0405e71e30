#include "gregor/protocol/compression.h"

#include "gregor/protocol/varint.h"

#include <gtest/gtest.h>
#include <lz4frame.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace gregor::protocol {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr CompressionType kCodecs[] = {CompressionType::kGzip, CompressionType::kSnappy,
                                       CompressionType::kLz4, CompressionType::kZstd};

Bytes text_payload(size_t n) {
    // Compressible but not trivial: words with a little noise.
    static const char* words[] = {"kafka ", "record ", "batch ", "offset ", "gregor ", "topic "};
    std::mt19937 rng(1234);
    Bytes out;
    while (out.size() < n) {
        const char* w = words[rng() % 6];
        out.insert(out.end(), w, w + std::strlen(w));
        if (rng() % 10 == 0) {
            out.push_back(static_cast<uint8_t>(rng()));
        }
    }
    out.resize(n);
    return out;
}

Bytes random_payload(size_t n) {
    std::mt19937 rng(99);
    Bytes out(n);
    for (auto& b : out) {
        b = static_cast<uint8_t>(rng());
    }
    return out;
}

Bytes compressed(CompressionType type, const Bytes& input, CompressOptions options = {}) {
    Bytes out;
    EXPECT_EQ(compress(type, input, out, options), CompressionError::kOk);
    return out;
}

// XXH32 for inputs shorter than 16 bytes, enough for LZ4 frame descriptors (HC = byte 1 of it).
uint32_t xxh32_short(const uint8_t* p, size_t n) {
    constexpr uint32_t k1 = 2654435761u, k2 = 2246822519u, k3 = 3266489917u, k4 = 668265263u,
                       k5 = 374761393u;
    auto rotl = [](uint32_t x, int r) { return (x << r) | (x >> (32 - r)); };
    uint32_t h = k5 + static_cast<uint32_t>(n);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32_t w = uint32_t{p[i]} | (uint32_t{p[i + 1]} << 8) | (uint32_t{p[i + 2]} << 16)
                           | (uint32_t{p[i + 3]} << 24);
        h = rotl(h + w * k3, 17) * k4;
    }
    for (; i < n; ++i) {
        h = rotl(h + p[i] * k5, 11) * k1;
    }
    h ^= h >> 15;
    h *= k2;
    h ^= h >> 13;
    h *= k3;
    h ^= h >> 16;
    return h;
}

uint8_t lz4_hc(const uint8_t* p, size_t n) {
    return static_cast<uint8_t>(xxh32_short(p, n) >> 8);
}

class CodecTest : public ::testing::TestWithParam<CompressionType> {};

TEST_P(CodecTest, RoundTripsManySizes) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{70000}, size_t{300000}}) {
        for (const Bytes& input : {text_payload(n), random_payload(n)}) {
            Bytes c = compressed(GetParam(), input);
            Bytes out;
            ASSERT_EQ(decompress(GetParam(), c, out, input.size()), CompressionError::kOk) << n;
            EXPECT_EQ(out, input) << n;
        }
    }
}

TEST_P(CodecTest, CapIsExact) {
    const Bytes input = text_payload(5000);
    const Bytes c = compressed(GetParam(), input);
    Bytes out;
    EXPECT_EQ(decompress(GetParam(), c, out, input.size()), CompressionError::kOk);
    out.clear();
    EXPECT_EQ(decompress(GetParam(), c, out, input.size() - 1), CompressionError::kTooLarge);
    EXPECT_TRUE(out.empty());
}

TEST_P(CodecTest, AppendsAndRestoresOnError) {
    const Bytes input = text_payload(1000);
    const Bytes c = compressed(GetParam(), input);
    Bytes out = {1, 2, 3};
    ASSERT_EQ(decompress(GetParam(), c, out, input.size()), CompressionError::kOk);
    ASSERT_EQ(out.size(), 3 + input.size());
    EXPECT_EQ(Bytes(out.begin() + 3, out.end()), input);

    Bytes small = {1, 2, 3};
    EXPECT_EQ(decompress(GetParam(), c, small, 10), CompressionError::kTooLarge);
    EXPECT_EQ(small, (Bytes{1, 2, 3}));
    Bytes garbage = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01};
    EXPECT_NE(decompress(GetParam(), garbage, small, 1 << 20), CompressionError::kOk);
    EXPECT_EQ(small, (Bytes{1, 2, 3}));
}

TEST_P(CodecTest, BombStopsAtTheCap) {
    // Zeros compress by 20x (snappy) to 1000x and more (zstd): a few KiB claim megabytes.
    const Bytes zeros(4 << 20, 0);
    const Bytes bomb = compressed(GetParam(), zeros);
    ASSERT_LT(bomb.size(), 256u * 1024);
    for (size_t cap : {size_t{0}, size_t{1000}, size_t{64} * 1024, zeros.size() - 1}) {
        Bytes out;
        EXPECT_EQ(decompress(GetParam(), bomb, out, cap), CompressionError::kTooLarge) << cap;
        EXPECT_TRUE(out.empty());
        EXPECT_LE(out.capacity(), cap + 1) << "allocated past the cap";
    }
}

TEST_P(CodecTest, SmallBombPastASmallCap) {
    // About 1 KiB of input that expands past a 16 KiB cap, for every codec.
    const Bytes zeros(GetParam() == CompressionType::kSnappy ? 20000 : 200000, 0);
    const Bytes bomb = compressed(GetParam(), zeros);
    ASSERT_LE(bomb.size(), 1100u);
    Bytes out;
    EXPECT_EQ(decompress(GetParam(), bomb, out, 16 * 1024), CompressionError::kTooLarge);
}

TEST_P(CodecTest, TruncationNeverYieldsTheOriginal) {
    const Bytes input = text_payload(3000);
    const Bytes c = compressed(GetParam(), input);
    for (size_t n = 0; n < c.size(); ++n) {
        Bytes out;
        const auto e = decompress(GetParam(), std::span(c.data(), n), out, 1 << 20);
        if (GetParam() == CompressionType::kSnappy) {
            // A xerial stream cut at a chunk boundary is a valid, shorter stream.
            EXPECT_TRUE(e != CompressionError::kOk || out != input) << n;
        } else {
            EXPECT_EQ(e, CompressionError::kCorrupt) << n;
        }
    }
}

TEST_P(CodecTest, BitFlipsFailCleanly) {
    const Bytes input = text_payload(2000);
    Bytes c = compressed(GetParam(), input);
    for (size_t i = 0; i < c.size(); i += 3) {
        c[i] ^= 0x10;
        Bytes out;
        (void)decompress(GetParam(), c, out, input.size() + 100);  // must not crash
        c[i] ^= 0x10;
    }
}

TEST_P(CodecTest, LevelsOutOfRangeAreRejected) {
    if (GetParam() == CompressionType::kSnappy) {
        GTEST_SKIP() << "snappy has no levels";
    }
    Bytes out;
    CompressOptions options;
    options.level = 1000;
    EXPECT_EQ(compress(GetParam(), text_payload(10), out, options), CompressionError::kUnsupported);
    EXPECT_TRUE(out.empty());
}

std::string codec_name(const ::testing::TestParamInfo<CompressionType>& p) {
    return std::string(to_string(p.param));
}

INSTANTIATE_TEST_SUITE_P(Codecs, CodecTest, ::testing::ValuesIn(kCodecs), codec_name);

TEST(CompressionTest, NoneCopiesWithinTheCap) {
    const Bytes input = text_payload(100);
    Bytes out;
    ASSERT_EQ(compress(CompressionType::kNone, input, out), CompressionError::kOk);
    EXPECT_EQ(out, input);
    Bytes back;
    EXPECT_EQ(decompress(CompressionType::kNone, out, back, 100), CompressionError::kOk);
    EXPECT_EQ(back, input);
    Bytes small;
    EXPECT_EQ(decompress(CompressionType::kNone, out, small, 99), CompressionError::kTooLarge);
}

TEST(CompressionTest, UnknownCodecIds) {
    EXPECT_FALSE(compression_type_from_id(5).has_value());
    EXPECT_FALSE(compression_type_from_id(-1).has_value());
    EXPECT_EQ(compression_type_from_id(4), CompressionType::kZstd);
    Bytes out;
    EXPECT_EQ(decompress(static_cast<CompressionType>(7), Bytes{1, 2}, out, 100),
              CompressionError::kUnsupported);
}

// ---- snappy ----

TEST(SnappyTest, XerialFormatMatchesSnappyJava) {
    // snappy-java's SnappyOutputStream output for "foobar\n".
    const Bytes java = {0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0x00, 0x00,
                        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09,
                        0x07, 0x18, 0x66, 0x6f, 0x6f, 0x62, 0x61, 0x72, 0x0a};
    const Bytes text = {'f', 'o', 'o', 'b', 'a', 'r', '\n'};
    EXPECT_EQ(compressed(CompressionType::kSnappy, text), java);
    Bytes out;
    ASSERT_EQ(decompress(CompressionType::kSnappy, java, out, 100), CompressionError::kOk);
    EXPECT_EQ(out, text);
}

TEST(SnappyTest, XerialUsesManyChunksForLargeInput) {
    const Bytes input = text_payload(100000);  // 32 KiB blocks: 4 chunks
    const Bytes c = compressed(CompressionType::kSnappy, input);
    size_t pos = 16;
    int chunks = 0;
    while (pos < c.size()) {
        pos += 4 + load_be32(c.data() + pos);
        ++chunks;
    }
    EXPECT_EQ(pos, c.size());
    EXPECT_EQ(chunks, 4);
}

TEST(SnappyTest, RawSnappyDecodesWithoutMagic) {
    const Bytes input = text_payload(5000);
    CompressOptions raw_framing;
    raw_framing.snappy_framing = SnappyFraming::kRaw;
    const Bytes raw = compressed(CompressionType::kSnappy, input, raw_framing);
    ASSERT_NE(raw[0], 0x82);
    Bytes out;
    ASSERT_EQ(decompress(CompressionType::kSnappy, raw, out, input.size()), CompressionError::kOk);
    EXPECT_EQ(out, input);
}

TEST(SnappyTest, ConcatenatedXerialStreams) {
    const Bytes a = text_payload(1000);
    const Bytes b = random_payload(500);
    Bytes c = compressed(CompressionType::kSnappy, a);
    const Bytes cb = compressed(CompressionType::kSnappy, b);
    c.insert(c.end(), cb.begin(), cb.end());
    Bytes out;
    ASSERT_EQ(decompress(CompressionType::kSnappy, c, out, 2000), CompressionError::kOk);
    Bytes expected = a;
    expected.insert(expected.end(), b.begin(), b.end());
    EXPECT_EQ(out, expected);
}

TEST(SnappyTest, HeaderOnlyIsEmpty) {
    const Bytes c = compressed(CompressionType::kSnappy, {});
    EXPECT_EQ(c.size(), 16u);
    Bytes out;
    EXPECT_EQ(decompress(CompressionType::kSnappy, c, out, 0), CompressionError::kOk);
    EXPECT_TRUE(out.empty());
}

TEST(SnappyTest, BadChunkLengths) {
    Bytes c = compressed(CompressionType::kSnappy, text_payload(100));
    Bytes out;
    store_be32(c.data() + 16, 0x80000000u);  // negative, the CVE-2023-34455 shape
    EXPECT_EQ(decompress(CompressionType::kSnappy, c, out, 1 << 20), CompressionError::kCorrupt);
    store_be32(c.data() + 16, 0x7fffffffu);  // past the end
    EXPECT_EQ(decompress(CompressionType::kSnappy, c, out, 1 << 20), CompressionError::kCorrupt);
    store_be32(c.data() + 16, 0);  // empty chunk: not a snappy block
    EXPECT_EQ(decompress(CompressionType::kSnappy, c, out, 1 << 20), CompressionError::kCorrupt);
    EXPECT_TRUE(out.empty());
}

TEST(SnappyTest, VersionBelowOneIsRefused) {
    Bytes c = compressed(CompressionType::kSnappy, text_payload(100));
    store_be32(c.data() + 8, 0);
    Bytes out;
    EXPECT_EQ(decompress(CompressionType::kSnappy, c, out, 1 << 20), CompressionError::kCorrupt);
}

TEST(SnappyTest, LyingLengthHeaderIsRefusedBeforeAllocating) {
    // Raw snappy starts with the uncompressed length as a varint: claim 1 GiB.
    Bytes lie(5);
    lie.resize(encode_unsigned_varint(1u << 30, lie.data()));
    lie.insert(lie.end(), {0x00, 'x'});  // a one-byte literal
    Bytes out;
    EXPECT_EQ(decompress(CompressionType::kSnappy, lie, out, 1 << 20), CompressionError::kTooLarge);
    EXPECT_LT(out.capacity(), size_t{1} << 20);
    // A claim within the cap that the data cannot back is corrupt.
    Bytes small_lie(5);
    small_lie.resize(encode_unsigned_varint(1000, small_lie.data()));
    small_lie.insert(small_lie.end(), {0x00, 'x'});
    EXPECT_EQ(decompress(CompressionType::kSnappy, small_lie, out, 1 << 20),
              CompressionError::kCorrupt);
}

TEST(SnappyTest, XerialChunksShareTheCap) {
    const Bytes input = text_payload(100000);
    const Bytes c = compressed(CompressionType::kSnappy, input);
    Bytes out;
    EXPECT_EQ(decompress(CompressionType::kSnappy, c, out, 70000), CompressionError::kTooLarge);
}

// ---- lz4 ----

TEST(Lz4Test, Xxh32MatchesTheKnownKafkaHeaderChecksums) {
    // FLG 0x60, BD 0x40: the correct HC is 0x82; KAFKA-3160's broken HC (magic included) is 0x1a.
    const uint8_t descriptor[] = {0x60, 0x40};
    const uint8_t with_magic[] = {0x04, 0x22, 0x4d, 0x18, 0x60, 0x40};
    EXPECT_EQ(lz4_hc(descriptor, 2), 0x82);
    EXPECT_EQ(lz4_hc(with_magic, 6), 0x1a);
}

TEST(Lz4Test, FrameHeaderIsWhatKafkaWrites) {
    const Bytes c = compressed(CompressionType::kLz4, text_payload(1000));
    // Magic, FLG (version 01, independent blocks, no checksums, no size), BD (64 KiB), HC.
    const Bytes header = {0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82};
    ASSERT_GE(c.size(), header.size());
    EXPECT_EQ(Bytes(c.begin(), c.begin() + 7), header);
    // Ends with the zero end mark and no content checksum.
    EXPECT_EQ(load_be32(c.data() + c.size() - 4), 0u);
}

TEST(Lz4Test, BrokenV0HeaderChecksumIsRefused) {
    // Magic v0 frames carry the broken HC; RecordBatch v2 never does, and Kafka refuses it there.
    Bytes c = compressed(CompressionType::kLz4, text_payload(1000));
    c[6] = 0x1a;
    Bytes out;
    EXPECT_EQ(decompress(CompressionType::kLz4, c, out, 1 << 20), CompressionError::kCorrupt);
}

Bytes lz4_frame_with(const Bytes& input, const LZ4F_preferences_t& prefs) {
    Bytes out(LZ4F_compressFrameBound(input.size(), &prefs));
    const size_t n = LZ4F_compressFrame(out.data(), out.size(), input.data(), input.size(), &prefs);
    EXPECT_FALSE(LZ4F_isError(n));
    out.resize(n);
    return out;
}

TEST(Lz4Test, DecodesLibrdkafkaStyleFramesWithChecksumsAndSize) {
    const Bytes input = text_payload(200000);
    LZ4F_preferences_t prefs;
    std::memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.blockSizeID = LZ4F_max256KB;
    prefs.frameInfo.blockMode = LZ4F_blockLinked;
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
    prefs.frameInfo.contentSize = input.size();
    const Bytes c = lz4_frame_with(input, prefs);
    Bytes out;
    ASSERT_EQ(decompress(CompressionType::kLz4, c, out, input.size()), CompressionError::kOk);
    EXPECT_EQ(out, input);
}

TEST(Lz4Test, LyingContentSizeIsNotTrusted) {
    const Bytes input = text_payload(1000);
    LZ4F_preferences_t prefs;
    std::memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.contentSize = input.size();
    Bytes c = lz4_frame_with(input, prefs);
    // Descriptor: FLG, BD, 8-byte little-endian content size, HC at offset 14.
    ASSERT_TRUE(c[4] & 0x08);
    const uint64_t claim = uint64_t{1} << 40;
    for (int i = 0; i < 8; ++i) {
        c[6 + i] = static_cast<uint8_t>(claim >> (8 * i));
    }
    c[14] = lz4_hc(c.data() + 4, 10);
    Bytes out;
    EXPECT_EQ(decompress(CompressionType::kLz4, c, out, 1 << 20), CompressionError::kCorrupt);
    EXPECT_LT(out.capacity(), size_t{2} << 20);
}

TEST(Lz4Test, ConcatenatedFramesAndTrailingGarbage) {
    const Bytes a = text_payload(1000);
    Bytes c = compressed(CompressionType::kLz4, a);
    const Bytes single = c;
    c.insert(c.end(), single.begin(), single.end());
    Bytes out;
    ASSERT_EQ(decompress(CompressionType::kLz4, c, out, 2000), CompressionError::kOk);
    EXPECT_EQ(out.size(), 2000u);
    Bytes junk = single;
    junk.insert(junk.end(), {1, 2, 3, 4, 5, 6, 7, 8});
    Bytes out2;
    EXPECT_EQ(decompress(CompressionType::kLz4, junk, out2, 2000), CompressionError::kCorrupt);
}

// ---- zstd ----

TEST(ZstdTest, DecodesStreamedFramesWithoutContentSize) {
    // Fed in 16 KiB pieces like zstd-jni behind Kafka's buffered stream: no content size, and a
    // window from the level (2 MiB at level 3), not from the input.
    const Bytes input = text_payload(300000);
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    Bytes c(ZSTD_compressBound(input.size()) + 1024);
    ZSTD_outBuffer o{c.data(), c.size(), 0};
    for (size_t pos = 0; pos < input.size(); pos += 16384) {
        ZSTD_inBuffer in{input.data() + pos, std::min<size_t>(16384, input.size() - pos), 0};
        while (in.pos < in.size) {
            ASSERT_FALSE(ZSTD_isError(ZSTD_compressStream2(cctx, &o, &in, ZSTD_e_continue)));
        }
    }
    ZSTD_inBuffer empty{nullptr, 0, 0};
    while (ZSTD_compressStream2(cctx, &o, &empty, ZSTD_e_end) != 0) {
    }
    ZSTD_freeCCtx(cctx);
    c.resize(o.pos);
    EXPECT_EQ(ZSTD_getFrameContentSize(c.data(), c.size()), ZSTD_CONTENTSIZE_UNKNOWN);
    Bytes out;
    ASSERT_EQ(decompress(CompressionType::kZstd, c, out, input.size()), CompressionError::kOk);
    EXPECT_EQ(out, input);
    Bytes small;
    EXPECT_EQ(decompress(CompressionType::kZstd, c, small, 1000), CompressionError::kTooLarge);
}

// The frame header's size, from its descriptor byte (RFC 8878 section 3.1.1.1).
size_t zstd_header_size(const Bytes& frame) {
    const uint8_t fhd = frame[4];
    const bool single_segment = (fhd >> 5) & 1;
    const size_t dict_sizes[] = {0, 1, 2, 4};
    const size_t fcs_sizes[] = {single_segment ? size_t{1} : size_t{0}, 2, 4, 8};
    return 4 + 1 + (single_segment ? 0 : 1) + dict_sizes[fhd & 3] + fcs_sizes[fhd >> 6];
}

// Rebuilds a frame's header as multi-segment with the given window log and, if given, an 8-byte
// content size, keeping its blocks.
Bytes zstd_reheader(const Bytes& frame, int window_log, std::optional<uint64_t> content_size) {
    const size_t header = zstd_header_size(frame);
    Bytes out(frame.begin(), frame.begin() + 4);  // magic
    out.push_back(content_size ? 0xc0 : 0x00);    // FCS 8 or 0 bytes, multi-segment, no checksum
    out.push_back(static_cast<uint8_t>((window_log - 10) << 3));  // window descriptor
    for (int i = 0; content_size && i < 8; ++i) {
        out.push_back(static_cast<uint8_t>(*content_size >> (8 * i)));
    }
    out.insert(out.end(), frame.begin() + static_cast<ptrdiff_t>(header), frame.end());
    return out;
}

TEST(ZstdTest, ReheaderHelperKeepsTheFrameValid) {
    const Bytes input = text_payload(1000);
    const Bytes c = zstd_reheader(compressed(CompressionType::kZstd, input), 20, input.size());
    Bytes out;
    ASSERT_EQ(decompress(CompressionType::kZstd, c, out, input.size()), CompressionError::kOk);
    EXPECT_EQ(out, input);
}

TEST(ZstdTest, HugeClaimedContentSizeIsNotTrusted) {
    const Bytes input = text_payload(1000);
    const Bytes c = zstd_reheader(compressed(CompressionType::kZstd, input), 20, uint64_t{1} << 50);
    Bytes out;
    EXPECT_EQ(decompress(CompressionType::kZstd, c, out, 1 << 20), CompressionError::kCorrupt);
    EXPECT_LT(out.capacity(), size_t{2} << 20);
}

TEST(ZstdTest, HugeWindowIsRefused) {
    // Without a content size the decoder must hold a window-sized buffer: 2 GiB is refused. (With
    // an honest content size that fits the output, zstd decodes straight into it, window unused.)
    const Bytes input = text_payload(1000);
    const Bytes c = zstd_reheader(compressed(CompressionType::kZstd, input), 31, std::nullopt);
    Bytes out;
    EXPECT_EQ(decompress(CompressionType::kZstd, c, out, 1 << 20), CompressionError::kTooLarge);
    const Bytes ok = zstd_reheader(compressed(CompressionType::kZstd, input), 20, std::nullopt);
    EXPECT_EQ(decompress(CompressionType::kZstd, ok, out, 1 << 20), CompressionError::kOk);
    EXPECT_EQ(out, input);
}

TEST(ZstdTest, ConcatenatedFrames) {
    const Bytes a = text_payload(1000);
    Bytes c = compressed(CompressionType::kZstd, a);
    const Bytes single = c;
    c.insert(c.end(), single.begin(), single.end());
    Bytes out;
    ASSERT_EQ(decompress(CompressionType::kZstd, c, out, 2000), CompressionError::kOk);
    EXPECT_EQ(out.size(), 2000u);
    Bytes out2;
    EXPECT_EQ(decompress(CompressionType::kZstd, c, out2, 1999), CompressionError::kTooLarge);
}

// ---- gzip ----

TEST(GzipTest, WritesAGzipMember) {
    const Bytes c = compressed(CompressionType::kGzip, text_payload(100));
    ASSERT_GE(c.size(), 18u);
    EXPECT_EQ(c[0], 0x1f);
    EXPECT_EQ(c[1], 0x8b);
    EXPECT_EQ(c[2], 8);  // deflate
}

TEST(GzipTest, ConcatenatedMembersAndTrailingGarbage) {
    const Bytes a = text_payload(1000);
    const Bytes single = compressed(CompressionType::kGzip, a);
    Bytes c = single;
    c.insert(c.end(), single.begin(), single.end());
    Bytes out;
    ASSERT_EQ(decompress(CompressionType::kGzip, c, out, 2000), CompressionError::kOk);
    EXPECT_EQ(out.size(), 2000u);
    Bytes junk = single;
    junk.insert(junk.end(), {0, 0, 0, 0});
    Bytes out2;
    EXPECT_EQ(decompress(CompressionType::kGzip, junk, out2, 2000), CompressionError::kCorrupt);
}

TEST(GzipTest, LyingSizeTrailerIsCorrupt) {
    Bytes c = compressed(CompressionType::kGzip, text_payload(1000));
    store_be32(c.data() + c.size() - 4, 0xffffff7fu);  // ISIZE, little-endian on the wire
    Bytes out;
    EXPECT_EQ(decompress(CompressionType::kGzip, c, out, 1 << 20), CompressionError::kCorrupt);
}

TEST(GzipTest, ZlibWrapperIsNotGzip) {
    // Kafka's gzip is the gzip wrapper only; a zlib stream (0x78 ...) is corrupt.
    const Bytes zlib_stream = {0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01};
    Bytes out;
    EXPECT_EQ(decompress(CompressionType::kGzip, zlib_stream, out, 100),
              CompressionError::kCorrupt);
}

}  // namespace
}  // namespace gregor::protocol
