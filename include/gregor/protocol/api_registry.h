#pragma once

// The table of every Kafka API the schema describes: key, name, the version range of the spec,
// which versions are flexible, and on which listeners a 4.x node serves it. Generated from the
// schema (api_registry.cc); what the broker *advertises* is decided by the broker, which only
// lists APIs it has handlers for.

#include "gregor/protocol/wire.h"

#include <cstdint>
#include <span>

namespace gregor::protocol {

inline constexpr uint8_t kListenerBroker = 1;
inline constexpr uint8_t kListenerController = 2;

struct ApiInfo {
    int16_t key;
    const char* name;
    int16_t min_version;
    int16_t max_version;
    int16_t request_flexible_min;   // -1 when no version is flexible
    int16_t response_flexible_min;  // -1 when no version is flexible
    bool latest_unstable;           // the highest version is not advertised by default
    uint8_t listeners;              // kListenerBroker | kListenerController
    // Decode a body of this API into a throw-away value; false on malformed input. For fuzzing.
    bool (*decode_request)(Reader&, int16_t version);
    bool (*decode_response)(Reader&, int16_t version);

    bool request_flexible(int16_t v) const {
        return request_flexible_min >= 0 && v >= request_flexible_min;
    }
    bool response_flexible(int16_t v) const {
        return response_flexible_min >= 0 && v >= response_flexible_min;
    }
};

std::span<const ApiInfo> all_apis();

inline const ApiInfo* find_api(int16_t key) {
    for (const auto& a : all_apis()) {
        if (a.key == key) {
            return &a;
        }
    }
    return nullptr;
}

// Request header v2 (with tagged fields) goes with flexible bodies, v1 otherwise (v0 is gone).
inline int16_t request_header_version(const ApiInfo& api, int16_t v) {
    return api.request_flexible(v) ? 2 : 1;
}

// ApiVersions answers with header v0 whatever the version, so that a client that sent a version
// the broker does not know can still read the answer (KIP-511).
inline int16_t response_header_version(const ApiInfo& api, int16_t v) {
    if (api.key == 18) {
        return 0;
    }
    return api.response_flexible(v) ? 1 : 0;
}

}  // namespace gregor::protocol
