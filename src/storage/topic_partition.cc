#include "gregor/storage/topic_partition.h"

#include <charconv>
#include <limits>

namespace gregor::storage {
namespace {

// Kafka's Topic.validate: 1..249 characters of [a-zA-Z0-9._-], not "." or "..".
bool valid_topic(std::string_view topic) {
    if (topic.empty() || topic.size() > 249 || topic == "." || topic == "..") {
        return false;
    }
    for (char c : topic) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '.' || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::optional<TopicPartition> TopicPartition::parse_dir_name(std::string_view name) {
    // Kafka's UnifiedLog.parseTopicPartitionName: directories being deleted, moved between log
    // dirs or left stray carry a suffix and are not live partitions.
    if (ends_with(name, "-delete") || ends_with(name, "-future") || ends_with(name, "-stray")) {
        return std::nullopt;
    }
    const size_t dash = name.rfind('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) {
        return std::nullopt;
    }
    const std::string_view topic = name.substr(0, dash);
    const std::string_view digits = name.substr(dash + 1);
    for (char c : digits) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
    }
    int64_t partition = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), partition);
    if (ec != std::errc() || end != digits.data() + digits.size()
        || partition > std::numeric_limits<int32_t>::max() || !valid_topic(topic)) {
        return std::nullopt;
    }
    TopicPartition tp;
    tp.topic = std::string(topic);
    tp.partition = static_cast<int32_t>(partition);
    return tp;
}

}  // namespace gregor::storage
