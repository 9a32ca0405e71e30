#include "gregor/broker/config.h"

#include "gregor/common/logging.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

namespace gregor::broker {
namespace {

// A valid combined node without listeners, so tests can add their own.
constexpr std::string_view kRoles = R"(
process.roles: broker,controller
node.id: 1
controller.listener.names: CONTROLLER
controller.quorum.voters: 1@localhost:9093
)";
constexpr std::string_view kListeners =
    "listeners: PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093\n";

result<Config, std::string> load(std::string_view extra,
                                 const std::vector<std::string>& overrides = {}) {
    return Config::load_yaml(std::string(kRoles) + std::string(kListeners) + std::string(extra),
                             overrides, "test.yaml");
}

result<Config, std::string> load_with_listeners(std::string_view extra) {
    return Config::load_yaml(std::string(kRoles) + std::string(extra), {}, "test.yaml");
}

Config load_ok(std::string_view extra, const std::vector<std::string>& overrides = {}) {
    auto cfg = load(extra, overrides);
    EXPECT_TRUE(cfg.has_value()) << (cfg ? "" : cfg.error());
    return std::move(cfg).value();
}

// The error text, or "" (with a test failure) when loading succeeded.
std::string load_error(std::string_view extra) {
    auto cfg = load(extra);
    EXPECT_FALSE(cfg.has_value()) << "expected a refusal for: " << extra;
    return cfg ? "" : cfg.error();
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

// --- The definition table ---

TEST(ConfigDefinitionsTest, DefaultsMatchKafka) {
    Config cfg = load_ok("");
    EXPECT_EQ(cfg.get_int("num.partitions"), 1);
    EXPECT_EQ(cfg.get_int("default.replication.factor"), 1);
    EXPECT_EQ(cfg.get_int("min.insync.replicas"), 1);
    EXPECT_EQ(cfg.get_int("message.max.bytes"), 1048588);
    EXPECT_EQ(cfg.get_int("log.segment.bytes"), 1073741824);
    EXPECT_EQ(cfg.get_int("log.roll.hours"), 168);
    EXPECT_EQ(cfg.get_int("log.retention.hours"), 168);
    EXPECT_FALSE(cfg.has_value("log.retention.ms"));
    EXPECT_FALSE(cfg.has_value("log.retention.minutes"));
    EXPECT_EQ(cfg.get_long("log.retention.bytes"), -1);
    EXPECT_EQ(cfg.get_long("log.retention.check.interval.ms"), 300000);
    EXPECT_EQ(cfg.get_int("log.index.interval.bytes"), 4096);
    EXPECT_EQ(cfg.get_int("log.index.size.max.bytes"), 10485760);
    EXPECT_EQ(cfg.get_long("log.flush.interval.messages"), INT64_MAX);
    EXPECT_EQ(cfg.get_list("log.cleanup.policy"), std::vector<std::string>{"delete"});
    EXPECT_TRUE(cfg.get_bool("log.cleaner.enable"));
    EXPECT_DOUBLE_EQ(cfg.get_double("log.cleaner.min.cleanable.ratio"), 0.5);
    EXPECT_EQ(cfg.get_long("log.cleaner.delete.retention.ms"), 86400000);
    EXPECT_EQ(cfg.get_long("log.cleaner.max.compaction.lag.ms"), INT64_MAX);
    EXPECT_EQ(cfg.get_string("log.message.timestamp.type"), "CreateTime");
    EXPECT_EQ(cfg.get_long("log.message.timestamp.after.max.ms"), 3600000);
    EXPECT_EQ(cfg.get_string("compression.type"), "producer");
    EXPECT_EQ(cfg.get_int("offsets.topic.num.partitions"), 50);
    EXPECT_EQ(cfg.get_int("offsets.topic.replication.factor"), 3);
    EXPECT_EQ(cfg.get_int("offsets.retention.minutes"), 10080);
    EXPECT_EQ(cfg.get_int("transaction.state.log.min.isr"), 2);
    EXPECT_EQ(cfg.get_int("group.initial.rebalance.delay.ms"), 3000);
    EXPECT_EQ(cfg.get_int("group.max.session.timeout.ms"), 1800000);
    EXPECT_EQ(cfg.get_int("producer.id.expiration.ms"), 86400000);
    EXPECT_EQ(cfg.get_long("replica.lag.time.max.ms"), 30000);
    EXPECT_EQ(cfg.get_int("socket.request.max.bytes"), 104857600);
    EXPECT_EQ(cfg.get_int("queued.max.requests"), 500);
    EXPECT_EQ(cfg.get_long("connections.max.idle.ms"), 600000);
    EXPECT_EQ(cfg.get_int("max.connections"), INT32_MAX);
    EXPECT_EQ(cfg.get_int("sasl.server.max.receive.size"), 512 * 1024);
    EXPECT_EQ(cfg.get_int("fetch.max.bytes"), 55 * 1024 * 1024);
    EXPECT_FALSE(cfg.get_bool("unclean.leader.election.enable"));
    EXPECT_TRUE(cfg.get_bool("delete.topic.enable"));
    EXPECT_TRUE(cfg.get_bool("auto.create.topics.enable"));
    EXPECT_EQ(cfg.get_list("log.dir"), std::vector<std::string>{"/tmp/kafka-logs"});
    EXPECT_EQ(cfg.get_string("listener.security.protocol.map"),
              "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT");
    EXPECT_EQ(cfg.get_int("gregor.admin.http.port"), 9644);
    EXPECT_EQ(cfg.get_string("log.level"), "info");

    EXPECT_TRUE(cfg.is_default("num.partitions"));
    EXPECT_EQ(cfg.source("num.partitions"), ConfigSource::DefaultConfig);
    EXPECT_EQ(describe_configs_source(ConfigSource::DefaultConfig), 5);
    EXPECT_EQ(cfg.describe_value("log.cleaner.min.cleanable.ratio"), "0.5");
    EXPECT_EQ(cfg.describe_value("log.retention.ms"), std::nullopt);
}

TEST(ConfigDefinitionsTest, NetworkThreadsDefaultToCores) {
    Config cfg = load_ok("");
    unsigned cores = std::max(1U, std::thread::hardware_concurrency());
    EXPECT_EQ(cfg.get_int("num.network.threads"), static_cast<int32_t>(cores));
}

TEST(ConfigDefinitionsTest, CoversTheRequiredKeysWithDocs) {
    for (std::string_view name : {"process.roles",
                                  "node.id",
                                  "broker.id",
                                  "controller.quorum.voters",
                                  "controller.quorum.bootstrap.servers",
                                  "controller.listener.names",
                                  "listeners",
                                  "advertised.listeners",
                                  "listener.security.protocol.map",
                                  "inter.broker.listener.name",
                                  "broker.rack",
                                  "log.dirs",
                                  "log.dir",
                                  "num.network.threads",
                                  "num.io.threads",
                                  "socket.request.max.bytes",
                                  "socket.send.buffer.bytes",
                                  "socket.receive.buffer.bytes",
                                  "queued.max.requests",
                                  "queued.max.request.bytes",
                                  "connections.max.idle.ms",
                                  "max.connections",
                                  "max.connections.per.ip",
                                  "sasl.server.max.receive.size",
                                  "auto.create.topics.enable",
                                  "num.partitions",
                                  "default.replication.factor",
                                  "min.insync.replicas",
                                  "message.max.bytes",
                                  "log.segment.bytes",
                                  "log.roll.ms",
                                  "log.roll.hours",
                                  "log.retention.ms",
                                  "log.retention.minutes",
                                  "log.retention.hours",
                                  "log.retention.bytes",
                                  "log.retention.check.interval.ms",
                                  "log.index.interval.bytes",
                                  "log.index.size.max.bytes",
                                  "log.flush.interval.messages",
                                  "log.flush.interval.ms",
                                  "log.cleanup.policy",
                                  "log.cleaner.enable",
                                  "log.cleaner.min.cleanable.ratio",
                                  "log.cleaner.delete.retention.ms",
                                  "log.cleaner.min.compaction.lag.ms",
                                  "log.cleaner.max.compaction.lag.ms",
                                  "log.message.timestamp.type",
                                  "log.message.timestamp.before.max.ms",
                                  "log.message.timestamp.after.max.ms",
                                  "compression.type",
                                  "offsets.topic.num.partitions",
                                  "offsets.topic.replication.factor",
                                  "offsets.retention.minutes",
                                  "transaction.state.log.num.partitions",
                                  "transaction.state.log.replication.factor",
                                  "transaction.state.log.min.isr",
                                  "group.initial.rebalance.delay.ms",
                                  "group.min.session.timeout.ms",
                                  "group.max.session.timeout.ms",
                                  "group.max.size",
                                  "producer.id.expiration.ms",
                                  "delete.topic.enable",
                                  "unclean.leader.election.enable",
                                  "replica.lag.time.max.ms",
                                  "num.replica.fetchers",
                                  "cluster.id",
                                  "metadata.log.dir",
                                  "metadata.log.segment.bytes",
                                  "fetch.max.bytes",
                                  "gregor.admin.http.port",
                                  "log.level",
                                  "log.level.net",
                                  "log.level.protocol",
                                  "log.level.storage",
                                  "log.level.replication",
                                  "log.level.controller",
                                  "log.level.coordinator",
                                  "log.level.security",
                                  "log.level.broker"}) {
        const ConfigDef* def = find_config_definition(name);
        ASSERT_NE(def, nullptr) << name;
        EXPECT_FALSE(def->doc.empty()) << name;
    }
    const auto& defs = config_definitions();
    EXPECT_TRUE(std::is_sorted(defs.begin(), defs.end(),
                               [](const auto& a, const auto& b) { return a.name < b.name; }));
    EXPECT_EQ(find_config_definition("no.such.config"), nullptr);
}

TEST(ConfigDefinitionsTest, TypesModesAndOrigins) {
    auto def = [](std::string_view n) { return *find_config_definition(n); };
    EXPECT_EQ(def("log.retention.ms").type, ConfigType::Long);
    EXPECT_EQ(def("log.retention.hours").type, ConfigType::Int);
    EXPECT_EQ(def("offsets.topic.replication.factor").type, ConfigType::Short);
    EXPECT_EQ(def("ssl.keystore.password").type, ConfigType::Password);
    EXPECT_TRUE(def("ssl.keystore.password").sensitive());
    EXPECT_EQ(def("principal.builder.class").type, ConfigType::Class);
    EXPECT_EQ(def("log.retention.ms").update_mode, UpdateMode::ClusterWide);
    EXPECT_EQ(def("log.retention.hours").update_mode, UpdateMode::ReadOnly);
    EXPECT_EQ(def("listeners").update_mode, UpdateMode::PerBroker);
    EXPECT_EQ(def("num.partitions").update_mode, UpdateMode::ReadOnly);
    EXPECT_EQ(def("min.insync.replicas").importance, Importance::High);
    EXPECT_EQ(def("listener.security.protocol.map").importance, Importance::Low);
    EXPECT_EQ(def("cluster.id").origin, ConfigOrigin::Gregor);
    EXPECT_EQ(def("num.partitions").origin, ConfigOrigin::Kafka);
    EXPECT_EQ(def("log.retention.minutes").default_text, std::nullopt);
    EXPECT_EQ(def("log.retention.hours").default_text, "168");
    EXPECT_EQ(to_string(UpdateMode::ClusterWide), "cluster-wide");
    EXPECT_EQ(static_cast<int>(ConfigType::Password), 9);
}

TEST(ConfigDefinitionsTest, TopicSynonymsInKafkaOrder) {
    auto topic = [](std::string_view n) { return find_config_definition(n)->topic_synonym; };
    EXPECT_EQ(topic("log.retention.ms"), "retention.ms");
    EXPECT_EQ(topic("log.retention.hours"), "retention.ms");
    EXPECT_EQ(topic("log.segment.bytes"), "segment.bytes");
    EXPECT_EQ(topic("log.roll.hours"), "segment.ms");
    EXPECT_EQ(topic("message.max.bytes"), "max.message.bytes");
    EXPECT_EQ(topic("log.cleanup.policy"), "cleanup.policy");
    EXPECT_EQ(topic("min.insync.replicas"), "min.insync.replicas");
    EXPECT_EQ(topic("compression.type"), "compression.type");
    EXPECT_EQ(topic("log.message.timestamp.type"), "message.timestamp.type");
    EXPECT_EQ(topic("log.cleaner.min.cleanable.ratio"), "min.cleanable.dirty.ratio");
    EXPECT_EQ(topic("num.partitions"), "");

    const TopicConfigSynonyms* retention = find_topic_config_synonyms("retention.ms");
    ASSERT_NE(retention, nullptr);
    ASSERT_EQ(retention->broker_configs.size(), 3U);
    EXPECT_EQ(retention->broker_configs[0].name, "log.retention.ms");
    EXPECT_EQ(retention->broker_configs[1].name, "log.retention.minutes");
    EXPECT_EQ(retention->broker_configs[1].unit, SynonymUnit::MinutesToMs);
    EXPECT_EQ(retention->broker_configs[2].name, "log.retention.hours");
    EXPECT_EQ(retention->broker_configs[2].unit, SynonymUnit::HoursToMs);
    EXPECT_EQ(find_topic_config_synonyms("no.such"), nullptr);

    using V = std::vector<std::string>;
    EXPECT_EQ(broker_config_synonyms("log.retention.hours"),
              (V{"log.retention.ms", "log.retention.minutes", "log.retention.hours"}));
    EXPECT_EQ(broker_config_synonyms("log.roll.ms"), (V{"log.roll.ms", "log.roll.hours"}));
    EXPECT_EQ(broker_config_synonyms("log.flush.interval.ms"),
              (V{"log.flush.interval.ms", "log.flush.scheduler.interval.ms"}));
    EXPECT_EQ(broker_config_synonyms("log.flush.scheduler.interval.ms"),
              (V{"log.flush.scheduler.interval.ms"}));
    EXPECT_EQ(broker_config_synonyms("num.partitions"), (V{"num.partitions"}));
}

// --- The embedded default and the example file ---

TEST(ConfigDefaultTest, EmbeddedDefaultIsOneCombinedNode) {
    auto cfg = Config::load_default();
    ASSERT_TRUE(cfg.has_value()) << cfg.error();
    EXPECT_TRUE(cfg->is_broker());
    EXPECT_TRUE(cfg->is_controller());
    EXPECT_EQ(cfg->node_id(), 1);
    EXPECT_EQ(cfg->get_int("broker.id"), 1);
    EXPECT_EQ(cfg->log_dirs(), std::vector<std::string>{"./data"});
    EXPECT_EQ(cfg->metadata_log_dir(), "./data");
    EXPECT_EQ(cfg->origin(), "<embedded default>");
    EXPECT_EQ(cfg->source("log.dirs"), ConfigSource::StaticBrokerConfig);
    EXPECT_EQ(describe_configs_source(ConfigSource::StaticBrokerConfig), 4);
    EXPECT_TRUE(cfg->warnings().empty());

    const auto& ls = cfg->listeners();
    ASSERT_EQ(ls.size(), 2U);
    EXPECT_EQ(ls[0].endpoint(), "PLAINTEXT://localhost:9092");
    EXPECT_EQ(ls[0].security_protocol, SecurityProtocol::Plaintext);
    EXPECT_FALSE(ls[0].controller);
    EXPECT_TRUE(ls[0].advertised);
    EXPECT_EQ(ls[1].name, "CONTROLLER");
    EXPECT_TRUE(ls[1].controller);
    // CONTROLLER is not in Kafka's default protocol map; Kafka maps it to PLAINTEXT implicitly.
    EXPECT_EQ(ls[1].security_protocol, SecurityProtocol::Plaintext);
    EXPECT_EQ(cfg->inter_broker_listener_name(), "PLAINTEXT");
    ASSERT_EQ(cfg->quorum_voters().size(), 1U);
    EXPECT_EQ(cfg->quorum_voters()[0].id, 1);
    EXPECT_EQ(cfg->quorum_voters()[0].port, 9093);
}

TEST(ConfigDefaultTest, ExampleFileMatchesEmbeddedDefault) {
    auto file = Config::load_file(std::string(GREGOR_SOURCE_DIR) + "/config/gregor.yaml");
    ASSERT_TRUE(file.has_value()) << file.error();
    auto embedded = Config::load_default();
    ASSERT_TRUE(embedded.has_value()) << embedded.error();
    EXPECT_TRUE(file->warnings().empty());
    for (const auto& def : config_definitions()) {
        EXPECT_EQ(file->describe_value(def.name), embedded->describe_value(def.name)) << def.name;
        EXPECT_EQ(file->is_default(def.name), embedded->is_default(def.name)) << def.name;
    }
}

TEST(ConfigDefaultTest, OverridesApplyToTheEmbeddedDefault) {
    auto cfg = Config::load_default({"log.dirs=/var/lib/gregor", "num.partitions=3"});
    ASSERT_TRUE(cfg.has_value()) << cfg.error();
    EXPECT_EQ(cfg->log_dirs(), std::vector<std::string>{"/var/lib/gregor"});
    EXPECT_EQ(cfg->get_int("num.partitions"), 3);
}

// --- YAML shapes ---

TEST(ConfigYamlTest, FlatAndNestedKeys) {
    Config cfg = load_ok(R"(
num.partitions: 6
log:
  retention:
    hours: 1
  segment.bytes: 2097152
auto.create.topics.enable: False
)");
    EXPECT_EQ(cfg.get_int("num.partitions"), 6);
    EXPECT_EQ(cfg.get_int("log.retention.hours"), 1);
    EXPECT_EQ(cfg.log_retention_ms(), 3'600'000);
    EXPECT_EQ(cfg.get_int("log.segment.bytes"), 2097152);
    EXPECT_FALSE(cfg.get_bool("auto.create.topics.enable"));
    EXPECT_EQ(cfg.source("log.retention.hours"), ConfigSource::StaticBrokerConfig);
    EXPECT_FALSE(cfg.is_default("log.retention.hours"));
}

TEST(ConfigYamlTest, SequencesForListsAndListenerStrings) {
    auto cfg = Config::load_yaml(R"(
process.roles: [broker, controller]
node.id: 1
controller.listener.names: [CONTROLLER]
controller.quorum.voters: ["1@localhost:9093"]
listeners:
  - PLAINTEXT://localhost:9092
  - CONTROLLER://localhost:9093
log.dirs: [/a, /b]
log.cleanup.policy: compact, delete
)");
    ASSERT_TRUE(cfg.has_value()) << cfg.error();
    EXPECT_EQ(cfg->log_dirs(), (std::vector<std::string>{"/a", "/b"}));
    EXPECT_EQ(cfg->get_list("log.cleanup.policy"), (std::vector<std::string>{"compact", "delete"}));
    EXPECT_EQ(cfg->get_string("listeners"),
              "PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093");
    EXPECT_EQ(cfg->listeners().size(), 2U);
    EXPECT_EQ(cfg->describe_value("log.dirs"), "/a,/b");
}

TEST(ConfigYamlTest, SameKeyFlatAndNestedIsRefused) {
    std::string err = load_error("log.retention.hours: 1\nlog:\n  retention:\n    hours: 2\n");
    EXPECT_TRUE(contains(err, "log.retention.hours")) << err;
}

TEST(ConfigYamlTest, ListForAScalarIsRefused) {
    std::string err = load_error("num.partitions: [1, 2]\n");
    EXPECT_TRUE(contains(err, "num.partitions")) << err;
}

TEST(ConfigYamlTest, MalformedYamlAndShapes) {
    auto bad = Config::load_yaml("num.partitions: [1,\n", {}, "broken.yaml");
    ASSERT_FALSE(bad.has_value());
    EXPECT_TRUE(contains(bad.error(), "broken.yaml")) << bad.error();

    auto scalar = Config::load_yaml("just a string", {}, "scalar.yaml");
    ASSERT_FALSE(scalar.has_value());
    EXPECT_TRUE(contains(scalar.error(), "mapping")) << scalar.error();

    auto empty = Config::load_yaml("", {}, "empty.yaml");
    ASSERT_FALSE(empty.has_value());
    EXPECT_TRUE(contains(empty.error(), "process.roles")) << empty.error();
    EXPECT_TRUE(contains(empty.error(), "node.id")) << empty.error();
}

TEST(ConfigYamlTest, MissingFileIsAnError) {
    auto cfg = Config::load_file("/nonexistent/gregor.yaml");
    ASSERT_FALSE(cfg.has_value());
    EXPECT_TRUE(contains(cfg.error(), "/nonexistent/gregor.yaml")) << cfg.error();
}

TEST(ConfigYamlTest, LoadsFromAFile) {
    std::string path = ::testing::TempDir() + "gregor_config_test.yaml";
    {
        std::ofstream out(path);
        out << kRoles << kListeners << "num.io.threads: 4\n";
    }
    auto cfg = Config::load_file(path, {"num.io.threads=16"});
    std::remove(path.c_str());
    ASSERT_TRUE(cfg.has_value()) << cfg.error();
    EXPECT_EQ(cfg->get_int("num.io.threads"), 16);
    EXPECT_EQ(cfg->origin(), path);
}

// --- Overrides and unknown keys ---

TEST(ConfigOverrideTest, OverrideWinsOverFile) {
    Config cfg = load_ok("num.partitions: 3\n", {"num.partitions=7", "log.dirs = /x,/y"});
    EXPECT_EQ(cfg.get_int("num.partitions"), 7);
    EXPECT_EQ(cfg.source("num.partitions"), ConfigSource::CommandLineOverride);
    EXPECT_EQ(describe_configs_source(ConfigSource::CommandLineOverride), 4);
    EXPECT_EQ(cfg.log_dirs(), (std::vector<std::string>{"/x", "/y"}));
}

TEST(ConfigOverrideTest, MalformedOverrideIsRefused) {
    auto cfg = load("", {"num.partitions"});
    ASSERT_FALSE(cfg.has_value());
    EXPECT_TRUE(contains(cfg.error(), "num.partitions")) << cfg.error();

    auto kv = parse_override("a.b=c=d");
    ASSERT_TRUE(kv.has_value());
    EXPECT_EQ(kv->first, "a.b");
    EXPECT_EQ(kv->second, "c=d");
    EXPECT_FALSE(parse_override("=x").has_value());
}

TEST(ConfigOverrideTest, InvalidOverrideValueNamesTheKey) {
    auto cfg = load("", {"num.io.threads=0"});
    ASSERT_FALSE(cfg.has_value());
    EXPECT_TRUE(contains(cfg.error(), "num.io.threads")) << cfg.error();
}

TEST(ConfigUnknownTest, UnknownKeyWarnsButLoads) {
    Config cfg = load_ok("foo.bar: 12\nlistener.name.sasl_ssl.plain.sasl.jaas.config: x\n",
                         {"also.unknown=1"});
    ASSERT_EQ(cfg.warnings().size(), 2U);
    EXPECT_TRUE(contains(cfg.warnings()[0] + cfg.warnings()[1], "foo.bar"));
    EXPECT_TRUE(contains(cfg.warnings()[0] + cfg.warnings()[1], "also.unknown"));
    EXPECT_EQ(cfg.unknown_keys().at("foo.bar"), "12");
    EXPECT_EQ(cfg.unknown_keys().count("listener.name.sasl_ssl.plain.sasl.jaas.config"), 1U);
}

// --- Invalid values ---

TEST(ConfigInvalidTest, EachBadValueNamesItsKey) {
    struct Case {
        const char* yaml;
        const char* key;
        const char* reason;
    };
    for (const Case& c : {
             Case{"num.partitions: abc\n", "num.partitions", "not a number of type INT"},
             Case{"num.partitions: 3000000000\n", "num.partitions", "INT"},
             Case{"num.partitions: 0\n", "num.partitions", "at least 1"},
             Case{"log.retention.bytes: 1.5\n", "log.retention.bytes", "LONG"},
             Case{"compression.type: brotli\n", "compression.type", "one of"},
             Case{"log.message.timestamp.type: createtime\n", "log.message.timestamp.type",
                  "one of"},
             Case{"log.cleanup.policy: delete,archive\n", "log.cleanup.policy", "archive"},
             Case{"auto.create.topics.enable: yes\n", "auto.create.topics.enable", "true or false"},
             Case{"log.cleaner.min.cleanable.ratio: 1.5\n", "log.cleaner.min.cleanable.ratio",
                  "between"},
             Case{"compression.gzip.level: 0\n", "compression.gzip.level", "or -1"},
             Case{"offsets.topic.replication.factor: 40000\n", "offsets.topic.replication.factor",
                  "SHORT"},
             Case{"log.segment.bytes: 1000\n", "log.segment.bytes", "at least 1048576"},
             Case{"cluster.id: not-a-uuid\n", "cluster.id", "base64"},
             Case{"log.level: loud\n", "log.level", "one of"},
             Case{"log.level.net: chatty\n", "log.level.net", "one of"},
             Case{"gregor.admin.http.port: 70000\n", "gregor.admin.http.port", "between"},
             Case{"log.dirs: /a,,/b\n", "log.dirs", "empty"},
             Case{"log.dirs: /a,/a\n", "log.dirs", "duplicate"},
             Case{"controller.quorum.bootstrap.servers: nohostport\n",
                  "controller.quorum.bootstrap.servers", "host:port"},
         }) {
        std::string err = load_error(c.yaml);
        EXPECT_TRUE(contains(err, c.key)) << c.yaml << " -> " << err;
        EXPECT_TRUE(contains(err, c.reason)) << c.yaml << " -> " << err;
    }
}

TEST(ConfigInvalidTest, AllProblemsAreReportedTogether) {
    std::string err = load_error("num.partitions: x\nnum.io.threads: 0\n");
    EXPECT_TRUE(contains(err, "num.partitions")) << err;
    EXPECT_TRUE(contains(err, "num.io.threads")) << err;
}

TEST(ConfigInvalidTest, BadListenerStringsNameTheKey) {
    for (const char* value : {"PLAINTEXT//localhost:9092", "PLAINTEXT://localhost",
                              "PLAINTEXT://localhost:99999", "PLAINTEXT://localhost:-1",
                              "://localhost:9092", "PLAIN TEXT://h:1", "PLAINTEXT://[::1:9092"}) {
        auto cfg = load_with_listeners(std::string("listeners: \"") + value + "\"\n");
        ASSERT_FALSE(cfg.has_value()) << value;
        EXPECT_TRUE(contains(cfg.error(), "listeners")) << value << " -> " << cfg.error();
    }
}

TEST(ConfigInvalidTest, ValidCorrectValuesAreAccepted) {
    Config cfg = load_ok(R"(
cluster.id: R3JlZ29yRW1iZWRkZWRDbA
compression.gzip.level: -1
log.level: WARN
log.cleaner.min.cleanable.ratio: 1
log.message.timestamp.type: LogAppendTime
)");
    EXPECT_EQ(cfg.get_string("cluster.id"), "R3JlZ29yRW1iZWRkZWRDbA");
    EXPECT_DOUBLE_EQ(cfg.get_double("log.cleaner.min.cleanable.ratio"), 1.0);
    EXPECT_EQ(cfg.describe_value("log.cleaner.min.cleanable.ratio"), "1.0");
}

// --- Kafka's derived rules ---

TEST(ConfigDerivedTest, RetentionPrecedence) {
    EXPECT_EQ(load_ok("").log_retention_ms(), 168LL * 3'600'000);
    EXPECT_EQ(load_ok("log.retention.hours: 2\n").log_retention_ms(), 7'200'000);
    EXPECT_EQ(load_ok("log.retention.hours: 2\nlog.retention.minutes: 3\n").log_retention_ms(),
              180'000);
    EXPECT_EQ(load_ok("log.retention.hours: 2\nlog.retention.minutes: 3\nlog.retention.ms: 5\n")
                  .log_retention_ms(),
              5);
    EXPECT_EQ(load_ok("log.retention.ms: -1\n").log_retention_ms(), -1);
    EXPECT_EQ(load_ok("log.retention.minutes: -5\n").log_retention_ms(), -1);

    std::string err = load_error("log.retention.hours: 0\n");
    EXPECT_TRUE(contains(err, "log.retention.hours")) << err;
    err = load_error("log.retention.hours: 5\nlog.retention.ms: 0\n");
    EXPECT_TRUE(contains(err, "log.retention.ms")) << err;
}

TEST(ConfigDerivedTest, RollAndFlushPrecedence) {
    Config def = load_ok("");
    EXPECT_EQ(def.log_roll_ms(), 168LL * 3'600'000);
    EXPECT_EQ(def.log_roll_jitter_ms(), 0);
    EXPECT_EQ(def.log_flush_interval_ms(), INT64_MAX);

    Config set = load_ok(
        "log.roll.hours: 1\nlog.roll.ms: 1234\nlog.roll.jitter.hours: 1\n"
        "log.flush.scheduler.interval.ms: 3000\n");
    EXPECT_EQ(set.log_roll_ms(), 1234);
    EXPECT_EQ(set.log_roll_jitter_ms(), 3'600'000);
    EXPECT_EQ(set.log_flush_interval_ms(), 3000);
    EXPECT_EQ(load_ok("log.flush.interval.ms: 10\n").log_flush_interval_ms(), 10);
}

TEST(ConfigDerivedTest, NodeIdAndBrokerIdAlias) {
    auto only_broker_id = Config::load_yaml(R"(
process.roles: broker,controller
broker.id: 4
controller.listener.names: CONTROLLER
controller.quorum.voters: 4@localhost:9093
listeners: PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093
)");
    ASSERT_TRUE(only_broker_id.has_value()) << only_broker_id.error();
    EXPECT_EQ(only_broker_id->node_id(), 4);
    EXPECT_EQ(only_broker_id->get_int("node.id"), 4);

    EXPECT_EQ(load_ok("").get_int("broker.id"), 1);
    EXPECT_EQ(load_ok("broker.id: 1\n").node_id(), 1);
    std::string err = load_error("broker.id: 2\n");
    EXPECT_TRUE(contains(err, "broker.id")) << err;
}

TEST(ConfigDerivedTest, LogDirsOverLogDir) {
    EXPECT_EQ(load_ok("").log_dirs(), std::vector<std::string>{"/tmp/kafka-logs"});
    EXPECT_EQ(load_ok("log.dir: /one\n").log_dirs(), std::vector<std::string>{"/one"});
    Config both = load_ok("log.dir: /one\nlog.dirs: /two,/three\n");
    EXPECT_EQ(both.log_dirs(), (std::vector<std::string>{"/two", "/three"}));
    EXPECT_EQ(both.metadata_log_dir(), "/two");
    EXPECT_EQ(load_ok("metadata.log.dir: /meta\n").metadata_log_dir(), "/meta");
}

TEST(ConfigDerivedTest, QuorumRules) {
    std::string err = load_error("controller.quorum.voters: \"\"\n");
    EXPECT_TRUE(contains(err, "set more than once")) << err;

    auto none = Config::load_yaml(R"(
process.roles: broker,controller
node.id: 1
controller.listener.names: CONTROLLER
listeners: PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093
)");
    ASSERT_FALSE(none.has_value());
    EXPECT_TRUE(contains(none.error(), "controller.quorum.voters")) << none.error();

    auto not_voter = Config::load_yaml(R"(
process.roles: controller
node.id: 2
controller.listener.names: CONTROLLER
controller.quorum.voters: 1@localhost:9093
listeners: CONTROLLER://localhost:9093
)");
    ASSERT_FALSE(not_voter.has_value());
    EXPECT_TRUE(contains(not_voter.error(), "controller.quorum.voters")) << not_voter.error();

    auto broker_only = Config::load_yaml(R"(
process.roles: broker
node.id: 2
controller.listener.names: CONTROLLER
controller.quorum.bootstrap.servers: localhost:9093,[::1]:9094
listeners: PLAINTEXT://:9092
advertised.listeners: PLAINTEXT://broker2.example.com:9092
)");
    ASSERT_TRUE(broker_only.has_value()) << broker_only.error();
    EXPECT_FALSE(broker_only->is_controller());
    ASSERT_EQ(broker_only->quorum_bootstrap_servers().size(), 2U);
    EXPECT_EQ(broker_only->quorum_bootstrap_servers()[1].host, "::1");
    EXPECT_EQ(broker_only->listeners()[0].advertised_host, "broker2.example.com");
}

// --- Listeners ---

TEST(ConfigListenersTest, ParsesHostsIpv6AndPortZero) {
    Config cfg =
        load_ok("", {"listeners=PLAINTEXT://:0,CONTROLLER://[::1]:0,INTERNAL://127.0.0.1:0",
                     "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,"
                     "CONTROLLER:PLAINTEXT,INTERNAL:SSL"});
    const auto& ls = cfg.listeners();
    ASSERT_EQ(ls.size(), 3U);
    EXPECT_EQ(ls[0].host, "");
    EXPECT_EQ(ls[0].port, 0);
    EXPECT_EQ(ls[1].name, "CONTROLLER");
    EXPECT_EQ(ls[1].host, "::1");
    EXPECT_EQ(ls[1].endpoint(), "CONTROLLER://[::1]:0");
    EXPECT_EQ(ls[2].host, "127.0.0.1");
    EXPECT_EQ(ls[2].security_protocol, SecurityProtocol::Ssl);
}

TEST(ConfigListenersTest, NoImplicitControllerMappingOnceSslIsInUse) {
    // Kafka only maps controller listeners to PLAINTEXT implicitly when nothing uses SSL/SASL.
    auto refused =
        load("", {"listeners=SSL://:9092,CONTROLLER://:9093", "inter.broker.listener.name=SSL"});
    ASSERT_FALSE(refused.has_value());
    EXPECT_TRUE(contains(refused.error(), "no security protocol defined for listener CONTROLLER"))
        << refused.error();
}

TEST(ConfigListenersTest, ParseEndpointsDirectly) {
    auto eps = parse_endpoints("plaintext://h:1, SASL_SSL://[fe80::1%eth0]:2,x://::1:3");
    ASSERT_TRUE(eps.has_value()) << eps.error();
    ASSERT_EQ(eps->size(), 3U);
    EXPECT_EQ((*eps)[0].name, "PLAINTEXT");
    EXPECT_EQ((*eps)[1].host, "fe80::1%eth0");
    EXPECT_EQ((*eps)[2].name, "X");
    EXPECT_EQ((*eps)[2].host, "::1");
    EXPECT_EQ((*eps)[2].port, 3);
    EXPECT_TRUE(parse_endpoints("").has_value());
    EXPECT_FALSE(parse_endpoints("h:1").has_value());
    EXPECT_EQ(format_host_port("::1", 9092), "[::1]:9092");
    EXPECT_EQ(format_host_port("", 9092), ":9092");
}

TEST(ConfigListenersTest, ExplicitProtocolMapAndCustomNames) {
    auto cfg = load_with_listeners(R"(
listeners: CLIENT://:9092,REPLICATION://:9094,CONTROLLER://:9093
advertised.listeners: CLIENT://kafka.example.com:9092,REPLICATION://10.0.0.1:9094
listener.security.protocol.map: CLIENT:SASL_SSL,REPLICATION:ssl,CONTROLLER:PLAINTEXT
inter.broker.listener.name: replication
)");
    ASSERT_TRUE(cfg.has_value()) << cfg.error();
    const auto& ls = cfg->listeners();
    ASSERT_EQ(ls.size(), 3U);
    EXPECT_EQ(ls[0].security_protocol, SecurityProtocol::SaslSsl);
    EXPECT_EQ(ls[0].advertised_host, "kafka.example.com");
    EXPECT_EQ(ls[1].security_protocol, SecurityProtocol::Ssl);
    EXPECT_EQ(ls[2].advertised_host, "");  // controller keeps its bound address
    EXPECT_TRUE(ls[2].advertised);
    EXPECT_EQ(cfg->inter_broker_listener_name(), "REPLICATION");
}

TEST(ConfigListenersTest, RefusesInconsistentListeners) {
    struct Case {
        const char* yaml;
        const char* expect;
    };
    for (const Case& c : {
             Case{"listeners: PLAINTEXT://:9092,PLAINTEXT://:9094,CONTROLLER://:9093\n",
                  "appears more than once"},
             Case{"listeners: PLAINTEXT://:9092,CONTROLLER://:9092\n", "port 9092"},
             Case{"listeners: CLIENT://:9092,CONTROLLER://:9093\n", "CLIENT"},
             Case{"listeners: PLAINTEXT://0.0.0.0:9092,CONTROLLER://:9093\n", "0.0.0.0"},
             Case{"listeners: PLAINTEXT://:9092,CONTROLLER://:9093\n"
                  "advertised.listeners: OTHER://h:1\n",
                  "advertised.listeners"},
             Case{"listeners: PLAINTEXT://:9092,CONTROLLER://:9093\n"
                  "listener.security.protocol.map: PLAINTEXT:PLAINTEXT\n",
                  "CONTROLLER"},
             Case{"listeners: PLAINTEXT://:9092,CONTROLLER://:9093\n"
                  "listener.security.protocol.map: PLAINTEXT:TLS,CONTROLLER:PLAINTEXT\n",
                  "listener.security.protocol.map"},
             Case{"listeners: PLAINTEXT://:9092\n", "controller.listener.names"},
             Case{"listeners: PLAINTEXT://:9092,CONTROLLER://:9093\n"
                  "inter.broker.listener.name: CONTROLLER\n",
                  "inter.broker.listener.name"},
             Case{"listeners: PLAINTEXT://:9092,CONTROLLER://:9093\n"
                  "inter.broker.listener.name: PLAINTEXT\n"
                  "security.inter.broker.protocol: PLAINTEXT\n",
                  "only one of"},
             Case{"listeners: CONTROLLER://:9093\n", "at least one advertised listener"},
         }) {
        auto cfg = load_with_listeners(c.yaml);
        ASSERT_FALSE(cfg.has_value()) << c.yaml;
        EXPECT_TRUE(contains(cfg.error(), c.expect)) << c.yaml << " -> " << cfg.error();
    }
}

TEST(ConfigListenersTest, Ipv4AndIpv6MayShareAPort) {
    auto cfg = load_with_listeners(
        "listeners: PLAINTEXT://127.0.0.1:9092,V6://[::1]:9092,CONTROLLER://:9093\n"
        "listener.security.protocol.map: PLAINTEXT:PLAINTEXT,V6:PLAINTEXT,CONTROLLER:PLAINTEXT\n");
    ASSERT_TRUE(cfg.has_value()) << cfg.error();
    EXPECT_EQ(cfg->listeners().size(), 3U);
}

TEST(ConfigListenersTest, AdvertisedListenersOverrideAndHide) {
    auto cfg = load_with_listeners(R"(
listeners: PLAINTEXT://0.0.0.0:9092,INTERNAL://:9095,CONTROLLER://:9093
listener.security.protocol.map: PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT
advertised.listeners: PLAINTEXT://public.example.com:19092
)");
    ASSERT_TRUE(cfg.has_value()) << cfg.error();
    const auto& ls = cfg->listeners();
    EXPECT_EQ(ls[0].host, "0.0.0.0");
    EXPECT_EQ(ls[0].advertised_host, "public.example.com");
    EXPECT_EQ(ls[0].advertised_port, 19092);
    EXPECT_FALSE(ls[1].advertised);
}

// --- Secrets and the startup dump ---

TEST(ConfigSecretsTest, PasswordsAreMaskedInTheDump) {
    Config cfg = load_ok(R"(
ssl.keystore.password: s3cret-keystore
ssl.key.password: s3cret-key
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config: "ScramLoginModule required password=s3cret-jaas;"
)");
    std::string dump = cfg.dump();
    EXPECT_FALSE(contains(dump, "s3cret")) << dump;
    EXPECT_TRUE(contains(dump, "ssl.keystore.password = [hidden]")) << dump;
    EXPECT_TRUE(contains(dump, "ssl.truststore.password = null")) << dump;
    EXPECT_TRUE(contains(dump, "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config = [hidden]"))
        << dump;
    EXPECT_TRUE(contains(dump, "num.partitions = 1")) << dump;
    EXPECT_EQ(cfg.describe_value("ssl.keystore.password"), std::nullopt);
    EXPECT_EQ(cfg.get_password("ssl.keystore.password"), "s3cret-keystore");
}

TEST(ConfigLogLevelTest, LevelsReachTheLoggers) {
    Config cfg = load_ok("log.level: warn\nlog.level.net: TRACE\n");
    auto levels = cfg.log_levels();
    EXPECT_EQ(levels.at(""), "warn");
    EXPECT_EQ(levels.at("net"), "TRACE");
    EXPECT_EQ(levels.count("storage"), 0U);
    apply_log_levels(cfg);
    EXPECT_EQ(log::get("net")->level(), spdlog::level::trace);
    EXPECT_EQ(log::get("storage")->level(), spdlog::level::warn);
    log::set_levels({{"", spdlog::level::info}});
}

TEST(ConfigDeathTest, GettersAssertOnMisuse) {
    Config cfg = load_ok("");
    EXPECT_DEATH((void)cfg.get_int("no.such.config"), "not a defined configuration");
    EXPECT_DEATH((void)cfg.get_string("num.partitions"), "does not match");
    EXPECT_DEATH((void)cfg.get_long("log.retention.ms"), "null value");
    EXPECT_DEATH((void)cfg.get_string("ssl.keystore.password"), "does not match");
}

}  // namespace
}  // namespace gregor::broker
