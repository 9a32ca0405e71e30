#pragma once

// The KRaft metadata records and their framing in the metadata log (Kafka's
// ApiMessageAndVersion and MetadataRecordSerde): a record value is an unsigned-varint frame
// version (1), the record's api key and version (unsigned varints), then the message itself.

#include "gregor/protocol/messages/metadata_records.h"

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace gregor::metadata {

// A record type this version of Gregor carries but does not model: kept as bytes so a replay can
// skip it explicitly and a re-encode preserves it.
struct UnknownRecord {
    int16_t api_key = -1;
    std::vector<uint8_t> data;
    bool operator==(const UnknownRecord&) const = default;
};

using MetadataRecord = std::variant<protocol::RegisterBrokerRecord,
                                    protocol::UnregisterBrokerRecord,
                                    protocol::TopicRecord,
                                    protocol::PartitionRecord,
                                    protocol::ConfigRecord,
                                    protocol::PartitionChangeRecord,
                                    protocol::FenceBrokerRecord,
                                    protocol::UnfenceBrokerRecord,
                                    protocol::RemoveTopicRecord,
                                    protocol::FeatureLevelRecord,
                                    protocol::ProducerIdsRecord,
                                    protocol::BrokerRegistrationChangeRecord,
                                    protocol::NoOpRecord,
                                    UnknownRecord>;

struct ApiMessageAndVersion {
    MetadataRecord message;
    int16_t version = 0;
    bool operator==(const ApiMessageAndVersion&) const = default;
};

// The frame version Kafka writes (AbstractApiMessageSerde.DEFAULT_FRAME_VERSION).
inline constexpr uint32_t kFrameVersion = 1;

int16_t api_key_of(const MetadataRecord& record);

// Record helper: wraps a message with the given version.
template <typename M>
ApiMessageAndVersion make_record(M message, int16_t version = 0) {
    return ApiMessageAndVersion{MetadataRecord{std::move(message)}, version};
}

std::vector<uint8_t> serialize(const ApiMessageAndVersion& record);
void serialize_to(const ApiMessageAndVersion& record, std::vector<uint8_t>& out);

// The error says what was wrong: an unknown frame version, a version outside the record's
// range, truncated or malformed bytes, or bytes left over.
struct DeserializeResult {
    bool ok = false;
    ApiMessageAndVersion record;
    std::string error;
};
DeserializeResult deserialize(std::span<const uint8_t> bytes);

}  // namespace gregor::metadata
