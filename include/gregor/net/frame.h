#pragma once

// Kafka request framing, as pure functions (no I/O, no Asio): the int32 big-endian size prefix,
// its checks, the peek at the request header, and the growth policy of a frame's buffer.
// A frame is `int32 size` then `size` bytes: int16 api_key, int16 api_version, int32
// correlation_id, then the rest of the header and the body.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace gregor::net {

inline constexpr size_t kSizePrefixBytes = 4;
// api_key + api_version + correlation_id: what every request header starts with.
inline constexpr int32_t kMinRequestFrameBytes = 8;
// A frame's buffer starts at this size (or the frame's size if smaller) and doubles as bytes
// arrive, so a peer that declares a large frame and sends little costs about what it sent.
inline constexpr size_t kInitialFrameBufferBytes = 64 * 1024;

int16_t read_be16(const uint8_t* p);
int32_t read_be32(const uint8_t* p);
void write_be32(uint8_t* p, int32_t value);

enum class FrameCheck { ok, too_small, too_large };

// Checks a size prefix against the minimum and `cap_bytes`; never allocates.
FrameCheck check_frame_size(int32_t size, int32_t cap_bytes);
std::string_view describe(FrameCheck check);

// The frame cap in force: the pre-authentication cap on a SASL listener that has not
// authenticated yet, socket.request.max.bytes otherwise.
int32_t frame_cap_bytes(int32_t request_max_bytes,
                        int32_t preauth_max_bytes,
                        bool sasl_listener,
                        bool authenticated);

// A hint for the log when a size prefix looks like another protocol's first bytes: a TLS record
// header ("TLS handshake sent to a plaintext listener?", KAFKA-4090), or an HTTP method. Empty
// otherwise.
std::string_view foreign_protocol_hint(int32_t size_prefix);

struct RequestHeaderPeek {
    int16_t api_key = 0;
    int16_t api_version = 0;
    int32_t correlation_id = 0;
};

// Reads the first 8 bytes of a request frame. Precondition (asserted): frame.size() >= 8, which
// check_frame_size() guarantees for every frame that reaches a dispatcher.
RequestHeaderPeek peek_request_header(std::span<const uint8_t> frame);

// Next size of a frame's buffer when `filled` bytes of a `frame_bytes` frame have arrived and the
// buffer is full: min(frame_bytes, max(kInitialFrameBufferBytes, 2 * filled)).
size_t next_frame_buffer_size(size_t filled, size_t frame_bytes);

}  // namespace gregor::net
