#pragma once

// Configs as DescribeConfigs shows them and as alters validate them: a topic's or a broker's
// configs computed from Kafka's layers (topic override, dynamic per-broker config, dynamic
// cluster-wide default, the static file and --override values, Kafka's defaults), with their
// sources, synonyms, types and documentation (Kafka's ConfigHelper and DynamicBrokerConfig).
// Pure functions of the static Config and the metadata image's config maps.

#include "gregor/broker/config.h"
#include "gregor/metadata/image.h"
#include "gregor/protocol/messages/config_admin.h"
#include "gregor/storage/log_config.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gregor::broker {

// DescribeConfigsResponse's ConfigSource ids.
namespace config_source {
inline constexpr int8_t kDynamicTopic = 1;
inline constexpr int8_t kDynamicBroker = 2;
inline constexpr int8_t kDynamicDefaultBroker = 3;
inline constexpr int8_t kStaticBroker = 4;
inline constexpr int8_t kDefault = 5;
}  // namespace config_source

// The dynamic broker layers of one node, from the image (empty when none).
struct DynamicBrokerConfigs {
    metadata::ConfigMap per_broker;       // ConfigRecords for BROKER "<node id>"
    metadata::ConfigMap cluster_default;  // ConfigRecords for BROKER ""
    static DynamicBrokerConfigs from(const metadata::MetadataImage& image, int32_t node_id);
};

using DescribedConfig =
    protocol::DescribeConfigsResponse::DescribeConfigsResult::DescribeConfigsResourceResult;

struct DescribeOptions {
    bool include_synonyms = false;
    bool include_documentation = false;
    // Only these names (DescribeConfigs' configuration_keys); nullopt: every config.
    std::optional<std::vector<std::string>> keys;
};

// A topic's configs: every topic config, the override's value or the broker layers' (Kafka's
// ConfigHelper.createTopicConfigEntry), sorted by name.
std::vector<DescribedConfig> describe_topic_configs(const Config& config,
                                                    const DynamicBrokerConfigs& dynamic,
                                                    const metadata::ConfigMap& overrides,
                                                    const DescribeOptions& options);

// A broker's configs. per_broker: this node's (every broker config, dynamic values applied);
// otherwise the cluster default resource, which lists only the dynamic default configs.
std::vector<DescribedConfig> describe_broker_configs(const Config& config,
                                                     const DynamicBrokerConfigs& dynamic,
                                                     bool per_broker,
                                                     const DescribeOptions& options);

// The effective value of every topic config (null where Kafka's is null), by name.
std::map<std::string, std::optional<std::string>> effective_topic_values(
    const Config& config,
    const DynamicBrokerConfigs& dynamic,
    const metadata::ConfigMap& overrides);

// A partition's LogConfig from the effective topic values.
storage::LogConfig make_log_config(const std::map<std::string, std::optional<std::string>>& values);

// Kafka's LogConfig names.
bool is_topic_config(std::string_view name);
// DescribeConfigs' type of a topic config (that of the broker config it defaults from).
ConfigType topic_config_type(std::string_view name);
// A topic config's default without any broker setting (Kafka's LogConfig default), as text.
std::optional<std::string> topic_config_default(std::string_view name);

// Parses and validates one value as Kafka's ConfigDef does; the INVALID_CONFIG message
// ("Invalid value X for configuration N: reason"), or nullopt when valid.
std::optional<std::string> check_config_value(std::string_view name,
                                              ConfigType type,
                                              const Validator* validator,
                                              const std::string& value);
std::optional<std::string> check_topic_config_value(std::string_view name,
                                                    const std::string& value);

}  // namespace gregor::broker
