#pragma once

// meta.properties in every log directory, as Kafka's KRaft mode writes it (version 1): the
// cluster id, this node's id and the directory's id. A first start formats empty directories; a
// later start checks that every directory belongs to this node and one cluster.

#include "gregor/common/result.h"

#include <string>
#include <vector>

namespace gregor::broker {

struct MetaProperties {
    std::string cluster_id;
    int32_t node_id = -1;
    std::string directory_id;
};

// Reads `dir`/meta.properties; nullopt-like error text when absent or malformed.
result<MetaProperties, std::string> read_meta_properties(const std::string& dir);
result<bool, std::string> write_meta_properties(const std::string& dir, const MetaProperties& meta);

// Ensures every directory exists and carries meta.properties for `node_id`. The cluster id comes
// from the directories already formatted, else from `configured_cluster_id`, else a new random
// one. Refuses directories of another node or another cluster.
result<std::string, std::string> format_or_check_log_dirs(const std::vector<std::string>& dirs,
                                                          int32_t node_id,
                                                          const std::string& configured_cluster_id);

}  // namespace gregor::broker
