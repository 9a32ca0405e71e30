#pragma once

// Metadata records for tests of the image and its writer.

#include "gregor/metadata/record_serde.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gregor::metadata::testing {

inline protocol::Uuid uuid(uint8_t n) {
    protocol::Uuid u;
    u.bytes[15] = n;
    return u;
}

inline ApiMessageAndVersion topic_record(const std::string& name, uint8_t id) {
    protocol::TopicRecord t;
    t.name = name;
    t.topic_id = uuid(id);
    return make_record(std::move(t));
}

// A partition led by its first replica, every replica in the ISR, each in `directory`.
inline ApiMessageAndVersion partition_record(uint8_t topic,
                                             int32_t index,
                                             std::vector<int32_t> replicas,
                                             protocol::Uuid directory = {}) {
    protocol::PartitionRecord r;
    r.topic_id = uuid(topic);
    r.partition_id = index;
    r.replicas = replicas;
    r.isr = replicas;
    r.leader = replicas.front();
    r.leader_epoch = 0;
    r.partition_epoch = 0;
    r.directories.assign(replicas.size(), directory);
    return make_record(std::move(r), 1);
}

}  // namespace gregor::metadata::testing
