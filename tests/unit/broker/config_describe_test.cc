// Configs as DescribeConfigs shows them: layers, sources, synonyms (checked against Apache Kafka
// 4.1.1's answers in tests/interop/test_configs.py), and the alter checks' messages.

#include "gregor/broker/config_describe.h"

#include <gtest/gtest.h>

namespace gregor::broker {
namespace {

namespace src = config_source;

Config load(std::vector<std::string> overrides = {}) {
    auto c = Config::load_default(overrides);
    EXPECT_TRUE(c.has_value()) << c.error();
    return std::move(*c);
}

const DescribedConfig& find(const std::vector<DescribedConfig>& all, std::string_view name) {
    for (const auto& c : all) {
        if (c.name == name) {
            return c;
        }
    }
    ADD_FAILURE() << "no config " << name;
    static const DescribedConfig kNone;
    return kNone;
}

std::vector<std::tuple<std::string, std::optional<std::string>, int8_t>> synonyms(
    const DescribedConfig& c) {
    std::vector<std::tuple<std::string, std::optional<std::string>, int8_t>> out;
    for (const auto& s : c.synonyms) {
        out.emplace_back(s.name, s.value, s.source);
    }
    return out;
}

DescribeOptions with_synonyms() {
    DescribeOptions o;
    o.include_synonyms = true;
    o.include_documentation = true;
    return o;
}

TEST(ConfigDescribe, TopicDefaultsAsKafka) {
    const auto all = describe_topic_configs(load(), {}, {}, with_synonyms());
    EXPECT_EQ(all.size(), 33U);
    const auto& retention = find(all, "retention.ms");
    EXPECT_EQ(retention.value, "604800000");
    EXPECT_EQ(retention.config_source, src::kDefault);
    EXPECT_EQ(retention.config_type, static_cast<int8_t>(ConfigType::Long));
    // Kafka lists a topic config's broker synonyms from its primary name on, and
    // log.retention.ms has no value.
    EXPECT_TRUE(retention.synonyms.empty());
    const auto& policy = find(all, "cleanup.policy");
    EXPECT_EQ(policy.value, "delete");
    EXPECT_EQ(synonyms(policy),
              (decltype(synonyms(policy)){{"log.cleanup.policy", "delete", src::kDefault}}));
    EXPECT_EQ(find(all, "remote.storage.enable").value, "false");
    EXPECT_EQ(find(all, "follower.replication.throttled.replicas").config_type,
              static_cast<int8_t>(ConfigType::List));
    for (const auto& c : all) {
        EXPECT_TRUE(c.documentation.has_value()) << c.name;
        EXPECT_FALSE(c.read_only);
    }
}

TEST(ConfigDescribe, LayersInKafkasPrecedence) {
    const Config config = load({"log.retention.hours=1", "log.segment.bytes=2097152"});
    DynamicBrokerConfigs dynamic;
    auto all = describe_topic_configs(config, dynamic, {}, with_synonyms());
    EXPECT_EQ(find(all, "retention.ms").value, "3600000");
    const auto& segment = find(all, "segment.bytes");
    EXPECT_EQ(segment.value, "2097152");
    EXPECT_EQ(segment.config_source, src::kStaticBroker);
    EXPECT_EQ(synonyms(segment),
              (decltype(synonyms(segment)){{"log.segment.bytes", "2097152", src::kStaticBroker},
                                           {"log.segment.bytes", "1073741824", src::kDefault}}));

    dynamic.cluster_default["log.retention.ms"] = "5000";
    dynamic.cluster_default["log.segment.bytes"] = "3145728";
    dynamic.per_broker["log.segment.bytes"] = "4194304";
    all = describe_topic_configs(config, dynamic, {}, with_synonyms());
    const auto& retention = find(all, "retention.ms");
    EXPECT_EQ(retention.value, "5000");
    EXPECT_EQ(retention.config_source, src::kDynamicDefaultBroker);
    EXPECT_EQ(find(all, "segment.bytes").value, "4194304");
    EXPECT_EQ(find(all, "segment.bytes").config_source, src::kDynamicBroker);
    EXPECT_EQ(find(all, "segment.bytes").synonyms.size(), 4U);

    all = describe_topic_configs(config, dynamic, {{"retention.ms", "7"}}, with_synonyms());
    const auto& overridden = find(all, "retention.ms");
    EXPECT_EQ(overridden.value, "7");
    EXPECT_EQ(overridden.config_source, src::kDynamicTopic);
    EXPECT_EQ(std::get<0>(synonyms(overridden).at(1)), "log.retention.ms");

    DescribeOptions only;
    only.keys = std::vector<std::string>{"retention.ms", "nope"};
    all = describe_topic_configs(config, dynamic, {}, only);
    ASSERT_EQ(all.size(), 1U);
    EXPECT_TRUE(all[0].synonyms.empty());
    EXPECT_FALSE(all[0].documentation.has_value());
}

TEST(ConfigDescribe, BrokerResources) {
    const Config config = load();
    DynamicBrokerConfigs dynamic;
    dynamic.cluster_default["log.retention.ms"] = "5000";
    dynamic.cluster_default["custom.thing"] = "x";
    dynamic.per_broker["log.cleaner.threads"] = "2";
    auto all = describe_broker_configs(config, dynamic, true, with_synonyms());
    EXPECT_EQ(find(all, "log.retention.ms").value, "5000");
    EXPECT_EQ(find(all, "log.retention.ms").config_source, src::kDynamicDefaultBroker);
    const auto& threads = find(all, "log.cleaner.threads");
    EXPECT_EQ(threads.value, "2");
    EXPECT_EQ(synonyms(threads),
              (decltype(synonyms(threads)){{"log.cleaner.threads", "2", src::kDynamicBroker},
                                           {"log.cleaner.threads", "1", src::kDefault}}));
    EXPECT_TRUE(find(all, "log.retention.hours").read_only);
    const auto& password = find(all, "ssl.keystore.password");
    EXPECT_TRUE(password.is_sensitive);
    EXPECT_FALSE(password.value.has_value());
    // Kafka cannot type a config it does not know, so it hides its value.
    EXPECT_TRUE(find(all, "custom.thing").is_sensitive);

    auto defaults = describe_broker_configs(config, dynamic, false, with_synonyms());
    ASSERT_EQ(defaults.size(), 2U);
    const auto& retention = find(defaults, "log.retention.ms");
    EXPECT_EQ(
        synonyms(retention),
        (decltype(synonyms(retention)){{"log.retention.ms", "5000", src::kDynamicDefaultBroker}}));
}

TEST(ConfigDescribe, ValueChecksWithKafkasMessages) {
    EXPECT_EQ(check_topic_config_value("retention.ms", "abc"),
              "Invalid value abc for configuration retention.ms: Not a number of type LONG");
    EXPECT_EQ(check_topic_config_value("retention.ms", "-5"),
              "Invalid value -5 for configuration retention.ms: Value must be at least -1");
    EXPECT_EQ(check_topic_config_value("retention.ms", "-1"), std::nullopt);
    EXPECT_EQ(check_topic_config_value("cleanup.policy", "compact,foo"),
              "Invalid value foo for configuration cleanup.policy: String must be one of: "
              "compact, delete");
    EXPECT_EQ(check_topic_config_value("cleanup.policy", "compact, delete"), std::nullopt);
    EXPECT_EQ(check_topic_config_value("preallocate", "yes"),
              "Invalid value yes for configuration preallocate: Expected value to be either "
              "true or false");
    EXPECT_EQ(check_topic_config_value("max.message.bytes", "99999999999"),
              "Invalid value 99999999999 for configuration max.message.bytes: Not a number of "
              "type INT");
    EXPECT_EQ(check_topic_config_value("message.timestamp.type", "Now"),
              "Invalid value Now for configuration message.timestamp.type: String must be one of: "
              "CreateTime, LogAppendTime");
    EXPECT_TRUE(is_topic_config("segment.ms"));
    EXPECT_FALSE(is_topic_config("log.retention.ms"));
    EXPECT_EQ(topic_config_default("cleanup.policy"), "delete");
    EXPECT_EQ(topic_config_default("segment.ms"), "604800000");
}

TEST(ConfigDescribe, LogConfigFollowsTheEffectiveValues) {
    DynamicBrokerConfigs dynamic;
    dynamic.cluster_default["log.retention.ms"] = "5000";
    auto lc = make_log_config(effective_topic_values(
        load(), dynamic, {{"cleanup.policy", "compact"}, {"segment.bytes", "2097152"}}));
    EXPECT_EQ(lc.retention_ms, 5000);
    EXPECT_TRUE(lc.cleanup_compact);
    EXPECT_FALSE(lc.cleanup_delete);
    EXPECT_EQ(lc.segment_bytes, 2097152);
    EXPECT_EQ(make_log_config(effective_topic_values(load(), {}, {})).retention_ms, 604800000);
}

}  // namespace
}  // namespace gregor::broker
