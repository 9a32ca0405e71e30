// libFuzzer target: a request frame as the broker receives it (after the size prefix). Decodes the
// request header and the body of whatever API and version the frame names, for every API in the
// schema; the low bit of the first byte's complement picks the response decoder instead, so
// client-side decoding (used by tools and replication) is covered too. Must never crash, hang or
// allocate without bound.

#include "gregor/protocol/api_registry.h"
#include "gregor/protocol/messages/connection.h"

#include <cstddef>
#include <cstdint>

using namespace gregor::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 9) {
        return 0;
    }
    const bool response = (data[0] & 0x80) != 0;
    const uint8_t* frame = data + 1;
    const size_t frame_size = size - 1;
    const auto key = static_cast<int16_t>((frame[0] << 8) | frame[1]);
    const auto version = static_cast<int16_t>((frame[2] << 8) | frame[3]);
    const ApiInfo* api = find_api(static_cast<int16_t>(key & 0x7fff));
    if (api == nullptr || version < 0 || version > api->max_version) {
        return 0;
    }
    Reader r(frame, frame_size, Reader::default_budget(frame_size));
    if (response) {
        r.skip(4);  // key and version select the decoder; the rest is header + body
        ResponseHeader h;
        h.read(r, response_header_version(*api, version));
        api->decode_response(r, version);
    } else {
        RequestHeader h;
        h.read(r, request_header_version(*api, version));
        api->decode_request(r, version);
    }
    return 0;
}
