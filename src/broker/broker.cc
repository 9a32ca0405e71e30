#include "gregor/broker/broker.h"

#include "gregor/broker/config_describe.h"
#include "gregor/broker/meta_properties.h"
#include "gregor/broker/offsets_topic.h"
#include "gregor/broker/producer_ids.h"
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

// The effective configs of a new topic, sorted by name, as Kafka's CreateTopics v5+ returns them
// (ConfigurationControlManager.computeEffectiveTopicConfigs).
std::vector<protocol::CreateTopicsResponse::CreatableTopicResult::CreatableTopicConfigs>
effective_topic_configs(const Config& config,
                        const DynamicBrokerConfigs& dynamic,
                        const metadata::ConfigMap& explicit_configs) {
    std::vector<protocol::CreateTopicsResponse::CreatableTopicResult::CreatableTopicConfigs> out;
    for (auto& d : describe_topic_configs(config, dynamic, explicit_configs, {})) {
        auto& e = out.emplace_back();
        e.name = std::move(d.name);
        e.value = std::move(d.value);
        e.read_only = d.read_only;
        e.is_sensitive = d.is_sensitive;
        e.config_source = d.config_source;
    }
    return out;
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

// A partition's LogConfig: the topic's configs over the broker's (dynamic, then static) ones.
storage::LogConfig log_config_for(const Config& config,
                                  const DynamicBrokerConfigs& dynamic,
                                  const metadata::ConfigMap& topic_configs) {
    return make_log_config(effective_topic_values(config, dynamic, topic_configs));
}

// The controller's view of config schemas: list types, defaults, and the topic configs' checks
// (Kafka's ControllerConfigurationValidator: names first, then values).
controller::ConfigSchema config_schema() {
    controller::ConfigSchema schema;
    schema.is_list = [](int8_t type, std::string_view name) {
        if (type == metadata::kConfigResourceTopic) {
            return is_topic_config(name) && topic_config_type(name) == ConfigType::List;
        }
        const ConfigDef* def = find_config_definition(name);
        return def != nullptr && def->type == ConfigType::List;
    };
    schema.default_value = [](int8_t type, std::string_view name) -> std::optional<std::string> {
        if (type == metadata::kConfigResourceTopic) {
            return topic_config_default(name);
        }
        const ConfigDef* def = find_config_definition(name);
        return def != nullptr ? def->default_text : std::nullopt;
    };
    schema.validate = [](int8_t type, const std::string&, const metadata::ConfigMap& changed,
                         const std::vector<std::string>&) -> std::optional<controller::ApiResult> {
        if (type != metadata::kConfigResourceTopic) {
            return std::nullopt;  // broker configs were checked by the broker that took them
        }
        for (const auto& [name, value] : changed) {
            if (!is_topic_config(name)) {
                return controller::ApiResult{controller::errc::invalid_config,
                                             "Unknown topic config name: " + name};
            }
        }
        for (const auto& [name, value] : changed) {
            if (auto bad = check_topic_config_value(name, value)) {
                return controller::ApiResult{controller::errc::invalid_config, *bad};
            }
        }
        return std::nullopt;
    };
    return schema;
}

coordinator::CoordinatorConfig coordinator_config(const Config& config) {
    coordinator::CoordinatorConfig c;
    c.initial_rebalance_delay_ms = config.get_int("group.initial.rebalance.delay.ms");
    c.min_session_timeout_ms = config.get_int("group.min.session.timeout.ms");
    c.max_session_timeout_ms = config.get_int("group.max.session.timeout.ms");
    c.max_size = config.get_int("group.max.size");
    c.offset_metadata_max_bytes = config.get_int("offset.metadata.max.bytes");
    c.max_groups = static_cast<size_t>(config.get_int("gregor.groups.max"));
    c.offsets_retention_ms = int64_t{config.get_int("offsets.retention.minutes")} * 60 * 1000;
    c.retention_check_interval_ms = config.get_long("offsets.retention.check.interval.ms");
    return c;
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
        return effective_topic_configs(
            config_, DynamicBrokerConfigs::from(*state_.image.current(), config_.node_id()),
            configs);
    };
    cc.config_schema = config_schema();
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
        const auto lc =
            log_config_for(config_, DynamicBrokerConfigs::from(*image, config_.node_id()),
                           image->topic_configs(topic->name));
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
    apply_config_changes(*previous, *image);
    // Handlers see the new topics only once their partitions can serve them.
    replicas_->apply_image(*image);
    state_.image.publish(image);
}

void Broker::apply_config_changes(const metadata::MetadataImage& previous,
                                  const metadata::MetadataImage& image) {
    if (previous.configs() == image.configs()) {
        return;
    }
    const auto before = DynamicBrokerConfigs::from(previous, config_.node_id());
    const auto now = DynamicBrokerConfigs::from(image, config_.node_id());
    const bool broker_changed =
        before.per_broker != now.per_broker || before.cluster_default != now.cluster_default;
    for (const auto& [name, topic] : image.topics_by_name()) {
        const auto& configs = image.topic_configs(name);
        if (!broker_changed && previous.topic(name) != nullptr
            && previous.topic_configs(name) == configs) {
            continue;
        }
        const auto lc = log_config_for(config_, now, configs);
        size_t updated = 0;
        for (const auto& [index, part] : topic->partitions) {
            storage::TopicPartition tp{name, index};
            auto log = logs_->get(tp);
            if (!log) {
                continue;  // not hosted here
            }
            (*log)->update_config(lc);
            ++updated;
            if (lc.cleanup_compact) {
                cleaner_->add_log(*log);
            } else {
                cleaner_->remove_log(tp);
            }
        }
        if (updated > 0) {
            log::get("broker")->info(
                "topic {}: {} partition log(s) now use retention.ms={} "
                "segment.bytes={} compact={}",
                name, updated, lc.retention_ms, lc.segment_bytes, lc.cleanup_compact);
        }
    }
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
    lm.default_config = log_config_for(config_, {}, {});
    lm.recovery_threads_per_dir = config_.get_int("num.recovery.threads.per.data.dir");
    lm.retention_check_interval_ms = config_.get_long("log.retention.check.interval.ms");
    lm.file_delete_delay_ms = config_.get_long("log.segment.delete.delay.ms");
    lm.flush_scheduler_interval_ms = config_.get_long("log.flush.scheduler.interval.ms");
    lm.flush_offset_checkpoint_interval_ms =
        config_.get_int("log.flush.offset.checkpoint.interval.ms");
    lm.flush_start_offset_checkpoint_interval_ms =
        config_.get_int("log.flush.start.offset.checkpoint.interval.ms");
    lm.max_open_files = max_open_segment_files(config_);
    lm.producer_id_expiration_ms = config_.get_int("producer.id.expiration.ms");
    cleaner_ = std::make_unique<storage::LogCleaner>(cleaner_config(config_));
    lm.on_remove = [cleaner = cleaner_.get()](const storage::TopicPartition& tp) {
        cleaner->remove_log(tp, true);
    };
    logs_ = std::make_unique<storage::LogManager>(std::move(lm));
    state_.logs = logs_.get();
    replicas_ = std::make_unique<replication::ReplicaManager>(
        config_.node_id(), *logs_,
        static_cast<size_t>(config_.get_int("gregor.delayed.operations.max")));
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
    groups_ = std::make_unique<coordinator::GroupCoordinator>(coordinator_config(config_));
    offsets_store_ = std::make_unique<OffsetsTopicStore>(state_);
    groups_->set_store(offsets_store_.get());
    // Requests wait for `ready`, so the groups are whole before anyone asks.
    log->info("replayed {} records of {}", load_offsets_topic(*logs_, *groups_), kOffsetsTopic);
    state_.groups = groups_.get();
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
    start_producer_ids();
    state_.ready.store(true, std::memory_order_release);
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
    state_.producer_ids.store(nullptr, std::memory_order_release);
    state_.groups = nullptr;
    groups_.reset();  // after the server: no handler calls in any more
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

void Broker::start_producer_ids() {
    // Blocks come from the in-process controller (AllocateProducerIds) for this incarnation.
    auto* controller = controller_.get();
    const int32_t node_id = config_.node_id();
    producer_ids_ = std::make_unique<ProducerIdManager>(
        [controller, node_id](ProducerIdManager::BlockDone done) {
            const auto* self = controller->image()->broker(node_id);
            const int64_t epoch = self != nullptr ? self->epoch : -1;
            controller->allocate_producer_ids(
                node_id, epoch, [done = std::move(done)](protocol::AllocateProducerIdsResponse r) {
                    done(r.error_code, ProducerIdBlock{r.producer_id_start, r.producer_id_len});
                });
        });
    producer_ids_->prefetch();
    state_.producer_ids.store(producer_ids_.get(), std::memory_order_release);
}

void Broker::track_compaction(const std::shared_ptr<storage::Log>& log) {
    if (log->config().cleanup_compact) {
        cleaner_->add_log(log);
    }
}

}  // namespace gregor::broker
