#pragma once

// The immutable metadata image every node builds by replaying the metadata log (Kafka's
// MetadataImage), and the delta that replays records on top of an image into the next one
// (MetadataDelta). Images are shared as shared_ptr<const MetadataImage> and never change; a
// topic unchanged by a delta is shared between the old image and the new one.

#include "gregor/metadata/record_serde.h"
#include "gregor/protocol/wire.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gregor::metadata {

struct UuidLess {
    bool operator()(const protocol::Uuid& a, const protocol::Uuid& b) const {
        return a.bytes < b.bytes;
    }
};

// Kafka's ConfigResource.Type ids as stored in ConfigRecord.resource_type.
inline constexpr int8_t kConfigResourceTopic = 2;
inline constexpr int8_t kConfigResourceBroker = 4;

// Kafka's LeaderConstants.NO_LEADER.
inline constexpr int32_t kNoLeader = -1;

struct PartitionImage {
    std::vector<int32_t> replicas;
    std::vector<int32_t> isr;
    std::vector<int32_t> removing_replicas;
    std::vector<int32_t> adding_replicas;
    int32_t leader = kNoLeader;
    int8_t leader_recovery_state = 0;
    int32_t leader_epoch = 0;
    int32_t partition_epoch = 0;
    std::vector<protocol::Uuid> directories;
    std::vector<int32_t> elr;
    std::vector<int32_t> last_known_elr;
    bool operator==(const PartitionImage&) const = default;
};

struct TopicImage {
    std::string name;
    protocol::Uuid id;
    std::map<int32_t, PartitionImage> partitions;
};

struct BrokerEndpoint {
    std::string listener;
    std::string host;
    uint16_t port = 0;
    int16_t security_protocol = 0;
    bool operator==(const BrokerEndpoint&) const = default;
};

// A feature's supported version range as a broker registered it.
struct SupportedFeature {
    int16_t min_version = 0;
    int16_t max_version = 0;
    bool operator==(const SupportedFeature&) const = default;
};

struct BrokerRegistration {
    int32_t id = -1;
    int64_t epoch = -1;
    protocol::Uuid incarnation_id;
    std::vector<BrokerEndpoint> endpoints;
    std::optional<std::string> rack;
    bool fenced = true;
    bool in_controlled_shutdown = false;
    std::vector<protocol::Uuid> log_dirs;
    std::map<std::string, SupportedFeature> supported_features;
};

using ConfigMap = std::map<std::string, std::string>;
using TopicsByName = std::map<std::string, std::shared_ptr<const TopicImage>>;
using TopicsById = std::map<protocol::Uuid, std::shared_ptr<const TopicImage>, UuidLess>;

class MetadataImage {
public:
    static std::shared_ptr<const MetadataImage> empty();

    // The offset of the last record replayed into this image (-1: none).
    int64_t offset() const { return offset_; }
    const std::map<std::string, int16_t>& features() const { return features_; }
    int16_t metadata_version() const;
    const std::map<int32_t, BrokerRegistration>& brokers() const { return brokers_; }
    const TopicsByName& topics_by_name() const { return topics_by_name_; }
    const TopicsById& topics_by_id() const { return topics_by_id_; }
    // Resource type (kConfigResourceTopic, ...) → resource name → key → value.
    const std::map<int8_t, std::map<std::string, ConfigMap>>& configs() const { return configs_; }
    // The next producer id the controller hands out (ProducerIdsRecord.next_producer_id).
    int64_t next_producer_id() const { return next_producer_id_; }

    const TopicImage* topic(std::string_view name) const;
    const TopicImage* topic(const protocol::Uuid& id) const;
    const BrokerRegistration* broker(int32_t id) const;
    // The explicitly set configs of a topic (empty when none).
    const ConfigMap& topic_configs(std::string_view topic) const;
    // Brokers registered and not fenced.
    int32_t live_broker_count() const;

private:
    friend class MetadataDelta;

    int64_t offset_ = -1;
    std::map<std::string, int16_t> features_;
    std::map<int32_t, BrokerRegistration> brokers_;
    TopicsByName topics_by_name_;
    TopicsById topics_by_id_;
    std::map<int8_t, std::map<std::string, ConfigMap>> configs_;
    int64_t next_producer_id_ = 0;
};

// Replays records on top of a base image. Not thread-safe; one delta per replay batch.
class MetadataDelta {
public:
    explicit MetadataDelta(std::shared_ptr<const MetadataImage> base);

    // Applies one record at `offset`. A record that does not fit the image (a partition of an
    // unknown topic, a change to an unknown partition) is an error: the log is inconsistent.
    // Record types without state in the image (NoOpRecord, unknown types) are skipped.
    bool replay(int64_t offset, const ApiMessageAndVersion& record, std::string* error = nullptr);

    // The new image; the delta must not be used afterwards.
    std::shared_ptr<const MetadataImage> apply();

    // Topic ids created and removed in this delta, in order.
    const std::vector<protocol::Uuid>& created_topics() const { return created_; }
    const std::vector<std::pair<std::string, protocol::Uuid>>& removed_topics() const {
        return removed_;
    }

private:
    TopicImage& mutable_topic(const protocol::Uuid& id);

    std::shared_ptr<const MetadataImage> base_;
    std::unique_ptr<MetadataImage> next_;
    std::map<protocol::Uuid, std::shared_ptr<TopicImage>, UuidLess> changed_topics_;
    std::vector<protocol::Uuid> created_;
    std::vector<std::pair<std::string, protocol::Uuid>> removed_;
};

// The current image, read without locks from any thread; published by the controller.
class ImageHolder {
public:
    ImageHolder() : image_(MetadataImage::empty()) {}
    std::shared_ptr<const MetadataImage> current() const {
        return image_.load(std::memory_order_acquire);
    }
    void publish(std::shared_ptr<const MetadataImage> image) {
        image_.store(std::move(image), std::memory_order_release);
    }

private:
    std::atomic<std::shared_ptr<const MetadataImage>> image_;
};

}  // namespace gregor::metadata
