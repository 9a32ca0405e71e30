#pragma once

// The partitions this node hosts (Kafka's ReplicaManager): built from the metadata image, looked
// up by the request handlers (Produce, Fetch, ListOffsets...) from any network thread.

#include "gregor/metadata/image.h"
#include "gregor/replication/delayed_operations.h"
#include "gregor/replication/partition.h"
#include "gregor/storage/log_manager.h"

#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace gregor::replication {

class ReplicaManager {
public:
    // `max_parked`: how many operations may wait on partitions at once
    // (gregor.delayed.operations.max).
    ReplicaManager(int32_t local_id, storage::LogManager& logs, size_t max_parked);

    // Follows a new image: partitions of deleted topics are dropped, new ones whose log exists
    // are added, leadership and ISR are updated. On the image publisher's thread.
    void apply_image(const metadata::MetadataImage& image);

    // nullptr when this node hosts no such partition.
    std::shared_ptr<Partition> get(std::string_view topic, int32_t partition) const;
    std::vector<std::shared_ptr<Partition>> all() const;

    // Where long-poll fetches and acks=-1 produces park; partitions notify it of their changes.
    WatchList& watches() { return watches_; }

private:
    const int32_t local_id_;
    storage::LogManager& logs_;
    WatchList watches_;

    mutable std::shared_mutex mutex_;
    // topic → partition index → partition
    std::map<std::string, std::map<int32_t, std::shared_ptr<Partition>>, std::less<>> partitions_;
};

}  // namespace gregor::replication
