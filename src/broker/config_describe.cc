#include "gregor/broker/config_describe.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace gregor::broker {

namespace {

// Topic configs: the type and default of those without a broker synonym, and our short docs
// (Kafka's LogConfig names; the defaults of the others come from their broker synonym).
struct TopicConfigInfo {
    const char* name;
    const char* doc;
    ConfigType type;            // for configs without a broker synonym
    const char* default_value;  // likewise
};
constexpr auto kNoType = ConfigType::String;
constexpr TopicConfigInfo kTopicConfigs[] = {
    {"cleanup.policy",
     "delete: old segments are deleted; compact: only the latest value of each "
     "key is kept; both may be given.",
     kNoType, nullptr},
    {"compression.gzip.level", "gzip level when compression.type is gzip.", kNoType, nullptr},
    {"compression.lz4.level", "lz4 level when compression.type is lz4.", kNoType, nullptr},
    {"compression.type", "Compression of the stored batches; producer keeps the producer's.",
     kNoType, nullptr},
    {"compression.zstd.level", "zstd level when compression.type is zstd.", kNoType, nullptr},
    {"delete.retention.ms", "How long tombstones are kept in a compacted topic.", kNoType, nullptr},
    {"file.delete.delay.ms", "Delay before a deleted segment's files are removed.", kNoType,
     nullptr},
    {"flush.messages", "Messages appended before the log is fsynced.", kNoType, nullptr},
    {"flush.ms", "Age of unflushed data before the log is fsynced.", kNoType, nullptr},
    {"follower.replication.throttled.replicas",
     "Replicas (partition:broker, or *) throttled on the follower side.", ConfigType::List, ""},
    {"index.interval.bytes", "Bytes appended between offset index entries.", kNoType, nullptr},
    {"leader.replication.throttled.replicas",
     "Replicas (partition:broker, or *) throttled on the leader side.", ConfigType::List, ""},
    {"local.retention.bytes", "Local size limit with tiered storage; -2 = retention.bytes.",
     kNoType, nullptr},
    {"local.retention.ms", "Local retention with tiered storage; -2 = retention.ms.", kNoType,
     nullptr},
    {"max.compaction.lag.ms", "Maximum age of a record before compaction becomes due.", kNoType,
     nullptr},
    {"max.message.bytes", "Largest record batch the topic accepts.", kNoType, nullptr},
    {"message.timestamp.after.max.ms", "How far in the future a CreateTime timestamp may be.",
     kNoType, nullptr},
    {"message.timestamp.before.max.ms", "How far in the past a CreateTime timestamp may be.",
     kNoType, nullptr},
    {"message.timestamp.type", "CreateTime (the producer's) or LogAppendTime (the broker's).",
     kNoType, nullptr},
    {"min.cleanable.dirty.ratio",
     "Dirty fraction of the log that makes it eligible for "
     "compaction.",
     kNoType, nullptr},
    {"min.compaction.lag.ms", "Minimum age of a record before it may be compacted.", kNoType,
     nullptr},
    {"min.insync.replicas", "Replicas that must hold a write before acks=all succeeds.", kNoType,
     nullptr},
    {"preallocate", "Preallocate segment files when they are created.", kNoType, nullptr},
    {"remote.log.copy.disable", "Stop copying segments to tiered storage.", ConfigType::Boolean,
     "false"},
    {"remote.log.delete.on.disable", "Delete tiered data when tiered storage is disabled.",
     ConfigType::Boolean, "false"},
    {"remote.storage.enable", "Enable tiered storage for the topic.", ConfigType::Boolean, "false"},
    {"retention.bytes", "Partition size above which old segments are deleted; -1 = no limit.",
     kNoType, nullptr},
    {"retention.ms", "Age after which old segments are deleted; -1 = forever.", kNoType, nullptr},
    {"segment.bytes", "Size at which a segment is rolled.", kNoType, nullptr},
    {"segment.index.bytes", "Size of a segment's offset index.", kNoType, nullptr},
    {"segment.jitter.ms", "Random jitter subtracted from segment.ms.", kNoType, nullptr},
    {"segment.ms", "Age at which a segment is rolled.", kNoType, nullptr},
    {"unclean.leader.election.enable", "Allow an out-of-sync replica to become leader.", kNoType,
     nullptr},
};

const TopicConfigInfo* find_topic_info(std::string_view name) {
    for (const auto& c : kTopicConfigs) {
        if (name == c.name) {
            return &c;
        }
    }
    return nullptr;
}

// The broker config a topic config defaults from (ServerTopicConfigSynonyms' primary name).
const ConfigDef* primary_synonym(std::string_view topic_config) {
    const TopicConfigSynonyms* syn = find_topic_config_synonyms(topic_config);
    if (syn == nullptr || syn->broker_configs.empty()) {
        return nullptr;
    }
    return find_config_definition(syn->broker_configs.front().name);
}

Validator at_least(int64_t min) {
    Validator v;
    v.kind = Validator::Kind::IntRange;
    v.min = min;
    return v;
}

// LogConfig's validators where they differ from the broker synonym's.
std::optional<Validator> topic_validator_override(std::string_view name) {
    if (name == "retention.ms") {
        return at_least(-1);
    }
    if (name == "segment.ms" || name == "flush.messages") {
        return at_least(1);
    }
    if (name == "segment.jitter.ms" || name == "flush.ms") {
        return at_least(0);
    }
    if (name == "segment.bytes") {
        return at_least(1024 * 1024);
    }
    return std::nullopt;
}

std::string convert(const std::string& value, SynonymUnit unit) {
    int64_t v = 0;
    if (unit == SynonymUnit::Same
        || std::from_chars(value.data(), value.data() + value.size(), v).ec != std::errc{}) {
        return value;
    }
    return std::to_string(unit == SynonymUnit::HoursToMs ? v * 3600000 : v * 60000);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

template <typename Int>
bool parse_int(std::string_view text, Int& out) {
    if (text.size() > 1 && text.front() == '+' && text[1] != '-') {
        text.remove_prefix(1);
    }
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

// One layer of Kafka's DescribeConfigs synonyms, in precedence order.
struct Layer {
    int8_t source;
    std::optional<std::optional<std::string>> (*lookup)(const Config&,
                                                        const DynamicBrokerConfigs&,
                                                        const std::string&);
};

std::optional<std::optional<std::string>> from_map(const metadata::ConfigMap& m,
                                                   const std::string& name) {
    auto it = m.find(name);
    if (it == m.end()) {
        return std::nullopt;
    }
    return std::optional<std::string>(it->second);
}

constexpr Layer kLayers[] = {
    {config_source::kDynamicBroker,
     [](const Config&, const DynamicBrokerConfigs& d, const std::string& n) {
         return from_map(d.per_broker, n);
     }},
    {config_source::kDynamicDefaultBroker,
     [](const Config&, const DynamicBrokerConfigs& d, const std::string& n) {
         return from_map(d.cluster_default, n);
     }},
    {config_source::kStaticBroker,
     [](const Config& c, const DynamicBrokerConfigs&, const std::string& n)
         -> std::optional<std::optional<std::string>> {
         if (find_config_definition(n) == nullptr || c.source(n) == ConfigSource::DefaultConfig) {
             return std::nullopt;
         }
         return c.describe_value(n);
     }},
    {config_source::kDefault,
     [](const Config&, const DynamicBrokerConfigs&, const std::string& n)
         -> std::optional<std::optional<std::string>> {
         const ConfigDef* def = find_config_definition(n);
         if (def == nullptr || !def->default_text) {
             return std::nullopt;
         }
         return def->default_text;
     }},
};

using Synonym = DescribedConfig::DescribeConfigsSynonym;

// Kafka's ConfigHelper.configSynonyms: every layer's value of each synonym, from the first entry
// named `name` on.
std::vector<Synonym> config_synonyms(const Config& config,
                                     const DynamicBrokerConfigs& dynamic,
                                     const std::string& name,
                                     bool sensitive) {
    std::vector<Synonym> all;
    const auto names = broker_config_synonyms(name);
    for (const auto& layer : kLayers) {
        for (const auto& n : names) {
            if (auto v = layer.lookup(config, dynamic, n)) {
                Synonym s;
                s.name = n;
                s.value = sensitive ? std::nullopt : *v;
                s.source = layer.source;
                all.push_back(std::move(s));
            }
        }
    }
    auto first =
        std::find_if(all.begin(), all.end(), [&](const Synonym& s) { return s.name == name; });
    return {first, all.end()};
}

// A broker config's value with the dynamic layers applied.
std::optional<std::string> merged_broker_value(const Config& config,
                                               const DynamicBrokerConfigs& dynamic,
                                               const std::string& name) {
    if (auto v = from_map(dynamic.per_broker, name)) {
        return *v;
    }
    if (auto v = from_map(dynamic.cluster_default, name)) {
        return *v;
    }
    if (find_config_definition(name) == nullptr) {
        return std::nullopt;
    }
    return config.describe_value(name);
}

bool wanted(const DescribeOptions& options, std::string_view name) {
    return !options.keys
           || std::find(options.keys->begin(), options.keys->end(), name) != options.keys->end();
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    text = trim(text);
    if (text.empty()) {
        return out;
    }
    size_t start = 0;
    for (;;) {
        size_t comma = text.find(',', start);
        out.emplace_back(trim(text.substr(start, comma - start)));
        if (comma == std::string_view::npos) {
            return out;
        }
        start = comma + 1;
    }
}

int64_t long_of(const std::map<std::string, std::optional<std::string>>& v,
                const char* name,
                int64_t fallback) {
    auto it = v.find(name);
    int64_t out = 0;
    if (it == v.end() || !it->second || !parse_int(trim(*it->second), out)) {
        return fallback;
    }
    return out;
}

}  // namespace

DynamicBrokerConfigs DynamicBrokerConfigs::from(const metadata::MetadataImage& image,
                                                int32_t node_id) {
    DynamicBrokerConfigs out;
    auto type = image.configs().find(metadata::kConfigResourceBroker);
    if (type == image.configs().end()) {
        return out;
    }
    if (auto it = type->second.find(std::to_string(node_id)); it != type->second.end()) {
        out.per_broker = it->second;
    }
    if (auto it = type->second.find(""); it != type->second.end()) {
        out.cluster_default = it->second;
    }
    return out;
}

bool is_topic_config(std::string_view name) {
    return find_topic_info(name) != nullptr;
}

ConfigType topic_config_type(std::string_view name) {
    if (const ConfigDef* def = primary_synonym(name)) {
        return def->type;
    }
    const TopicConfigInfo* info = find_topic_info(name);
    return info != nullptr ? info->type : ConfigType::String;
}

std::optional<std::string> topic_config_default(std::string_view name) {
    const TopicConfigSynonyms* syn = find_topic_config_synonyms(name);
    if (syn != nullptr) {
        for (const auto& b : syn->broker_configs) {
            const ConfigDef* def = find_config_definition(b.name);
            if (def != nullptr && def->default_text) {
                return convert(*def->default_text, b.unit);
            }
        }
        return std::nullopt;
    }
    const TopicConfigInfo* info = find_topic_info(name);
    if (info == nullptr || info->default_value == nullptr) {
        return std::nullopt;
    }
    return std::string(info->default_value);
}

std::optional<std::string> check_config_value(std::string_view name,
                                              ConfigType type,
                                              const Validator* validator,
                                              const std::string& value) {
    auto invalid = [&](std::string_view reason) {
        return std::optional(
            fmt::format("Invalid value {} for configuration {}: {}", value, name, reason));
    };
    const std::string_view text = trim(value);
    auto range = [&](int64_t n) -> std::optional<std::string> {
        if (validator == nullptr || validator->kind != Validator::Kind::IntRange
            || (validator->also && n == *validator->also)) {
            return std::nullopt;
        }
        if (n < validator->min) {
            return invalid(fmt::format("Value must be at least {}", validator->min));
        }
        if (n > validator->max) {
            return invalid(fmt::format("Value must be no more than {}", validator->max));
        }
        return std::nullopt;
    };
    auto one_of = [&](std::string_view item) {
        return std::find(validator->choices.begin(), validator->choices.end(), item)
               != validator->choices.end();
    };
    auto choices = [&] {
        return fmt::format("String must be one of: {}", fmt::join(validator->choices, ", "));
    };
    switch (type) {
        case ConfigType::Int: {
            int32_t n = 0;
            return parse_int(text, n) ? range(n) : invalid("Not a number of type INT");
        }
        case ConfigType::Short: {
            int16_t n = 0;
            return parse_int(text, n) ? range(n) : invalid("Not a number of type SHORT");
        }
        case ConfigType::Long: {
            int64_t n = 0;
            return parse_int(text, n) ? range(n) : invalid("Not a number of type LONG");
        }
        case ConfigType::Double: {
            std::string s(text);
            char* end = nullptr;
            const double d = std::strtod(s.c_str(), &end);
            if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(d)) {
                return invalid("Not a number of type DOUBLE");
            }
            if (validator != nullptr && validator->kind == Validator::Kind::DoubleRange) {
                if (d < validator->dmin) {
                    return invalid(fmt::format("Value must be at least {}", validator->dmin));
                }
                if (d > validator->dmax) {
                    return invalid(fmt::format("Value must be no more than {}", validator->dmax));
                }
            }
            return std::nullopt;
        }
        case ConfigType::Boolean: {
            std::string lower(text);
            std::transform(lower.begin(), lower.end(), lower.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            return lower == "true" || lower == "false"
                       ? std::nullopt
                       : invalid("Expected value to be either true or false");
        }
        case ConfigType::List:
            if (validator != nullptr && validator->kind == Validator::Kind::ListOf) {
                for (const auto& item : split_list(text)) {
                    if (!one_of(item)) {
                        // Kafka's ValidList names the offending element, not the whole list.
                        return std::optional(fmt::format(
                            "Invalid value {} for configuration {}: {}", item, name, choices()));
                    }
                }
            }
            return std::nullopt;
        default:
            if (validator != nullptr && validator->kind == Validator::Kind::OneOf
                && !one_of(text)) {
                return invalid(choices());
            }
            return std::nullopt;
    }
}

std::optional<std::string> check_topic_config_value(std::string_view name,
                                                    const std::string& value) {
    const ConfigDef* def = primary_synonym(name);
    auto over = topic_validator_override(name);
    const Validator* validator = over ? &*over : def != nullptr ? &def->validator : nullptr;
    return check_config_value(name, topic_config_type(name), validator, value);
}

std::map<std::string, std::optional<std::string>> effective_topic_values(
    const Config& config,
    const DynamicBrokerConfigs& dynamic,
    const metadata::ConfigMap& overrides) {
    std::map<std::string, std::optional<std::string>> out;
    for (const auto& info : kTopicConfigs) {
        const std::string name = info.name;
        if (auto it = overrides.find(name); it != overrides.end()) {
            out[name] = it->second;
            continue;
        }
        const TopicConfigSynonyms* syn = find_topic_config_synonyms(name);
        if (syn == nullptr) {
            out[name] = topic_config_default(name);
            continue;
        }
        std::optional<std::string> value;
        for (const auto& b : syn->broker_configs) {
            if (auto v = merged_broker_value(config, dynamic, std::string(b.name))) {
                value = convert(*v, b.unit);
                break;
            }
        }
        out[name] = std::move(value);
    }
    return out;
}

std::vector<DescribedConfig> describe_topic_configs(const Config& config,
                                                    const DynamicBrokerConfigs& dynamic,
                                                    const metadata::ConfigMap& overrides,
                                                    const DescribeOptions& options) {
    std::vector<DescribedConfig> out;
    const auto values = effective_topic_values(config, dynamic, overrides);
    for (const auto& info : kTopicConfigs) {
        const std::string name = info.name;
        if (!wanted(options, name)) {
            continue;
        }
        const ConfigType type = topic_config_type(name);
        const bool sensitive = type == ConfigType::Password;
        std::vector<Synonym> synonyms;
        if (auto it = overrides.find(name); it != overrides.end()) {
            Synonym s;
            s.name = name;
            s.value = sensitive ? std::nullopt : std::optional(it->second);
            s.source = config_source::kDynamicTopic;
            synonyms.push_back(std::move(s));
        }
        if (const ConfigDef* primary = primary_synonym(name)) {
            auto broker = config_synonyms(config, dynamic, primary->name, sensitive);
            synonyms.insert(synonyms.end(), broker.begin(), broker.end());
        }
        DescribedConfig c;
        c.name = name;
        c.value = sensitive ? std::nullopt : values.at(name);
        c.read_only = false;
        c.is_sensitive = sensitive;
        c.config_source = synonyms.empty() ? config_source::kDefault : synonyms.front().source;
        c.config_type = static_cast<int8_t>(type);
        if (options.include_synonyms) {
            c.synonyms = std::move(synonyms);
        }
        if (options.include_documentation) {
            c.documentation = std::string(info.doc);
        }
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<DescribedConfig> describe_broker_configs(const Config& config,
                                                     const DynamicBrokerConfigs& dynamic,
                                                     bool per_broker,
                                                     const DescribeOptions& options) {
    std::vector<DescribedConfig> out;
    auto describe = [&](const std::string& name, const ConfigDef* def) {
        // Kafka cannot tell whether a config it does not know holds a secret: it hides it.
        const ConfigType type = def != nullptr ? def->type : ConfigType::String;
        const bool sensitive = def == nullptr || type == ConfigType::Password;
        auto synonyms = config_synonyms(config, dynamic, name, sensitive);
        if (!per_broker) {
            std::erase_if(synonyms, [](const Synonym& s) {
                return s.source != config_source::kDynamicDefaultBroker;
            });
        }
        DescribedConfig c;
        c.name = name;
        c.value = sensitive    ? std::nullopt
                  : per_broker ? merged_broker_value(config, dynamic, name)
                               : from_map(dynamic.cluster_default, name).value_or(std::nullopt);
        c.read_only = def == nullptr || def->update_mode == UpdateMode::ReadOnly;
        c.is_sensitive = sensitive;
        c.config_source = synonyms.empty() ? config_source::kDefault : synonyms.front().source;
        c.config_type = def != nullptr ? static_cast<int8_t>(type) : 0;  // 0: UNKNOWN
        if (options.include_synonyms) {
            c.synonyms = std::move(synonyms);
        }
        if (options.include_documentation && def != nullptr) {
            c.documentation = def->doc;
        }
        out.push_back(std::move(c));
    };
    if (per_broker) {
        for (const auto& def : config_definitions()) {
            if (wanted(options, def.name)) {
                describe(def.name, &def);
            }
        }
        // Dynamic configs no definition knows (Kafka stores them too).
        for (const auto* m : {&dynamic.per_broker, &dynamic.cluster_default}) {
            for (const auto& [name, value] : *m) {
                if (find_config_definition(name) == nullptr && wanted(options, name)
                    && std::none_of(out.begin(), out.end(),
                                    [&](const DescribedConfig& c) { return c.name == name; })) {
                    describe(name, nullptr);
                }
            }
        }
    } else {
        for (const auto& [name, value] : dynamic.cluster_default) {
            if (wanted(options, name)) {
                describe(name, find_config_definition(name));
            }
        }
    }
    return out;
}

storage::LogConfig make_log_config(const std::map<std::string, std::optional<std::string>>& v) {
    storage::LogConfig lc;
    lc.segment_bytes = static_cast<int32_t>(long_of(v, "segment.bytes", lc.segment_bytes));
    lc.segment_ms = long_of(v, "segment.ms", lc.segment_ms);
    lc.segment_jitter_ms = long_of(v, "segment.jitter.ms", lc.segment_jitter_ms);
    lc.segment_index_bytes =
        static_cast<int32_t>(long_of(v, "segment.index.bytes", lc.segment_index_bytes));
    lc.index_interval_bytes =
        static_cast<int32_t>(long_of(v, "index.interval.bytes", lc.index_interval_bytes));
    lc.retention_ms = long_of(v, "retention.ms", lc.retention_ms);
    lc.retention_bytes = long_of(v, "retention.bytes", lc.retention_bytes);
    lc.delete_retention_ms = long_of(v, "delete.retention.ms", lc.delete_retention_ms);
    lc.file_delete_delay_ms = long_of(v, "file.delete.delay.ms", lc.file_delete_delay_ms);
    lc.flush_messages = long_of(v, "flush.messages", lc.flush_messages);
    lc.flush_ms = long_of(v, "flush.ms", lc.flush_ms);
    lc.max_message_bytes =
        static_cast<int32_t>(long_of(v, "max.message.bytes", lc.max_message_bytes));
    lc.min_compaction_lag_ms = long_of(v, "min.compaction.lag.ms", lc.min_compaction_lag_ms);
    lc.max_compaction_lag_ms = long_of(v, "max.compaction.lag.ms", lc.max_compaction_lag_ms);
    lc.timestamp_before_max_ms =
        long_of(v, "message.timestamp.before.max.ms", lc.timestamp_before_max_ms);
    lc.timestamp_after_max_ms =
        long_of(v, "message.timestamp.after.max.ms", lc.timestamp_after_max_ms);
    auto text = [&](const char* name) -> std::optional<std::string> {
        auto it = v.find(name);
        return it == v.end() ? std::nullopt : it->second;
    };
    if (auto policy = text("cleanup.policy")) {
        const auto items = split_list(*policy);
        lc.cleanup_delete = std::find(items.begin(), items.end(), "delete") != items.end();
        lc.cleanup_compact = std::find(items.begin(), items.end(), "compact") != items.end();
    }
    if (auto ratio = text("min.cleanable.dirty.ratio")) {
        char* end = nullptr;
        const double d = std::strtod(ratio->c_str(), &end);
        if (end != ratio->c_str()) {
            lc.min_cleanable_dirty_ratio = d;
        }
    }
    if (auto type = text("message.timestamp.type")) {
        lc.timestamp_type = *type == "LogAppendTime" ? storage::TimestampType::log_append_time
                                                     : storage::TimestampType::create_time;
    }
    if (auto pre = text("preallocate")) {
        lc.preallocate = *pre == "true";
    }
    lc.min_insync_replicas =
        static_cast<int32_t>(long_of(v, "min.insync.replicas", lc.min_insync_replicas));
    if (auto codec = text("compression.type")) {
        static const std::pair<const char*, int8_t> kCodecs[] = {
            {"producer", -1}, {"uncompressed", 0}, {"gzip", 1},
            {"snappy", 2},    {"lz4", 3},          {"zstd", 4}};
        for (const auto& [name, id] : kCodecs) {
            if (*codec == name) {
                lc.compression_type = id;
            }
        }
    }
    return lc;
}

}  // namespace gregor::broker
