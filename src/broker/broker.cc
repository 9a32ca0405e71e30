#include "gregor/broker/broker.h"

#include "gregor/broker/meta_properties.h"
#include "gregor/common/logging.h"

#include <boost/asio/ip/host_name.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <sys/resource.h>

namespace gregor::broker {

namespace {

net::SecurityProtocol to_net(SecurityProtocol p) {
    switch (p) {
        case SecurityProtocol::Plaintext:
            return net::SecurityProtocol::plaintext;
        case SecurityProtocol::Ssl:
            return net::SecurityProtocol::ssl;
        case SecurityProtocol::SaslPlaintext:
            return net::SecurityProtocol::sasl_plaintext;
        case SecurityProtocol::SaslSsl:
            return net::SecurityProtocol::sasl_ssl;
    }
    return net::SecurityProtocol::plaintext;
}

// Kafka advertises the canonical host name for a listener bound to every interface.
std::string advertised_host(const ListenerConfig& l) {
    if (!l.advertised_host.empty()) {
        return l.advertised_host;
    }
    if (!l.host.empty()) {
        return l.host;
    }
    return boost::asio::ip::host_name();
}

// Topic configs without a broker synonym (Kafka's LogConfig), with their defaults.
struct PlainTopicConfig {
    const char* name;
    const char* default_value;
};
constexpr PlainTopicConfig kPlainTopicConfigs[] = {
    {"follower.replication.throttled.replicas", ""},
    {"leader.replication.throttled.replicas", ""},
    {"remote.log.copy.disable", "false"},
    {"remote.log.delete.on.disable", "false"},
    {"remote.storage.enable", "false"},
};

bool is_topic_config(std::string_view name) {
    if (find_topic_config_synonyms(name) != nullptr) {
        return true;
    }
    for (const auto& c : kPlainTopicConfigs) {
        if (name == c.name) {
            return true;
        }
    }
    return false;
}

// Kafka's ConfigDef.parseType and the validators' choices, for a topic config's value, typed as
// the broker config that supplies its default. Ranges are not checked yet.
std::optional<std::string> check_topic_config_value(std::string_view name,
                                                    const std::string& value) {
    const TopicConfigSynonyms* syn = find_topic_config_synonyms(name);
    if (syn == nullptr || syn->broker_configs.empty()) {
        return std::nullopt;
    }
    const ConfigDef* def = find_config_definition(syn->broker_configs.front().name);
    if (def == nullptr) {
        return std::nullopt;
    }
    auto invalid = [&](std::string_view reason) {
        return std::optional(
            fmt::format("Invalid value {} for configuration {}: {}", value, name, reason));
    };
    std::string_view text = value;
    while (!text.empty() && text.front() == ' ') {
        text.remove_prefix(1);
    }
    while (!text.empty() && text.back() == ' ') {
        text.remove_suffix(1);
    }
    auto integer = [&](auto out) {
        return std::from_chars(text.data(), text.data() + text.size(), out).ptr
                   == text.data() + text.size()
               && !text.empty();
    };
    auto one_of = [&](std::string_view item) {
        return std::find(def->validator.choices.begin(), def->validator.choices.end(), item)
               != def->validator.choices.end();
    };
    switch (def->type) {
        case ConfigType::Int:
            return integer(int32_t{}) ? std::nullopt : invalid("Not a number of type INT");
        case ConfigType::Short:
            return integer(int16_t{}) ? std::nullopt : invalid("Not a number of type SHORT");
        case ConfigType::Long:
            return integer(int64_t{}) ? std::nullopt : invalid("Not a number of type LONG");
        case ConfigType::Double: {
            std::string s(text);
            char* end = nullptr;
            std::strtod(s.c_str(), &end);
            return (!s.empty() && end == s.c_str() + s.size())
                       ? std::nullopt
                       : invalid("Not a number of type DOUBLE");
        }
        case ConfigType::Boolean:
            return (text == "true" || text == "false" || text == "TRUE" || text == "FALSE")
                       ? std::nullopt
                       : invalid("Expected value to be either true or false");
        case ConfigType::List: {
            if (def->validator.kind != Validator::Kind::ListOf) {
                return std::nullopt;
            }
            size_t start = 0;
            while (start <= text.size()) {
                size_t comma = text.find(',', start);
                std::string_view item =
                    text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
                while (!item.empty() && item.front() == ' ') {
                    item.remove_prefix(1);
                }
                while (!item.empty() && item.back() == ' ') {
                    item.remove_suffix(1);
                }
                if (!item.empty() && !one_of(item)) {
                    return invalid(fmt::format("String must be one of: {}",
                                               fmt::join(def->validator.choices, ", ")));
                }
                if (comma == std::string_view::npos) {
                    break;
                }
                start = comma + 1;
            }
            return std::nullopt;
        }
        default:
            if (def->validator.kind == Validator::Kind::OneOf && !one_of(text)) {
                return invalid(fmt::format("String must be one of: {}",
                                           fmt::join(def->validator.choices, ", ")));
            }
            return std::nullopt;
    }
}

std::string convert(const std::string& value, SynonymUnit unit) {
    int64_t v = 0;
    if (unit == SynonymUnit::Same
        || std::from_chars(value.data(), value.data() + value.size(), v).ec != std::errc{}) {
        return value;
    }
    return std::to_string(unit == SynonymUnit::HoursToMs ? v * 3600000 : v * 60000);
}

// Kafka's DescribeConfigs sources: DYNAMIC_TOPIC_CONFIG 1, STATIC_BROKER_CONFIG 4, DEFAULT 5.
constexpr int8_t kSourceTopic = 1;

// The effective configs of a new topic, sorted by name, as Kafka's CreateTopics v5+ returns them
// (ConfigurationControlManager.computeEffectiveTopicConfigs).
std::vector<protocol::CreateTopicsResponse::CreatableTopicResult::CreatableTopicConfigs>
effective_topic_configs(const Config& config, const metadata::ConfigMap& explicit_configs) {
    using Entry = protocol::CreateTopicsResponse::CreatableTopicResult::CreatableTopicConfigs;
    std::map<std::string, Entry> out;
    auto add = [&](std::string_view name, std::optional<std::string> value, int8_t source) {
        Entry e;
        e.name = std::string(name);
        e.value = std::move(value);
        e.read_only = false;
        e.is_sensitive = false;
        e.config_source = source;
        out[e.name] = std::move(e);
    };
    for (const auto& syn : topic_config_synonyms()) {
        auto it = explicit_configs.find(std::string(syn.topic_config));
        if (it != explicit_configs.end()) {
            add(syn.topic_config, it->second, kSourceTopic);
            continue;
        }
        const BrokerSynonym* chosen = nullptr;
        for (const auto& b : syn.broker_configs) {
            if (config.has_value(b.name) && !config.is_default(b.name)) {
                chosen = &b;
                break;
            }
        }
        if (chosen == nullptr) {
            for (const auto& b : syn.broker_configs) {
                if (config.has_value(b.name)) {
                    chosen = &b;
                    break;
                }
            }
        }
        if (chosen == nullptr) {
            add(syn.topic_config, std::nullopt,
                describe_configs_source(ConfigSource::DefaultConfig));
            continue;
        }
        auto value = config.describe_value(chosen->name);
        add(syn.topic_config, value ? std::optional(convert(*value, chosen->unit)) : std::nullopt,
            describe_configs_source(config.source(chosen->name)));
    }
    for (const auto& c : kPlainTopicConfigs) {
        auto it = explicit_configs.find(c.name);
        if (it != explicit_configs.end()) {
            add(c.name, it->second, kSourceTopic);
        } else {
            add(c.name, std::string(c.default_value),
                describe_configs_source(ConfigSource::DefaultConfig));
        }
    }
    std::vector<Entry> sorted;
    for (auto& [name, e] : out) {
        sorted.push_back(std::move(e));
    }
    return sorted;
}

int64_t parse_long(const std::map<std::string, std::string>& values,
                   const char* name,
                   int64_t fallback) {
    auto it = values.find(name);
    int64_t v = 0;
    if (it == values.end()
        || std::from_chars(it->second.data(), it->second.data() + it->second.size(), v).ec
               != std::errc{}) {
        return fallback;
    }
    return v;
}

// min.insync.replicas of a topic: its own config over the broker's.
int32_t min_insync_replicas(const Config& config, const metadata::ConfigMap& topic_configs) {
    auto it = topic_configs.find("min.insync.replicas");
    int32_t v = 0;
    if (it != topic_configs.end()
        && std::from_chars(it->second.data(), it->second.data() + it->second.size(), v).ec
               == std::errc{}) {
        return v;
    }
    return config.get_int("min.insync.replicas");
}

// The compaction cleaner's settings (log.cleaner.*).
storage::LogCleanerConfig cleaner_config(const Config& config) {
    storage::LogCleanerConfig c;
    c.enable = config.get_bool("log.cleaner.enable");
    c.threads = config.get_int("log.cleaner.threads");
    c.backoff_ms = config.get_long("log.cleaner.backoff.ms");
    c.dedupe_buffer_size = config.get_long("log.cleaner.dedupe.buffer.size");
    c.io_buffer_size = config.get_int("log.cleaner.io.buffer.size");
    c.producer_id_expiration_ms = config.get_int("producer.id.expiration.ms");
    return c;
}

size_t max_open_segment_files(const Config& config) {
    const int32_t configured = config.get_int("gregor.log.open.files.max");
    if (configured > 0) {
        return static_cast<size_t>(configured);
    }
    // Half the descriptor limit leaves the rest to sockets and everything else.
    struct rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
        return 4096;
    }
    return std::max<size_t>(64, static_cast<size_t>(limit.rlim_cur / 2));
}

// A partition's LogConfig: the topic's configs over the broker's defaults.
storage::LogConfig log_config_for(const Config& config, const metadata::ConfigMap& topic_configs) {
    std::map<std::string, std::string> v;
    for (const auto& e : effective_topic_configs(config, topic_configs)) {
        if (e.value) {
            v[e.name] = *e.value;
        }
    }
    storage::LogConfig lc;
    lc.segment_bytes = static_cast<int32_t>(parse_long(v, "segment.bytes", lc.segment_bytes));
    lc.segment_ms = parse_long(v, "segment.ms", lc.segment_ms);
    lc.segment_jitter_ms = parse_long(v, "segment.jitter.ms", lc.segment_jitter_ms);
    lc.segment_index_bytes =
        static_cast<int32_t>(parse_long(v, "segment.index.bytes", lc.segment_index_bytes));
    lc.index_interval_bytes =
        static_cast<int32_t>(parse_long(v, "index.interval.bytes", lc.index_interval_bytes));
    lc.retention_ms = parse_long(v, "retention.ms", lc.retention_ms);
    lc.retention_bytes = parse_long(v, "retention.bytes", lc.retention_bytes);
    lc.delete_retention_ms = parse_long(v, "delete.retention.ms", lc.delete_retention_ms);
    lc.file_delete_delay_ms = parse_long(v, "file.delete.delay.ms", lc.file_delete_delay_ms);
    lc.max_message_bytes =
        static_cast<int32_t>(parse_long(v, "max.message.bytes", lc.max_message_bytes));
    lc.min_compaction_lag_ms = parse_long(v, "min.compaction.lag.ms", lc.min_compaction_lag_ms);
    lc.max_compaction_lag_ms = parse_long(v, "max.compaction.lag.ms", lc.max_compaction_lag_ms);
    lc.timestamp_before_max_ms =
        parse_long(v, "message.timestamp.before.max.ms", lc.timestamp_before_max_ms);
    lc.timestamp_after_max_ms =
        parse_long(v, "message.timestamp.after.max.ms", lc.timestamp_after_max_ms);
    if (auto it = v.find("cleanup.policy"); it != v.end()) {
        lc.cleanup_delete = it->second.find("delete") != std::string::npos;
        lc.cleanup_compact = it->second.find("compact") != std::string::npos;
    }
    if (auto it = v.find("message.timestamp.type"); it != v.end()) {
        lc.timestamp_type = it->second == "LogAppendTime" ? storage::TimestampType::log_append_time
                                                          : storage::TimestampType::create_time;
    }
    if (auto it = v.find("preallocate"); it != v.end()) {
        lc.preallocate = it->second == "true";
    }
    return lc;
}

}  // namespace

net::ServerLimits server_limits(const Config& config) {
    net::ServerLimits limits;
    limits.socket_request_max_bytes = config.get_int("socket.request.max.bytes");
    limits.preauth_max_bytes = config.get_int("sasl.server.max.receive.size");
    limits.connections_max_idle_ms = config.get_long("connections.max.idle.ms");
    limits.max_connections = config.get_int("max.connections");
    // -1 (Kafka's default) leaves the broker-wide budget unbounded, as in Kafka: a frame's buffer
    // grows only as its bytes arrive, so a declared size costs nothing until it is sent, and
    // large declared sizes cannot starve other clients of a shared budget.
    limits.total_memory_max_bytes = config.get_long("queued.max.request.bytes");
    return limits;
}

Broker::Broker(Config config) : config_(std::move(config)), dispatcher_(state_) {
    state_.config = &config_;
    state_.node_id = config_.node_id();
}

Broker::~Broker() {
    stop();
}

result<bool, std::string> Broker::start_controller() {
    controller::ControllerConfig cc;
    cc.node_id = config_.node_id();
    cc.default_num_partitions = config_.get_int("num.partitions");
    cc.default_replication_factor =
        static_cast<int16_t>(config_.get_int("default.replication.factor"));
    cc.queue_capacity = static_cast<size_t>(config_.get_int("queued.max.requests"));
    if (config_.has_value("broker.rack")) {
        cc.rack = config_.get_string("broker.rack");
    }
    cc.snapshots.max_bytes_between =
        config_.get_long("metadata.log.max.record.bytes.between.snapshots");
    cc.snapshots.max_interval_ms = config_.get_long("metadata.log.max.snapshot.interval.ms");
    cc.snapshots.retention_bytes = config_.get_long("metadata.max.retention.bytes");
    cc.snapshots.retention_ms = config_.get_long("metadata.max.retention.ms");
    cc.is_topic_config = is_topic_config;
    cc.check_topic_config_value = check_topic_config_value;
    cc.describe_topic_configs = [this](const metadata::ConfigMap& configs) {
        return effective_topic_configs(config_, configs);
    };
    auto log = controller::LocalMetadataLog::open(config_.metadata_log_dir(),
                                                  config_.get_int("metadata.log.segment.bytes"),
                                                  config_.get_long("metadata.log.segment.ms"));
    if (!log) {
        return unexpected<std::string>(log.error());
    }
    controller_ = std::make_unique<controller::QuorumController>(
        std::move(cc), std::move(*log),
        [this](std::shared_ptr<const metadata::MetadataImage> image) {
            on_image(std::move(image));
        });
    return true;
}

void Broker::on_image(std::shared_ptr<const metadata::MetadataImage> image) {
    const auto& log = log::get("broker");
    const auto previous = last_image_ ? last_image_ : metadata::MetadataImage::empty();
    last_image_ = image;
    // Deleted topics first: a topic recreated under its old name gets a fresh log.
    for (const auto& [id, topic] : previous->topics_by_id()) {
        if (image->topic(id) != nullptr) {
            continue;
        }
        for (const auto& [index, part] : topic->partitions) {
            storage::TopicPartition tp{topic->name, index};
            auto removed = logs_->remove(tp);
            if (!removed && removed.error().code != storage::Errc::not_found) {
                log->error("cannot remove the log of {}-{}: {}", tp.topic, tp.partition,
                           removed.error().message);
            }
        }
    }
    for (const auto& [id, topic] : image->topics_by_id()) {
        auto before = previous->topics_by_id().find(id);
        if (before != previous->topics_by_id().end() && before->second == topic) {
            continue;  // unchanged: its logs exist already
        }
        const auto lc = log_config_for(config_, image->topic_configs(topic->name));
        for (const auto& [index, part] : topic->partitions) {
            if (std::find(part.replicas.begin(), part.replicas.end(), config_.node_id())
                == part.replicas.end()) {
                continue;
            }
            storage::TopicPartition tp{topic->name, index};
            auto created = logs_->get_or_create(tp, lc, topic->id);
            if (!created) {
                log->error("cannot create the log of {}-{} (topic id {}): {}", tp.topic,
                           tp.partition, topic->id.to_string(), created.error().message);
                continue;
            }
            track_compaction(*created);
        }
    }
    // Handlers see the new topics only once their partitions can serve them.
    replicas_->apply_image(*image);
    state_.image.publish(image);
}

std::shared_ptr<const ClusterView> Broker::make_view(
    const std::vector<net::BoundListener>& bound) const {
    auto view = std::make_shared<ClusterView>();
    view->cluster_id = cluster_id_;
    view->controller_id = config_.node_id();
    BrokerInfo self;
    self.node_id = config_.node_id();
    if (config_.has_value("broker.rack")) {
        self.rack = config_.get_string("broker.rack");
    }
    for (const auto& l : config_.listeners()) {
        if (!l.advertised || l.controller) {
            continue;
        }
        uint16_t port = l.advertised_port;
        if (port == 0) {
            for (const auto& b : bound) {
                if (b.name == l.name) {
                    port = b.port;
                }
            }
        }
        self.endpoints.push_back(
            {l.name, advertised_host(l), port, static_cast<int16_t>(l.security_protocol)});
    }
    view->brokers.push_back(std::move(self));
    return view;
}

result<std::vector<net::BoundListener>, std::string> Broker::start() {
    const auto& log = log::get("broker");
    std::string configured =
        config_.has_value("cluster.id") ? config_.get_string("cluster.id") : "";
    auto cluster = format_or_check_log_dirs(config_.log_dirs(), config_.node_id(), configured);
    if (!cluster) {
        return unexpected<std::string>(cluster.error());
    }
    cluster_id_ = *cluster;
    log->info("node {} of cluster {}, log dirs {}", config_.node_id(), cluster_id_,
              fmt::join(config_.log_dirs(), ","));

    std::vector<net::ListenerSpec> specs;
    for (const auto& l : config_.listeners()) {
        specs.push_back({l.name, l.host, l.port, to_net(l.security_protocol)});
    }
    state_.cluster.publish(make_view({}));
    storage::LogManagerConfig lm;
    for (const auto& d : config_.log_dirs()) {
        lm.log_dirs.emplace_back(d);
    }
    lm.default_config = log_config_for(config_, {});
    lm.recovery_threads_per_dir = config_.get_int("num.recovery.threads.per.data.dir");
    lm.retention_check_interval_ms = config_.get_long("log.retention.check.interval.ms");
    lm.file_delete_delay_ms = config_.get_long("log.segment.delete.delay.ms");
    lm.flush_scheduler_interval_ms = config_.get_long("log.flush.scheduler.interval.ms");
    lm.flush_offset_checkpoint_interval_ms =
        config_.get_int("log.flush.offset.checkpoint.interval.ms");
    lm.flush_start_offset_checkpoint_interval_ms =
        config_.get_int("log.flush.start.offset.checkpoint.interval.ms");
    lm.max_open_files = max_open_segment_files(config_);
    cleaner_ = std::make_unique<storage::LogCleaner>(cleaner_config(config_));
    lm.on_remove = [cleaner = cleaner_.get()](const storage::TopicPartition& tp) {
        cleaner->remove_log(tp, true);
    };
    logs_ = std::make_unique<storage::LogManager>(std::move(lm));
    state_.logs = logs_.get();
    replicas_ = std::make_unique<replication::ReplicaManager>(
        config_.node_id(), *logs_,
        [this](const metadata::MetadataImage& image, std::string_view topic) {
            return min_insync_replicas(config_, image.topic_configs(topic));
        });
    state_.replicas = replicas_.get();
    // Kafka shards the cache eight ways to spread its lock; each shard holds slots / 8.
    const int32_t slots = config_.get_int("max.incremental.fetch.session.cache.slots");
    fetch_sessions_ = std::make_unique<replication::FetchSessionCache>(
        slots, replication::kDefaultFetchSessionEvictionMs, slots >= 8 ? 8 : 1);
    state_.fetch_sessions = fetch_sessions_.get();
    auto loaded = logs_->startup();
    if (!loaded) {
        return unexpected<std::string>(loaded.error().message);
    }
    for (const auto& l : logs_->all_logs()) {
        track_compaction(l);
    }
    cleaner_->start();
    log->info("loaded {} partition logs ({} bytes) in {} ms", loaded->logs_loaded, loaded->bytes,
              loaded->millis);
    auto controller_ready = start_controller();
    if (!controller_ready) {
        return unexpected<std::string>(controller_ready.error());
    }
    server_ = std::make_unique<net::Server>(std::move(specs), server_limits(config_),
                                            config_.get_int("num.network.threads"), dispatcher_);
    auto bound = server_->start();
    if (!bound) {
        return unexpected<std::string>(bound.error());
    }
    auto view = make_view(*bound);
    state_.cluster.publish(view);
    // The controller registers this node with the endpoints it now listens on.
    std::vector<metadata::BrokerEndpoint> endpoints;
    for (const auto& e : view->brokers.front().endpoints) {
        endpoints.push_back({e.listener, e.host, e.port, e.security_protocol});
    }
    auto started = controller_->start(std::move(endpoints));
    if (!started) {
        return unexpected<std::string>(started.error());
    }
    state_.controller.store(controller_.get(), std::memory_order_release);
    for (const auto& b : *bound) {
        log->info("listening on {}://{}:{} ({})", b.name, b.host, b.port,
                  net::to_string(b.protocol));
    }
    return *bound;
}

void Broker::stop() {
    if (server_) {
        server_->stop();
    }
    if (controller_) {
        state_.controller.store(nullptr, std::memory_order_release);
        controller_->stop();
    }
    if (cleaner_) {
        cleaner_->stop();
    }
    if (logs_) {
        logs_->shutdown();
    }
}

void Broker::track_compaction(const std::shared_ptr<storage::Log>& log) {
    if (log->config().cleanup_compact) {
        cleaner_->add_log(log);
    }
}

}  // namespace gregor::broker
