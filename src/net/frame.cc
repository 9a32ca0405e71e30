#include "gregor/net/frame.h"

#include "gregor/common/assert.h"

#include <algorithm>

namespace gregor::net {

int16_t read_be16(const uint8_t* p) {
    return static_cast<int16_t>(static_cast<uint16_t>((p[0] << 8) | p[1]));
}

int32_t read_be32(const uint8_t* p) {
    const uint32_t v =
        (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
    return static_cast<int32_t>(v);
}

void write_be32(uint8_t* p, int32_t value) {
    const auto v = static_cast<uint32_t>(value);
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}

FrameCheck check_frame_size(int32_t size, int32_t cap_bytes) {
    if (size < kMinRequestFrameBytes) {
        return FrameCheck::too_small;
    }
    if (size > cap_bytes) {
        return FrameCheck::too_large;
    }
    return FrameCheck::ok;
}

std::string_view describe(FrameCheck check) {
    switch (check) {
        case FrameCheck::ok:
            return "ok";
        case FrameCheck::too_small:
            return "smaller than a request header";
        case FrameCheck::too_large:
            return "larger than the limit";
    }
    return "unknown";
}

int32_t frame_cap_bytes(int32_t request_max_bytes,
                        int32_t preauth_max_bytes,
                        bool sasl_listener,
                        bool authenticated) {
    if (sasl_listener && !authenticated) {
        return std::min(request_max_bytes, preauth_max_bytes);
    }
    return request_max_bytes;
}

std::string_view foreign_protocol_hint(int32_t size_prefix) {
    const auto v = static_cast<uint32_t>(size_prefix);
    const uint32_t content_type = v >> 24;
    const uint32_t major_version = (v >> 16) & 0xff;
    // A TLS record header: content type 0x14..0x17 (handshake is 0x16), then version 0x03 0x0N.
    if (content_type >= 0x14 && content_type <= 0x17 && major_version == 0x03) {
        return " (looks like TLS: a TLS client on a plaintext listener?)";
    }
    // "GET ", "POST", "PUT ", "HEAD": an HTTP client (Kafka logs these as ~1.1 GB receives).
    if (v == 0x47455420 || v == 0x504f5354 || v == 0x50555420 || v == 0x48454144) {
        return " (looks like HTTP)";
    }
    return "";
}

RequestHeaderPeek peek_request_header(std::span<const uint8_t> frame) {
    GREGOR_ASSERT(frame.size() >= static_cast<size_t>(kMinRequestFrameBytes),
                  "request frame shorter than its header reached the peek");
    return RequestHeaderPeek{
        .api_key = read_be16(frame.data()),
        .api_version = read_be16(frame.data() + 2),
        .correlation_id = read_be32(frame.data() + 4),
    };
}

size_t next_frame_buffer_size(size_t filled, size_t frame_bytes) {
    const size_t doubled = std::max(kInitialFrameBufferBytes, 2 * filled);
    return std::min(frame_bytes, doubled);
}

}  // namespace gregor::net
