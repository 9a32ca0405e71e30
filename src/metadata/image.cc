#include "gregor/metadata/image.h"

#include "gregor/common/assert.h"

#include <fmt/format.h>

namespace gregor::metadata {

namespace p = protocol;

std::shared_ptr<const MetadataImage> MetadataImage::empty() {
    static const auto kEmpty = std::make_shared<const MetadataImage>();
    return kEmpty;
}

int16_t MetadataImage::metadata_version() const {
    auto it = features_.find("metadata.version");
    return it == features_.end() ? 0 : it->second;
}

const TopicImage* MetadataImage::topic(std::string_view name) const {
    auto it = topics_by_name_.find(std::string(name));
    return it == topics_by_name_.end() ? nullptr : it->second.get();
}

const TopicImage* MetadataImage::topic(const protocol::Uuid& id) const {
    auto it = topics_by_id_.find(id);
    return it == topics_by_id_.end() ? nullptr : it->second.get();
}

const BrokerRegistration* MetadataImage::broker(int32_t id) const {
    auto it = brokers_.find(id);
    return it == brokers_.end() ? nullptr : &it->second;
}

const ConfigMap& MetadataImage::topic_configs(std::string_view topic) const {
    static const ConfigMap kNone;
    auto type = configs_.find(kConfigResourceTopic);
    if (type == configs_.end()) {
        return kNone;
    }
    auto it = type->second.find(std::string(topic));
    return it == type->second.end() ? kNone : it->second;
}

int32_t MetadataImage::live_broker_count() const {
    int32_t n = 0;
    for (const auto& [id, b] : brokers_) {
        if (!b.fenced) {
            ++n;
        }
    }
    return n;
}

MetadataDelta::MetadataDelta(std::shared_ptr<const MetadataImage> base)
    : base_(std::move(base)), next_(std::make_unique<MetadataImage>(*base_)) {}

TopicImage& MetadataDelta::mutable_topic(const protocol::Uuid& id) {
    auto changed = changed_topics_.find(id);
    if (changed != changed_topics_.end()) {
        return *changed->second;
    }
    auto it = next_->topics_by_id_.find(id);
    GREGOR_ASSERT(it != next_->topics_by_id_.end(), "mutable_topic of an unknown topic");
    auto copy = std::make_shared<TopicImage>(*it->second);
    it->second = copy;
    next_->topics_by_name_[copy->name] = copy;
    changed_topics_.emplace(id, copy);
    return *copy;
}

namespace {

// Kafka's PartitionChangeRecord.leader sentinel for "no change" (LeaderConstants).
constexpr int32_t kNoLeaderChange = -2;
// BrokerRegistrationFencingChange.
constexpr int8_t kFence = 1;
constexpr int8_t kUnfence = -1;

bool set_error(std::string* error, std::string message) {
    if (error != nullptr) {
        *error = std::move(message);
    }
    return false;
}

}  // namespace

bool MetadataDelta::replay(int64_t offset, const ApiMessageAndVersion& record, std::string* error) {
    GREGOR_ASSERT(next_ != nullptr, "replay after apply");
    MetadataImage& img = *next_;
    bool ok = std::visit(
        [&](const auto& m) -> bool {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, p::TopicRecord>) {
                if (img.topics_by_id_.count(m.topic_id) != 0) {
                    return set_error(error, fmt::format("topic id {} of {} already exists",
                                                        m.topic_id.to_string(), m.name));
                }
                auto t = std::make_shared<TopicImage>();
                t->name = m.name;
                t->id = m.topic_id;
                img.topics_by_id_[m.topic_id] = t;
                img.topics_by_name_[m.name] = t;
                changed_topics_[m.topic_id] = t;
                created_.push_back(m.topic_id);
                return true;
            } else if constexpr (std::is_same_v<M, p::PartitionRecord>) {
                if (img.topics_by_id_.count(m.topic_id) == 0) {
                    return set_error(error, fmt::format("partition {} of unknown topic id {}",
                                                        m.partition_id, m.topic_id.to_string()));
                }
                PartitionImage part;
                part.replicas = m.replicas;
                part.isr = m.isr;
                part.removing_replicas = m.removing_replicas;
                part.adding_replicas = m.adding_replicas;
                part.leader = m.leader;
                part.leader_recovery_state = m.leader_recovery_state;
                part.leader_epoch = m.leader_epoch;
                part.partition_epoch = m.partition_epoch;
                part.directories = m.directories;
                part.elr = m.eligible_leader_replicas.value_or(std::vector<int32_t>{});
                part.last_known_elr = m.last_known_elr.value_or(std::vector<int32_t>{});
                mutable_topic(m.topic_id).partitions[m.partition_id] = std::move(part);
                return true;
            } else if constexpr (std::is_same_v<M, p::PartitionChangeRecord>) {
                if (img.topics_by_id_.count(m.topic_id) == 0) {
                    return set_error(error, fmt::format("change to partition {} of unknown topic "
                                                        "id {}",
                                                        m.partition_id, m.topic_id.to_string()));
                }
                auto& parts = mutable_topic(m.topic_id).partitions;
                auto it = parts.find(m.partition_id);
                if (it == parts.end()) {
                    return set_error(error, fmt::format("change to unknown partition {} of {}",
                                                        m.partition_id, m.topic_id.to_string()));
                }
                // Kafka's PartitionRegistration.merge: null fields keep their value; a new
                // leader bumps the leader epoch; every change bumps the partition epoch.
                PartitionImage& part = it->second;
                if (m.isr) {
                    part.isr = *m.isr;
                }
                if (m.leader != kNoLeaderChange) {
                    part.leader = m.leader;
                    ++part.leader_epoch;
                }
                if (m.replicas) {
                    part.replicas = *m.replicas;
                }
                if (m.removing_replicas) {
                    part.removing_replicas = *m.removing_replicas;
                }
                if (m.adding_replicas) {
                    part.adding_replicas = *m.adding_replicas;
                }
                if (m.leader_recovery_state != -1) {
                    part.leader_recovery_state = m.leader_recovery_state;
                }
                if (m.directories) {
                    part.directories = *m.directories;
                }
                if (m.eligible_leader_replicas) {
                    part.elr = *m.eligible_leader_replicas;
                }
                if (m.last_known_elr) {
                    part.last_known_elr = *m.last_known_elr;
                }
                ++part.partition_epoch;
                return true;
            } else if constexpr (std::is_same_v<M, p::RemoveTopicRecord>) {
                auto it = img.topics_by_id_.find(m.topic_id);
                if (it == img.topics_by_id_.end()) {
                    return set_error(error, fmt::format("removal of unknown topic id {}",
                                                        m.topic_id.to_string()));
                }
                const std::string name = it->second->name;
                img.topics_by_id_.erase(it);
                img.topics_by_name_.erase(name);
                changed_topics_.erase(m.topic_id);
                // Kafka drops the topic's configs with it (MetadataDelta.replay).
                auto type = img.configs_.find(kConfigResourceTopic);
                if (type != img.configs_.end()) {
                    type->second.erase(name);
                }
                removed_.emplace_back(name, m.topic_id);
                return true;
            } else if constexpr (std::is_same_v<M, p::ConfigRecord>) {
                auto& resource = img.configs_[m.resource_type][m.resource_name];
                if (m.value) {
                    resource[m.name] = *m.value;
                } else {
                    resource.erase(m.name);
                    if (resource.empty()) {
                        img.configs_[m.resource_type].erase(m.resource_name);
                    }
                }
                return true;
            } else if constexpr (std::is_same_v<M, p::FeatureLevelRecord>) {
                if (m.feature_level == 0) {
                    img.features_.erase(m.name);
                } else {
                    img.features_[m.name] = m.feature_level;
                }
                return true;
            } else if constexpr (std::is_same_v<M, p::RegisterBrokerRecord>) {
                BrokerRegistration b;
                b.id = m.broker_id;
                b.epoch = m.broker_epoch;
                b.incarnation_id = m.incarnation_id;
                for (const auto& e : m.end_points) {
                    b.endpoints.push_back({e.name, e.host, e.port, e.security_protocol});
                }
                b.rack = m.rack;
                b.fenced = m.fenced;
                b.in_controlled_shutdown = m.in_controlled_shutdown;
                b.log_dirs = m.log_dirs;
                for (const auto& f : m.features) {
                    b.supported_features[f.name] = {f.min_supported_version,
                                                    f.max_supported_version};
                }
                img.brokers_[m.broker_id] = std::move(b);
                return true;
            } else if constexpr (std::is_same_v<M, p::UnregisterBrokerRecord>) {
                img.brokers_.erase(m.broker_id);
                return true;
            } else if constexpr (
                std::is_same_v<M,
                               p::FenceBrokerRecord> || std::is_same_v<M, p::UnfenceBrokerRecord>) {
                auto it = img.brokers_.find(m.id);
                if (it == img.brokers_.end() || it->second.epoch != m.epoch) {
                    return set_error(error, fmt::format("{} of unknown broker {} epoch {}",
                                                        M::message_name, m.id, m.epoch));
                }
                it->second.fenced = std::is_same_v<M, p::FenceBrokerRecord>;
                return true;
            } else if constexpr (std::is_same_v<M, p::BrokerRegistrationChangeRecord>) {
                auto it = img.brokers_.find(m.broker_id);
                if (it == img.brokers_.end() || it->second.epoch != m.broker_epoch) {
                    return set_error(error, fmt::format("registration change of unknown broker "
                                                        "{} epoch {}",
                                                        m.broker_id, m.broker_epoch));
                }
                if (m.fenced == kFence) {
                    it->second.fenced = true;
                } else if (m.fenced == kUnfence) {
                    it->second.fenced = false;
                }
                if (m.in_controlled_shutdown == 1) {
                    it->second.in_controlled_shutdown = true;
                }
                if (!m.log_dirs.empty()) {
                    it->second.log_dirs = m.log_dirs;
                }
                return true;
            } else if constexpr (std::is_same_v<M, p::ProducerIdsRecord>) {
                img.next_producer_id_ = m.next_producer_id;
                return true;
            } else if constexpr (std::is_same_v<M, p::NoOpRecord>) {
                return true;
            } else {
                static_assert(std::is_same_v<M, UnknownRecord>);
                // Types with no state in the image yet (ACLs, SCRAM, quotas, delegation tokens,
                // controller registrations, metadata transactions) are skipped.
                return true;
            }
        },
        record.message);
    if (ok) {
        img.offset_ = offset;
    }
    return ok;
}

std::shared_ptr<const MetadataImage> MetadataDelta::apply() {
    GREGOR_ASSERT(next_ != nullptr, "apply twice");
    changed_topics_.clear();
    return std::shared_ptr<const MetadataImage>(std::move(next_));
}

}  // namespace gregor::metadata
