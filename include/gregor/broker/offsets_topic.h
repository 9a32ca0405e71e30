#pragma once

// __consumer_offsets: where the group coordinator's offsets and group metadata live. Created
// through the controller on the first FindCoordinator for a group, appended to by the
// coordinator (through OffsetsTopicStore) and replayed at startup.

#include "gregor/broker/request_context.h"
#include "gregor/coordinator/group_coordinator.h"

#include <string>

namespace gregor::broker {

inline constexpr const char* kOffsetsTopic = "__consumer_offsets";

// Appends the coordinator's records to the group's partition, which this node must lead.
class OffsetsTopicStore final : public coordinator::GroupStore {
public:
    explicit OffsetsTopicStore(const BrokerState& broker) : broker_(broker) {}
    int16_t append(const std::string& group_id, const std::vector<Record>& records) override;

private:
    const BrokerState& broker_;
};

// Replays every __consumer_offsets log this node hosts into the coordinator; the number of
// records replayed.
size_t load_offsets_topic(storage::LogManager& logs, coordinator::GroupCoordinator& groups);

// FindCoordinator's check for a group key: 0 when this node leads the group's partition of
// __consumer_offsets; COORDINATOR_NOT_AVAILABLE otherwise, after asking the controller to create
// the topic when it does not exist yet (the client retries, as with Kafka).
int16_t ensure_offsets_partition(const RequestContext& ctx, const std::string& group_id);

}  // namespace gregor::broker
