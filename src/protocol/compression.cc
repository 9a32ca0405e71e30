#include "gregor/protocol/compression.h"

#define ZLIB_CONST
#include "gregor/common/assert.h"
#include "gregor/protocol/varint.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <limits>
#include <memory>

namespace gregor::protocol {
namespace {

// A batch's Length is an int32, so nothing larger can need (de)compressing; refusing it up front
// keeps every size below in the range of the codecs' int and uInt parameters.
constexpr size_t kMaxInputSize = std::numeric_limits<int32_t>::max();

// Buffer sizing: start near the expected size, then double, but never past the cap.
constexpr size_t kMinInitialOutput = 4 * 1024;
constexpr size_t kMaxInitialOutput = 1024 * 1024;

// Grows `out` while a decoder writes into it, never past max_output + 1 bytes beyond where it
// started. The extra byte separates "exactly at the cap" from "past it" without asking each
// codec whether it had more to say. Restores `out` on destruction unless finish() succeeded.
class CappedOutput {
public:
    CappedOutput(std::vector<uint8_t>& out, size_t max_output, size_t size_hint)
        : out_(out),
          base_(out.size()),
          max_output_(std::min(max_output, out.max_size() - base_ - 1)),
          hint_(std::clamp(size_hint, kMinInitialOutput, kMaxInitialOutput)) {}

    CappedOutput(const CappedOutput&) = delete;
    CappedOutput& operator=(const CappedOutput&) = delete;

    ~CappedOutput() {
        if (!finished_) {
            out_.resize(base_);
        }
    }

    // Free space after the bytes written so far; empty once the limit is reached.
    std::span<uint8_t> space() {
        if (written_ == allocated_) {
            ensure(written_ + 1);
        }
        return {out_.data() + base_ + written_, allocated_ - written_};
    }

    void commit(size_t n) {
        GREGOR_ASSERT(n <= allocated_ - written_, "decoder wrote past the space it was given");
        written_ += n;
    }

    size_t remaining_cap() const { return written_ >= max_output_ ? 0 : max_output_ - written_; }

    // For codecs that know the exact size before writing (snappy).
    std::span<uint8_t> take(size_t n) {
        GREGOR_ASSERT(n <= remaining_cap(), "take() past the cap");
        ensure(written_ + n);
        auto s = std::span<uint8_t>(out_.data() + base_ + written_, n);
        written_ += n;
        return s;
    }

    CompressionError finish() {
        if (written_ > max_output_) {
            return CompressionError::kTooLarge;
        }
        out_.resize(base_ + written_);
        finished_ = true;
        return CompressionError::kOk;
    }

private:
    // Makes at least `needed` bytes (clamped to the limit) available, growing geometrically.
    void ensure(size_t needed) {
        const size_t limit = max_output_ + 1;
        if (needed <= allocated_ || allocated_ == limit) {
            return;
        }
        const size_t step = allocated_ == 0 ? hint_ : allocated_ * 2;
        const size_t target = std::min(limit, std::max(needed, step));
        // reserve() first so the vector allocates exactly this much, not its usual doubling.
        out_.reserve(base_ + target);
        out_.resize(base_ + target);
        allocated_ = target;
    }

    std::vector<uint8_t>& out_;
    const size_t base_;
    const size_t max_output_;
    const size_t hint_;
    size_t allocated_ = 0;
    size_t written_ = 0;
    bool finished_ = false;
};

// A first guess at the output size; CappedOutput clamps it. Inputs are below 2^31, so no overflow.
size_t hint_for(std::span<const uint8_t> input) {
    return input.size() * 4;
}

// ---- none ----

CompressionError copy_capped(std::span<const uint8_t> input,
                             std::vector<uint8_t>& out,
                             size_t max_output) {
    if (input.size() > max_output) {
        return CompressionError::kTooLarge;
    }
    out.insert(out.end(), input.begin(), input.end());
    return CompressionError::kOk;
}

// ---- gzip ----

constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper (not zlib, not raw)

struct InflateStream {
    z_stream zs{};
    bool initialized = false;
    ~InflateStream() {
        if (initialized) {
            inflateEnd(&zs);
        }
    }
};

bool starts_with_gzip_magic(const uint8_t* p, size_t n) {
    return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

CompressionError gzip_compress(std::span<const uint8_t> input,
                               std::vector<uint8_t>& out,
                               std::optional<int> level) {
    const int lvl = level.value_or(Z_DEFAULT_COMPRESSION);  // zlib's default is level 6, as Java's
    if (lvl < Z_DEFAULT_COMPRESSION || lvl > Z_BEST_COMPRESSION) {
        return CompressionError::kUnsupported;
    }
    z_stream zs{};
    if (deflateInit2(&zs, lvl, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return CompressionError::kInternal;
    }
    const size_t base = out.size();
    const uLong bound = deflateBound(&zs, static_cast<uLong>(input.size()));
    out.resize(base + bound);
    zs.next_in = input.data();
    zs.avail_in = static_cast<uInt>(input.size());
    zs.next_out = out.data() + base;
    zs.avail_out = static_cast<uInt>(bound);
    const int rc = deflate(&zs, Z_FINISH);
    const size_t produced = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        out.resize(base);
        return CompressionError::kInternal;
    }
    out.resize(base + produced);
    return CompressionError::kOk;
}

CompressionError gzip_decompress(std::span<const uint8_t> input,
                                 std::vector<uint8_t>& out,
                                 size_t max_output) {
    InflateStream s;
    if (inflateInit2(&s.zs, kGzipWindowBits) != Z_OK) {
        return CompressionError::kInternal;
    }
    s.initialized = true;
    s.zs.next_in = input.data();
    s.zs.avail_in = static_cast<uInt>(input.size());
    CappedOutput sink(out, max_output, hint_for(input));
    for (;;) {
        auto space = sink.space();
        if (space.empty()) {
            return CompressionError::kTooLarge;
        }
        const auto avail = static_cast<uInt>(std::min<size_t>(space.size(), UINT_MAX));
        s.zs.next_out = space.data();
        s.zs.avail_out = avail;
        const int rc = inflate(&s.zs, Z_NO_FLUSH);
        sink.commit(avail - s.zs.avail_out);
        if (rc == Z_STREAM_END) {
            if (s.zs.avail_in == 0) {
                break;
            }
            // Another member may follow (GZIPInputStream reads concatenated members). Anything
            // else after a member is garbage; Java ignores it, we refuse it.
            if (!starts_with_gzip_magic(s.zs.next_in, s.zs.avail_in)) {
                return CompressionError::kCorrupt;
            }
            if (inflateReset(&s.zs) != Z_OK) {
                return CompressionError::kInternal;
            }
        } else if (rc == Z_BUF_ERROR) {
            if (s.zs.avail_out != 0) {
                return CompressionError::kCorrupt;  // room to write, nothing to read: truncated
            }
        } else if (rc == Z_MEM_ERROR) {
            return CompressionError::kInternal;
        } else if (rc != Z_OK) {
            return CompressionError::kCorrupt;
        }
    }
    return sink.finish();
}

// ---- snappy ----

// snappy-java's SnappyOutputStream: 8 magic bytes, int32 BE version, int32 BE compatible version,
// then chunks of [int32 BE compressed length][raw snappy block]. The first magic byte is negative
// as an int32, so a chunk length can never be mistaken for the start of a concatenated stream.
constexpr uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderSize = 16;
constexpr int32_t kXerialVersion = 1;           // DEFAULT_VERSION and MINIMUM_COMPATIBLE_VERSION
constexpr size_t kXerialBlockSize = 32 * 1024;  // SnappyOutputStream's default block size

bool has_xerial_magic(const uint8_t* p, size_t n) {
    return n >= sizeof(kXerialMagic) && std::memcmp(p, kXerialMagic, sizeof(kXerialMagic)) == 0;
}

void append_raw_snappy(const uint8_t* data, size_t n, std::vector<uint8_t>& out) {
    const size_t base = out.size();
    out.resize(base + snappy::MaxCompressedLength(n));
    size_t produced = 0;
    snappy::RawCompress(reinterpret_cast<const char*>(data), n,
                        reinterpret_cast<char*>(out.data() + base), &produced);
    out.resize(base + produced);
}

CompressionError snappy_compress(std::span<const uint8_t> input,
                                 std::vector<uint8_t>& out,
                                 SnappyFraming framing) {
    if (framing == SnappyFraming::kRaw) {
        append_raw_snappy(input.data(), input.size(), out);
        return CompressionError::kOk;
    }
    uint8_t header[kXerialHeaderSize];
    std::memcpy(header, kXerialMagic, sizeof(kXerialMagic));
    store_be32(header + 8, kXerialVersion);
    store_be32(header + 12, kXerialVersion);
    out.insert(out.end(), header, header + sizeof(header));
    for (size_t pos = 0; pos < input.size(); pos += kXerialBlockSize) {
        const size_t n = std::min(kXerialBlockSize, input.size() - pos);
        const size_t length_at = out.size();
        out.resize(length_at + 4);
        append_raw_snappy(input.data() + pos, n, out);
        store_be32(out.data() + length_at, static_cast<uint32_t>(out.size() - length_at - 4));
    }
    return CompressionError::kOk;
}

// One raw block. The length snappy claims is checked against the cap before anything is
// allocated, and the block is validated before the claimed space is taken.
CompressionError snappy_block(const uint8_t* data, size_t n, CappedOutput& sink) {
    const char* src = reinterpret_cast<const char*>(data);
    size_t length = 0;
    if (!snappy::GetUncompressedLength(src, n, &length)) {
        return CompressionError::kCorrupt;
    }
    if (length > sink.remaining_cap()) {
        return CompressionError::kTooLarge;
    }
    if (!snappy::IsValidCompressedBuffer(src, n)) {
        return CompressionError::kCorrupt;
    }
    auto dst = sink.take(length);
    if (!snappy::RawUncompress(src, n, reinterpret_cast<char*>(dst.data()))) {
        return CompressionError::kCorrupt;
    }
    return CompressionError::kOk;
}

CompressionError xerial_chunks(std::span<const uint8_t> input, CappedOutput& sink) {
    size_t pos = kXerialHeaderSize;
    while (pos < input.size()) {
        const size_t left = input.size() - pos;
        if (has_xerial_magic(input.data() + pos, left)) {
            // A concatenated stream: newer snappy-java skips the repeated header.
            if (left < kXerialHeaderSize) {
                return CompressionError::kCorrupt;
            }
            pos += kXerialHeaderSize;
            continue;
        }
        if (left < 4) {
            return CompressionError::kCorrupt;
        }
        const auto chunk = static_cast<int32_t>(load_be32(input.data() + pos));
        pos += 4;
        if (chunk <= 0 || static_cast<size_t>(chunk) > input.size() - pos) {
            return CompressionError::kCorrupt;
        }
        if (auto e = snappy_block(input.data() + pos, static_cast<size_t>(chunk), sink);
            e != CompressionError::kOk) {
            return e;
        }
        pos += static_cast<size_t>(chunk);
    }
    return CompressionError::kOk;
}

CompressionError snappy_decompress(std::span<const uint8_t> input,
                                   std::vector<uint8_t>& out,
                                   size_t max_output) {
    CappedOutput sink(out, max_output, 0);
    // Like SnappyInputStream: without the full 16-byte header, the input is one raw block.
    const bool xerial =
        input.size() >= kXerialHeaderSize && has_xerial_magic(input.data(), input.size());
    if (xerial && static_cast<int32_t>(load_be32(input.data() + 8)) < kXerialVersion) {
        return CompressionError::kCorrupt;  // snappy-java refuses versions below 1 too
    }
    const CompressionError e =
        xerial ? xerial_chunks(input, sink) : snappy_block(input.data(), input.size(), sink);
    if (e != CompressionError::kOk) {
        return e;
    }
    return sink.finish();
}

// ---- lz4 ----
//
// Kafka's Lz4BlockOutputStream writes a standard LZ4 frame: FLG version 01 with independent blocks
// and no checksums or content size, BD 64 KiB, then blocks and a zero end mark. Its reader refuses
// dependent blocks, so we never write them. The historical quirk (KAFKA-3160): for magic v0
// messages Kafka computed the frame descriptor checksum (HC) over the magic number too, i.e.
// xxh32(bytes 0..5) instead of xxh32(FLG, BD[, content size]); magic v1 and later, and so every
// RecordBatch v2, use the correct HC, and Kafka's reader verifies it for them. librdkafka also
// writes correct HCs for v1+ (it only patches them for v0). So the decoder below is the stock
// lz4frame one, which verifies the HC; we never see v0 messages.

constexpr int kKafkaLz4DefaultLevel = 9;  // Kafka's default, which it maps to lz4's fast mode

struct Lz4DctxDeleter {
    void operator()(LZ4F_dctx* d) const { LZ4F_freeDecompressionContext(d); }
};

CompressionError lz4_compress(std::span<const uint8_t> input,
                              std::vector<uint8_t>& out,
                              std::optional<int> level) {
    const int lvl = level.value_or(kKafkaLz4DefaultLevel);
    if (lvl < 1 || lvl > 17) {  // Kafka's compression.lz4.level range
        return CompressionError::kUnsupported;
    }
    LZ4F_preferences_t prefs;
    std::memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
    prefs.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
    // Kafka uses the fast compressor at its default level and lz4-HC otherwise; lz4frame's level
    // 0 is the fast compressor and levels >= 3 are HC.
    prefs.compressionLevel = lvl == kKafkaLz4DefaultLevel ? 0 : lvl;
    const size_t base = out.size();
    const size_t bound = LZ4F_compressFrameBound(input.size(), &prefs);
    out.resize(base + bound);
    const size_t n =
        LZ4F_compressFrame(out.data() + base, bound, input.data(), input.size(), &prefs);
    if (LZ4F_isError(n)) {
        out.resize(base);
        return CompressionError::kInternal;
    }
    out.resize(base + n);
    return CompressionError::kOk;
}

CompressionError lz4_decompress(std::span<const uint8_t> input,
                                std::vector<uint8_t>& out,
                                size_t max_output) {
    LZ4F_dctx* raw = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) {
        return CompressionError::kInternal;
    }
    std::unique_ptr<LZ4F_dctx, Lz4DctxDeleter> ctx(raw);
    CappedOutput sink(out, max_output, hint_for(input));
    size_t pos = 0;
    for (;;) {
        auto space = sink.space();
        if (space.empty()) {
            return CompressionError::kTooLarge;
        }
        size_t produced = space.size();
        size_t consumed = input.size() - pos;
        const size_t rc = LZ4F_decompress(ctx.get(), space.data(), &produced, input.data() + pos,
                                          &consumed, nullptr);
        if (LZ4F_isError(rc)) {
            return CompressionError::kCorrupt;
        }
        pos += consumed;
        sink.commit(produced);
        if (rc == 0 && pos == input.size()) {
            break;  // frame complete, input used up; with input left, another frame follows
        }
        if (rc != 0 && pos == input.size() && produced == 0) {
            return CompressionError::kCorrupt;  // the frame needs bytes we do not have
        }
    }
    return sink.finish();
}

// ---- zstd ----

// The decoder refuses frames whose window exceeds 2^27 bytes (zstd's own default limit, which
// zstd-jni and so Kafka also use). Producers at high levels with unknown size legitimately declare
// big windows, so the cap cannot be lower without refusing real batches; the window buffer is
// allocated but only the pages that decoded output reaches are touched, and that is capped.
constexpr int kZstdWindowLogMax = 27;

struct ZstdDctxDeleter {
    void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

CompressionError zstd_error(size_t rc) {
    switch (ZSTD_getErrorCode(rc)) {
        case ZSTD_error_memory_allocation:
            return CompressionError::kInternal;
        case ZSTD_error_frameParameter_windowTooLarge:
            return CompressionError::kTooLarge;
        default:
            return CompressionError::kCorrupt;
    }
}

CompressionError zstd_compress(std::span<const uint8_t> input,
                               std::vector<uint8_t>& out,
                               std::optional<int> level) {
    const int lvl = level.value_or(ZSTD_CLEVEL_DEFAULT);  // 3, Kafka's default too
    if (lvl < ZSTD_minCLevel() || lvl > ZSTD_maxCLevel()) {
        return CompressionError::kUnsupported;
    }
    const size_t base = out.size();
    const size_t bound = ZSTD_compressBound(input.size());
    out.resize(base + bound);
    // One-shot compression records the content size and sizes the window to the input, so
    // readers need no more memory than the batch itself.
    const size_t n = ZSTD_compress(out.data() + base, bound, input.data(), input.size(), lvl);
    if (ZSTD_isError(n)) {
        out.resize(base);
        return CompressionError::kInternal;
    }
    out.resize(base + n);
    return CompressionError::kOk;
}

CompressionError zstd_decompress(std::span<const uint8_t> input,
                                 std::vector<uint8_t>& out,
                                 size_t max_output) {
    // Streaming, so the frame's declared content size is never used to size anything.
    std::unique_ptr<ZSTD_DCtx, ZstdDctxDeleter> ctx(ZSTD_createDCtx());
    if (!ctx) {
        return CompressionError::kInternal;
    }
    if (ZSTD_isError(ZSTD_DCtx_setParameter(ctx.get(), ZSTD_d_windowLogMax, kZstdWindowLogMax))) {
        return CompressionError::kInternal;
    }
    CappedOutput sink(out, max_output, hint_for(input));
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    for (;;) {
        auto space = sink.space();
        if (space.empty()) {
            return CompressionError::kTooLarge;
        }
        ZSTD_outBuffer o{space.data(), space.size(), 0};
        const size_t rc = ZSTD_decompressStream(ctx.get(), &o, &in);
        if (ZSTD_isError(rc)) {
            return zstd_error(rc);
        }
        sink.commit(o.pos);
        if (rc == 0 && in.pos == in.size) {
            break;  // frame complete, input used up; with input left, another frame follows
        }
        if (rc != 0 && in.pos == in.size && o.pos < o.size) {
            return CompressionError::kCorrupt;  // flushed all it could and wants more input
        }
    }
    return sink.finish();
}

}  // namespace

std::optional<CompressionType> compression_type_from_id(int id) {
    if (id < 0 || id > static_cast<int>(CompressionType::kZstd)) {
        return std::nullopt;
    }
    return static_cast<CompressionType>(id);
}

std::string_view to_string(CompressionType type) {
    switch (type) {
        case CompressionType::kNone:
            return "none";
        case CompressionType::kGzip:
            return "gzip";
        case CompressionType::kSnappy:
            return "snappy";
        case CompressionType::kLz4:
            return "lz4";
        case CompressionType::kZstd:
            return "zstd";
    }
    return "unknown";
}

std::string_view to_string(CompressionError error) {
    switch (error) {
        case CompressionError::kOk:
            return "ok";
        case CompressionError::kCorrupt:
            return "corrupt compressed data";
        case CompressionError::kTooLarge:
            return "decompressed data exceeds the limit";
        case CompressionError::kUnsupported:
            return "unsupported codec or level";
        case CompressionError::kInternal:
            return "compression library failure";
    }
    return "unknown";
}

CompressionError compress(CompressionType type,
                          std::span<const uint8_t> input,
                          std::vector<uint8_t>& out,
                          const CompressOptions& options) {
    if (input.size() > kMaxInputSize) {
        return CompressionError::kTooLarge;
    }
    switch (type) {
        case CompressionType::kNone:
            out.insert(out.end(), input.begin(), input.end());
            return CompressionError::kOk;
        case CompressionType::kGzip:
            return gzip_compress(input, out, options.level);
        case CompressionType::kSnappy:
            return snappy_compress(input, out, options.snappy_framing);
        case CompressionType::kLz4:
            return lz4_compress(input, out, options.level);
        case CompressionType::kZstd:
            return zstd_compress(input, out, options.level);
    }
    return CompressionError::kUnsupported;
}

CompressionError decompress(CompressionType type,
                            std::span<const uint8_t> input,
                            std::vector<uint8_t>& out,
                            size_t max_output) {
    if (input.size() > kMaxInputSize) {
        return CompressionError::kTooLarge;
    }
    switch (type) {
        case CompressionType::kNone:
            return copy_capped(input, out, max_output);
        case CompressionType::kGzip:
            return gzip_decompress(input, out, max_output);
        case CompressionType::kSnappy:
            return snappy_decompress(input, out, max_output);
        case CompressionType::kLz4:
            return lz4_decompress(input, out, max_output);
        case CompressionType::kZstd:
            return zstd_decompress(input, out, max_output);
    }
    return CompressionError::kUnsupported;
}

}  // namespace gregor::protocol
