#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gregor::storage {

struct TopicPartition {
    std::string topic;
    int32_t partition = 0;

    // "<topic>-<partition>", Kafka's partition directory name.
    std::string dir_name() const { return topic + "-" + std::to_string(partition); }
    // Parses a directory name; the topic may itself contain '-'. Suffixes such as
    // ".<uuid>-delete" (a deleted log) or "-future"/"-stray" are not partition dirs: nullopt.
    static std::optional<TopicPartition> parse_dir_name(std::string_view name);

    bool operator==(const TopicPartition&) const = default;
    auto operator<=>(const TopicPartition&) const = default;
};

}  // namespace gregor::storage
