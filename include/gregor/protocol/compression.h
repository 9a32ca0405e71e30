#pragma once

// The four Kafka record compression codecs, as the Java 4.x client and librdkafka write them:
//   gzip    RFC 1952 gzip members (zlib with the gzip wrapper).
//   snappy  xerial/snappy-java framing (what the Java client writes) or raw snappy (librdkafka);
//           the decoder picks by the 8-byte magic, as snappy-java's SnappyInputStream does.
//   lz4     the standard LZ4 frame format (what Kafka's Lz4BlockOutputStream writes for magic >=
//   1). zstd    standard zstd frames.
//
// Decompression never trusts a size the input claims: every decoder takes a hard cap on its output
// and fails with kTooLarge rather than allocating or writing past it. The output buffer grows with
// the bytes actually produced and never beyond cap + 1, so a decompression bomb or a lying size
// header costs at most the cap. Codec state is bounded separately: zstd refuses windows above
// 2^27 bytes, lz4 blocks are at most 4 MiB. Errors are values, never exceptions.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace gregor::protocol {

// The ids are bits 0-2 of a batch's attributes (CompressionType.java).
enum class CompressionType : uint8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };

std::optional<CompressionType> compression_type_from_id(int id);
std::string_view to_string(CompressionType type);

enum class CompressionError : uint8_t {
    kOk = 0,
    kCorrupt,      // malformed, truncated or trailing garbage
    kTooLarge,     // output would exceed the cap, or input/frame needs more than the limits allow
    kUnsupported,  // a codec id outside 0..4
    kInternal,     // the library failed for a reason unrelated to the input (allocation)
};

std::string_view to_string(CompressionError error);

enum class SnappyFraming : uint8_t {
    kXerial,  // snappy-java's SnappyOutputStream format, what the Java client writes
    kRaw,     // a single raw snappy block, what librdkafka writes
};

struct CompressOptions {
    // The codec level; empty means Kafka's default (gzip 6, lz4 fast, zstd 3). Snappy has none.
    std::optional<int> level;
    SnappyFraming snappy_framing = SnappyFraming::kXerial;
};

// Appends the compressed form of input to out. kNone copies.
[[nodiscard]] CompressionError compress(CompressionType type,
                                        std::span<const uint8_t> input,
                                        std::vector<uint8_t>& out,
                                        const CompressOptions& options = {});

// Appends at most max_output decompressed bytes to out; more is kTooLarge. kNone copies (the cap
// still applies). On error, out is restored to its size on entry.
[[nodiscard]] CompressionError decompress(CompressionType type,
                                          std::span<const uint8_t> input,
                                          std::vector<uint8_t>& out,
                                          size_t max_output);

}  // namespace gregor::protocol
