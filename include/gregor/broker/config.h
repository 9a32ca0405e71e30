#pragma once

// The broker's static configuration: a typed registry keyed by Apache Kafka's broker property
// names (with Kafka's defaults, types, validators and update modes), loaded from YAML, then
// `--override key=value` pairs, then validated. DescribeConfigs is served from the same table,
// so the enum values below are the wire codes where Kafka has them.
//
// Getters assert that the name is defined and the type matches: a wrong name in code is a bug,
// a wrong value in a file is an error value from load_*().

#include "gregor/common/result.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gregor::broker {

// DescribeConfigs' ConfigType codes.
enum class ConfigType : int8_t {
    Boolean = 1,
    String = 2,
    Int = 3,
    Short = 4,
    Long = 5,
    Double = 6,
    List = 7,
    Class = 8,
    Password = 9,
};

enum class Importance : uint8_t { High, Medium, Low };

// Kafka's "Update Mode" column: read-only needs a restart; per-broker and cluster-wide can be
// changed through IncrementalAlterConfigs (for one broker, or the cluster default).
enum class UpdateMode : uint8_t { ReadOnly, PerBroker, ClusterWide };

// Gregor's own keys (log.level, gregor.admin.http.port, cluster.id) are not Kafka's.
enum class ConfigOrigin : uint8_t { Kafka, Gregor };

enum class ConfigSource : uint8_t {
    DefaultConfig,        // nobody set it
    StaticBrokerConfig,   // the YAML file (or the embedded default)
    CommandLineOverride,  // --override key=value
};

// DescribeConfigs' ConfigSource code: Kafka reports file and command-line values alike as
// STATIC_BROKER_CONFIG (4); defaults are DEFAULT_CONFIG (5).
int8_t describe_configs_source(ConfigSource source);

std::string_view to_string(ConfigType type);
std::string_view to_string(UpdateMode mode);
std::string_view to_string(ConfigSource source);

// monostate = null (Kafka's null default, e.g. log.retention.minutes). Short values are held as
// int32_t. String, Class and Password all hold std::string.
using ConfigValue = std::
    variant<std::monostate, bool, int32_t, int64_t, double, std::string, std::vector<std::string>>;

struct Validator {
    enum class Kind : uint8_t {
        None,
        IntRange,      // min..max, plus `also` when set (gzip level: 1..9 or -1)
        DoubleRange,   // dmin..dmax
        OneOf,         // a string in `choices` (case-sensitive, as Kafka)
        ListOf,        // every list element in `choices`, no duplicates
        UniqueList,    // non-empty elements, no duplicates
        NonEmpty,      // a non-empty string
        Listeners,     // NAME://host:port,...
        ProtocolMap,   // NAME:PROTOCOL,...
        QuorumVoters,  // id@host:port,...
        HostPorts,     // host:port,...
        ClusterId,     // a 22-character base64url UUID
        LogLevel,      // trace..off, case-insensitive
    };
    Kind kind = Kind::None;
    bool required = false;   // no default: the config must be set (Kafka's NO_DEFAULT_VALUE)
    bool non_empty = false;  // lists: at least one element
    int64_t min = INT64_MIN;
    int64_t max = INT64_MAX;
    std::optional<int64_t> also;
    double dmin = 0;
    double dmax = 0;
    std::vector<std::string_view> choices;
};

struct ConfigDef {
    std::string name;
    ConfigType type;
    std::optional<std::string> default_text;  // Kafka's text form; nullopt = null
    ConfigValue default_value;                // default_text parsed
    Validator validator;
    Importance importance;
    UpdateMode update_mode;
    std::string doc;
    ConfigOrigin origin = ConfigOrigin::Kafka;
    std::string topic_synonym;  // the topic-level config this broker config defaults; "" if none

    bool sensitive() const { return type == ConfigType::Password; }
};

// Every definition, sorted by name.
const std::vector<ConfigDef>& config_definitions();
const ConfigDef* find_config_definition(std::string_view name);

// Topic config -> the broker configs that supply its default, in Kafka's precedence order
// (ServerTopicConfigSynonyms): retention.ms -> log.retention.ms, log.retention.minutes,
// log.retention.hours. `unit` says how to convert the broker value into the topic's unit.
enum class SynonymUnit : uint8_t { Same, HoursToMs, MinutesToMs };
struct BrokerSynonym {
    std::string_view name;
    SynonymUnit unit;
};
struct TopicConfigSynonyms {
    std::string_view topic_config;
    std::vector<BrokerSynonym> broker_configs;
};
const std::vector<TopicConfigSynonyms>& topic_config_synonyms();
const TopicConfigSynonyms* find_topic_config_synonyms(std::string_view topic_config);

// The broker configs DescribeConfigs lists as synonyms of `name`, highest precedence first
// (log.retention.hours -> log.retention.ms, log.retention.minutes, log.retention.hours). A config
// without synonyms gives itself.
std::vector<std::string> broker_config_synonyms(std::string_view name);

// --- Listeners ---

// Kafka's SecurityProtocol ids (BrokerRegistration carries them).
enum class SecurityProtocol : int16_t { Plaintext = 0, Ssl = 1, SaslPlaintext = 2, SaslSsl = 3 };
std::string_view to_string(SecurityProtocol protocol);
std::optional<SecurityProtocol> parse_security_protocol(std::string_view text);

struct Endpoint {
    std::string name;  // upper-cased, as Kafka normalises listener names
    std::string host;  // "" = all interfaces; IPv6 without brackets
    uint16_t port = 0;
};

// Parses "NAME://host:port,..." (host may be empty or [ipv6]; port 0..65535, 0 = any free port).
result<std::vector<Endpoint>, std::string> parse_endpoints(std::string_view csv);

// "host:port" with the host bracketed when it is IPv6.
std::string format_host_port(std::string_view host, uint16_t port);

struct ListenerConfig {
    std::string name;
    std::string host;
    uint16_t port = 0;
    SecurityProtocol security_protocol = SecurityProtocol::Plaintext;
    bool controller = false;      // named in controller.listener.names
    bool advertised = true;       // published (advertised.listeners unset, or names this listener)
    std::string advertised_host;  // "" = the net layer picks this machine's name
    uint16_t advertised_port = 0;

    // NAME://host:port of the bound side.
    std::string endpoint() const;
};

struct QuorumVoter {
    int32_t id = -1;
    std::string host;
    uint16_t port = 0;
};

struct HostPort {
    std::string host;
    uint16_t port = 0;
};

// --- Config ---

class Config {
public:
    // The compiled-in default: one combined node, clients on PLAINTEXT://localhost:9092, data
    // under ./data. config/gregor.yaml is the commented copy.
    static std::string_view embedded_default_yaml();

    // Each one: read YAML, apply overrides ("key=value"), validate. The error names the key and
    // the reason, one problem per line.
    static result<Config, std::string> load_file(const std::string& path,
                                                 const std::vector<std::string>& overrides = {});
    static result<Config, std::string> load_yaml(std::string_view yaml,
                                                 const std::vector<std::string>& overrides = {},
                                                 std::string_view origin = "<yaml>");
    static result<Config, std::string> load_default(const std::vector<std::string>& overrides = {});

    // Typed getters. get_int also reads Short configs; get_string reads String and Class;
    // secrets only come out through get_password. A null value asserts: check has_value().
    int32_t get_int(std::string_view name) const;
    int64_t get_long(std::string_view name) const;
    bool get_bool(std::string_view name) const;
    double get_double(std::string_view name) const;
    const std::string& get_string(std::string_view name) const;
    const std::string& get_password(std::string_view name) const;
    const std::vector<std::string>& get_list(std::string_view name) const;

    bool has_value(std::string_view name) const;
    bool is_default(std::string_view name) const;
    ConfigSource source(std::string_view name) const;
    // The raw typed value, secrets included: never log it; use describe_value or dump.
    const ConfigValue& value(std::string_view name) const;

    // The value as DescribeConfigs shows it (Kafka's text form); nullopt for null and for
    // sensitive configs, whose values Kafka never returns.
    std::optional<std::string> describe_value(std::string_view name) const;

    // Keys no definition knows, kept as text (listener.name.* prefixed keys land here too).
    const std::map<std::string, std::string, std::less<>>& unknown_keys() const { return unknown_; }
    // Non-fatal findings from loading (unknown keys), also logged to the broker logger.
    const std::vector<std::string>& warnings() const { return warnings_; }
    // Where the static values came from: a path, or "<embedded default>".
    const std::string& origin() const { return origin_; }

    // "name = value" lines for every config and unknown key, sorted, secrets shown as [hidden].
    std::string dump() const;

    // Derived values, with Kafka's precedence rules applied.
    int32_t node_id() const { return node_id_; }
    bool is_broker() const { return broker_role_; }
    bool is_controller() const { return controller_role_; }
    int64_t log_retention_ms() const { return log_retention_ms_; }  // -1 = unlimited
    int64_t log_roll_ms() const { return log_roll_ms_; }
    int64_t log_roll_jitter_ms() const { return log_roll_jitter_ms_; }
    int64_t log_flush_interval_ms() const { return log_flush_interval_ms_; }
    const std::vector<std::string>& log_dirs() const { return log_dirs_; }
    const std::string& metadata_log_dir() const { return metadata_log_dir_; }
    const std::vector<ListenerConfig>& listeners() const { return listeners_; }
    const std::string& inter_broker_listener_name() const { return inter_broker_listener_; }
    const std::vector<QuorumVoter>& quorum_voters() const { return quorum_voters_; }
    const std::vector<HostPort>& quorum_bootstrap_servers() const { return bootstrap_servers_; }

    // {"" -> log.level, module -> log.level.<module> where set}, levels as written.
    std::map<std::string, std::string, std::less<>> log_levels() const;

private:
    struct Entry {
        ConfigValue value;
        ConfigSource source = ConfigSource::DefaultConfig;
    };
    friend class ConfigBuilder;

    Config() = default;
    const Entry& entry(std::string_view name, const char* getter) const;

    std::map<std::string, Entry, std::less<>> values_;
    std::map<std::string, std::string, std::less<>> unknown_;
    std::vector<std::string> warnings_;
    std::string origin_;

    int32_t node_id_ = -1;
    bool broker_role_ = false;
    bool controller_role_ = false;
    int64_t log_retention_ms_ = 0;
    int64_t log_roll_ms_ = 0;
    int64_t log_roll_jitter_ms_ = 0;
    int64_t log_flush_interval_ms_ = 0;
    std::vector<std::string> log_dirs_;
    std::string metadata_log_dir_;
    std::vector<ListenerConfig> listeners_;
    std::string inter_broker_listener_;
    std::vector<QuorumVoter> quorum_voters_;
    std::vector<HostPort> bootstrap_servers_;
};

// Splits one --override argument at the first '='.
result<std::pair<std::string, std::string>, std::string> parse_override(std::string_view arg);

// Applies log.level and log.level.<module> to gregor::log's loggers.
void apply_log_levels(const Config& config);

// Logs the startup dump (secrets masked) on the broker logger.
void log_config(const Config& config);

}  // namespace gregor::broker
