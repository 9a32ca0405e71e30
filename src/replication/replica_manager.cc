#include "gregor/replication/replica_manager.h"

#include <algorithm>
#include <mutex>

namespace gregor::replication {

ReplicaManager::ReplicaManager(int32_t local_id, storage::LogManager& logs, size_t max_parked)
    : local_id_(local_id), logs_(logs), watches_(max_parked) {}

void ReplicaManager::apply_image(const metadata::MetadataImage& image) {
    std::map<std::string, std::map<int32_t, std::shared_ptr<Partition>>, std::less<>> next;
    {
        std::shared_lock lock(mutex_);
        for (const auto& [name, topic] : image.topics_by_name()) {
            auto old_topic = partitions_.find(name);
            for (const auto& [index, part] : topic->partitions) {
                if (std::find(part.replicas.begin(), part.replicas.end(), local_id_)
                    == part.replicas.end()) {
                    continue;
                }
                std::shared_ptr<Partition> p;
                if (old_topic != partitions_.end()) {
                    auto it = old_topic->second.find(index);
                    if (it != old_topic->second.end() && it->second->topic_id() == topic->id) {
                        p = it->second;
                    }
                }
                if (!p) {
                    auto log = logs_.get(storage::TopicPartition{name, index});
                    if (!log) {
                        continue;  // its log is offline or could not be created (logged)
                    }
                    p = std::make_shared<Partition>(
                        storage::TopicPartition{name, index}, topic->id, *log, local_id_,
                        [this](const storage::TopicPartition& tp, uint32_t changes) {
                            watches_.notify(tp, changes);
                        });
                }
                p->apply(part);
                next[name][index] = std::move(p);
            }
        }
    }
    {
        std::unique_lock lock(mutex_);
        partitions_.swap(next);
    }
    // Operations parked on partitions that went away re-check and answer.
    watches_.notify_all();
}

std::shared_ptr<Partition> ReplicaManager::get(std::string_view topic, int32_t partition) const {
    std::shared_lock lock(mutex_);
    auto t = partitions_.find(topic);
    if (t == partitions_.end()) {
        return nullptr;
    }
    auto p = t->second.find(partition);
    return p == t->second.end() ? nullptr : p->second;
}

std::vector<std::shared_ptr<Partition>> ReplicaManager::all() const {
    std::vector<std::shared_ptr<Partition>> out;
    std::shared_lock lock(mutex_);
    for (const auto& [name, parts] : partitions_) {
        for (const auto& [index, p] : parts) {
            out.push_back(p);
        }
    }
    return out;
}

}  // namespace gregor::replication
