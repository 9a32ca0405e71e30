#include "gregor/metadata/image_writer.h"

#include <fmt/format.h>

namespace gregor::metadata {

namespace p = protocol;

namespace {

constexpr const char* kMetadataVersion = "metadata.version";
// RegisterBrokerRecord v3 keeps log dirs; v1+ the controlled-shutdown flag.
constexpr int16_t kRegisterBrokerVersion = 3;
// PartitionRecord v1 keeps directories, v2 adds the ELR fields.
constexpr int16_t kPartitionVersionDirs = 1;
constexpr int16_t kPartitionVersionElr = 2;

ApiMessageAndVersion feature_record(const std::string& name, int16_t level) {
    p::FeatureLevelRecord f;
    f.name = name;
    f.feature_level = level;
    return make_record(std::move(f));
}

void write_features(const MetadataImage& image, std::vector<ApiMessageAndVersion>& out) {
    // metadata.version first: it decides how everything after it is read (FeaturesImage.write).
    auto mv = image.features().find(kMetadataVersion);
    if (mv != image.features().end()) {
        out.push_back(feature_record(mv->first, mv->second));
    }
    for (const auto& [name, level] : image.features()) {
        if (name != kMetadataVersion) {
            out.push_back(feature_record(name, level));
        }
    }
}

void write_brokers(const MetadataImage& image, std::vector<ApiMessageAndVersion>& out) {
    for (const auto& [id, b] : image.brokers()) {
        p::RegisterBrokerRecord r;
        r.broker_id = b.id;
        r.incarnation_id = b.incarnation_id;
        r.broker_epoch = b.epoch;
        for (const auto& e : b.endpoints) {
            auto& ep = r.end_points.emplace_back();
            ep.name = e.listener;
            ep.host = e.host;
            ep.port = e.port;
            ep.security_protocol = e.security_protocol;
        }
        r.rack = b.rack;
        // The registration carries the fencing state, so no Fence/Unfence record follows.
        r.fenced = b.fenced;
        r.in_controlled_shutdown = b.in_controlled_shutdown;
        r.log_dirs = b.log_dirs;
        for (const auto& [name, range] : b.supported_features) {
            auto& f = r.features.emplace_back();
            f.name = name;
            f.min_supported_version = range.min_version;
            f.max_supported_version = range.max_version;
        }
        out.push_back(make_record(std::move(r), kRegisterBrokerVersion));
    }
}

ApiMessageAndVersion partition_record(const p::Uuid& topic_id,
                                      int32_t index,
                                      const PartitionImage& part) {
    p::PartitionRecord r;
    r.partition_id = index;
    r.topic_id = topic_id;
    r.replicas = part.replicas;
    r.isr = part.isr;
    r.removing_replicas = part.removing_replicas;
    r.adding_replicas = part.adding_replicas;
    r.leader = part.leader;
    r.leader_recovery_state = part.leader_recovery_state;
    r.leader_epoch = part.leader_epoch;
    r.partition_epoch = part.partition_epoch;
    r.directories = part.directories;
    const bool elr = !part.elr.empty() || !part.last_known_elr.empty();
    if (elr) {
        r.eligible_leader_replicas = part.elr;
        r.last_known_elr = part.last_known_elr;
    }
    return make_record(std::move(r), elr ? kPartitionVersionElr : kPartitionVersionDirs);
}

void write_topics(const MetadataImage& image, std::vector<ApiMessageAndVersion>& out) {
    for (const auto& [id, topic] : image.topics_by_id()) {
        p::TopicRecord t;
        t.name = topic->name;
        t.topic_id = topic->id;
        out.push_back(make_record(std::move(t)));
        for (const auto& [index, part] : topic->partitions) {
            out.push_back(partition_record(topic->id, index, part));
        }
    }
}

void write_configs(const MetadataImage& image, std::vector<ApiMessageAndVersion>& out) {
    for (const auto& [type, resources] : image.configs()) {
        for (const auto& [resource, configs] : resources) {
            for (const auto& [name, value] : configs) {
                p::ConfigRecord c;
                c.resource_type = type;
                c.resource_name = resource;
                c.name = name;
                c.value = value;
                out.push_back(make_record(std::move(c)));
            }
        }
    }
}

void write_producer_ids(const MetadataImage& image, std::vector<ApiMessageAndVersion>& out) {
    if (image.next_producer_id() <= 0) {
        return;
    }
    // ProducerIdsImage.write: no broker owns the block a snapshot records.
    p::ProducerIdsRecord r;
    r.broker_id = -1;
    r.broker_epoch = -1;
    r.next_producer_id = image.next_producer_id();
    out.push_back(make_record(std::move(r)));
}

std::string join(const std::vector<int32_t>& v) {
    return fmt::format("[{}]", fmt::join(v, ","));
}

std::optional<std::string> partition_difference(const std::string& where,
                                                const PartitionImage& a,
                                                const PartitionImage& b) {
    if (a == b) {
        return std::nullopt;
    }
    return fmt::format(
        "{}: replicas {} vs {}, isr {} vs {}, leader {} vs {}, leader epoch {} vs {}, partition "
        "epoch {} vs {}, elr {} vs {}, or other fields differ",
        where, join(a.replicas), join(b.replicas), join(a.isr), join(b.isr), a.leader, b.leader,
        a.leader_epoch, b.leader_epoch, a.partition_epoch, b.partition_epoch, join(a.elr),
        join(b.elr));
}

std::optional<std::string> topic_difference(const TopicImage& a, const TopicImage& b) {
    if (a.name != b.name) {
        return fmt::format("topic {} is named {} vs {}", a.id.to_string(), a.name, b.name);
    }
    if (a.partitions.size() != b.partitions.size()) {
        return fmt::format("topic {} has {} vs {} partitions", a.name, a.partitions.size(),
                           b.partitions.size());
    }
    for (const auto& [index, part] : a.partitions) {
        auto it = b.partitions.find(index);
        if (it == b.partitions.end()) {
            return fmt::format("topic {} lacks partition {}", a.name, index);
        }
        if (auto d = partition_difference(fmt::format("{}-{}", a.name, index), part, it->second)) {
            return d;
        }
    }
    return std::nullopt;
}

std::optional<std::string> broker_difference(const BrokerRegistration& a,
                                             const BrokerRegistration& b) {
    if (a.id != b.id || a.epoch != b.epoch || a.incarnation_id != b.incarnation_id) {
        return fmt::format("broker {} epoch {} vs broker {} epoch {} (or incarnations differ)",
                           a.id, a.epoch, b.id, b.epoch);
    }
    if (a.fenced != b.fenced || a.in_controlled_shutdown != b.in_controlled_shutdown) {
        return fmt::format("broker {}: fenced {} vs {}, in controlled shutdown {} vs {}", a.id,
                           a.fenced, b.fenced, a.in_controlled_shutdown, b.in_controlled_shutdown);
    }
    if (a.endpoints != b.endpoints || a.rack != b.rack || a.log_dirs != b.log_dirs
        || a.supported_features != b.supported_features) {
        return fmt::format("broker {}: endpoints, rack, log dirs or supported features differ",
                           a.id);
    }
    return std::nullopt;
}

}  // namespace

std::vector<ApiMessageAndVersion> write_image(const MetadataImage& image) {
    std::vector<ApiMessageAndVersion> out;
    write_features(image, out);
    write_brokers(image, out);
    write_topics(image, out);
    write_configs(image, out);
    write_producer_ids(image, out);
    return out;
}

std::optional<std::string> image_difference(const MetadataImage& a, const MetadataImage& b) {
    if (a.features() != b.features()) {
        return std::string("features differ");
    }
    if (a.brokers().size() != b.brokers().size()) {
        return fmt::format("{} vs {} brokers", a.brokers().size(), b.brokers().size());
    }
    for (const auto& [id, broker] : a.brokers()) {
        const auto* other = b.broker(id);
        if (other == nullptr) {
            return fmt::format("broker {} missing", id);
        }
        if (auto d = broker_difference(broker, *other)) {
            return d;
        }
    }
    if (a.topics_by_id().size() != b.topics_by_id().size()
        || a.topics_by_name().size() != b.topics_by_name().size()) {
        return fmt::format("{} vs {} topics", a.topics_by_id().size(), b.topics_by_id().size());
    }
    for (const auto& [id, topic] : a.topics_by_id()) {
        const auto* other = b.topic(id);
        if (other == nullptr) {
            return fmt::format("topic {} ({}) missing", topic->name, id.to_string());
        }
        if (b.topic(topic->name) != other) {
            return fmt::format("topic {} is not indexed by name", topic->name);
        }
        if (auto d = topic_difference(*topic, *other)) {
            return d;
        }
    }
    if (a.configs() != b.configs()) {
        return std::string("configs differ");
    }
    if (a.next_producer_id() != b.next_producer_id()) {
        return fmt::format("next producer id {} vs {}", a.next_producer_id(), b.next_producer_id());
    }
    return std::nullopt;
}

}  // namespace gregor::metadata
