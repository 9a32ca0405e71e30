#include "gregor/controller/quorum_controller.h"

#include "gregor/common/assert.h"
#include "gregor/common/logging.h"

#include <fmt/format.h>

#include <chrono>
#include <future>
#include <limits>
#include <set>

namespace gregor::controller {

namespace p = protocol;
using metadata::ApiMessageAndVersion;
using metadata::make_record;
using CreatableTopicResult = p::CreateTopicsResponse::CreatableTopicResult;
using DeletableTopicResult = p::DeleteTopicsResponse::DeletableTopicResult;

namespace {

constexpr size_t kMaxNameLength = 249;  // Topic.MAX_NAME_LENGTH
constexpr const char* kClusterMetadataTopic = "__cluster_metadata";
// PartitionRecord v1 carries directories (metadata.version >= 3.7-IV2); v2 adds ELR, which
// eligible.leader.replicas.version 0 leaves off.
constexpr int16_t kPartitionRecordVersion = 1;
// RegisterBrokerRecord v3 (metadata.version >= 3.7-IV2: log dirs).
constexpr int16_t kRegisterBrokerRecordVersion = 3;

bool legal_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
           || c == '_' || c == '-';
}

// Java's String.length(): UTF-16 code units (a 4-byte UTF-8 sequence is two).
size_t utf16_length(std::string_view s) {
    size_t n = 0;
    for (char c : s) {
        const auto b = static_cast<uint8_t>(c);
        if ((b & 0xC0) != 0x80) {
            n += b >= 0xF0 ? 2 : 1;
        }
    }
    return n;
}

std::string unify_collision_chars(std::string_view name) {
    std::string out(name);
    for (auto& c : out) {
        if (c == '.') {
            c = '_';
        }
    }
    return out;
}

struct ApiError {
    int16_t code = errc::none;
    std::optional<std::string> message;
};

}  // namespace

std::optional<std::string> validate_topic_name(std::string_view name) {
    // Kafka's Topic.validate: "Topic name is invalid: " and detectInvalidTopic's reason.
    if (name.empty()) {
        return std::string("Topic name is invalid: the empty string is not allowed");
    }
    if (name == "." || name == "..") {
        return fmt::format("Topic name is invalid: '{}' is not allowed", name);
    }
    if (utf16_length(name) > kMaxNameLength) {
        return fmt::format(
            "Topic name is invalid: the length of '{}' is longer than the max allowed length {}",
            name, kMaxNameLength);
    }
    for (char c : name) {
        if (!legal_char(c)) {
            return fmt::format(
                "Topic name is invalid: '{}' contains one or more characters other "
                "than ASCII alphanumerics, '.', '_' and '-'",
                name);
        }
    }
    return std::nullopt;
}

bool topics_collide(std::string_view a, std::string_view b) {
    return unify_collision_chars(a) == unify_collision_chars(b);
}

bool is_internal_topic(std::string_view name) {
    return name == "__consumer_offsets" || name == "__transaction_state"
           || name == "__share_group_state";
}

QuorumController::QuorumController(ControllerConfig config,
                                   std::unique_ptr<MetadataLog> log,
                                   ImagePublisher publish)
    : config_(std::move(config)),
      log_(std::move(log)),
      publish_(std::move(publish)),
      image_(metadata::MetadataImage::empty()) {
    GREGOR_ASSERT(config_.queue_capacity > 0, "controller queue capacity must be positive");
}

QuorumController::~QuorumController() {
    stop();
}

std::shared_ptr<const metadata::MetadataImage> QuorumController::image() const {
    std::lock_guard lock(image_mutex_);
    return image_;
}

result<bool, std::string> QuorumController::start(std::vector<metadata::BrokerEndpoint> endpoints) {
    if (!endpoints.empty()) {
        config_.endpoints = std::move(endpoints);
    }
    const auto& log = log::get("controller");
    auto loaded = load_image();
    if (!loaded) {
        return unexpected<std::string>(loaded.error());
    }
    if (image_->metadata_version() == 0) {
        // Bootstrap a new cluster (Kafka's BootstrapMetadata): the finalized metadata.version.
        p::FeatureLevelRecord mv;
        mv.name = "metadata.version";
        mv.feature_level = config_.metadata_version;
        auto done = commit({make_record(std::move(mv))});
        if (!done) {
            return unexpected<std::string>(done.error());
        }
        log->info("bootstrapped the metadata log: metadata.version {}", config_.metadata_version);
    }
    auto registered = register_self();
    if (!registered) {
        return unexpected<std::string>(registered.error());
    }
    if (publish_) {
        publish_(image());
    }
    {
        std::lock_guard lock(mutex_);
        stopping_ = false;
        running_ = true;
    }
    thread_ = std::thread([this] { run(); });
    return true;
}

result<bool, std::string> QuorumController::register_self() {
    // Every start is a new incarnation with a new broker epoch (the offset of its registration),
    // registered fenced and then unfenced, as a broker's first heartbeat does in Kafka.
    const int64_t epoch = log_->end_offset();
    p::RegisterBrokerRecord reg;
    reg.broker_id = config_.node_id;
    reg.incarnation_id = p::Uuid::random();
    reg.broker_epoch = epoch;
    for (const auto& e : config_.endpoints) {
        auto& out = reg.end_points.emplace_back();
        out.name = e.listener;
        out.host = e.host;
        out.port = e.port;
        out.security_protocol = e.security_protocol;
    }
    auto& mv = reg.features.emplace_back();
    mv.name = "metadata.version";
    mv.min_supported_version = 7;
    mv.max_supported_version = config_.metadata_version;
    reg.rack = config_.rack;
    reg.fenced = true;
    p::UnfenceBrokerRecord unfence;
    unfence.id = config_.node_id;
    unfence.epoch = epoch;
    return commit({make_record(std::move(reg), kRegisterBrokerRecordVersion),
                   make_record(std::move(unfence))});
}

void QuorumController::stop() {
    std::deque<Event> pending;
    {
        std::lock_guard lock(mutex_);
        if (!running_) {
            return;
        }
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
    {
        std::lock_guard lock(mutex_);
        running_ = false;
    }
    log_->close();
}

bool QuorumController::enqueue(Event event) {
    {
        std::lock_guard lock(mutex_);
        if (!running_ || stopping_ || queue_.size() >= config_.queue_capacity) {
            return false;
        }
        queue_.push_back(std::move(event));
    }
    cv_.notify_one();
    return true;
}

void QuorumController::run() {
    for (;;) {
        Event event;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return;  // stopping, and every queued event has run
            }
            event = std::move(queue_.front());
            queue_.pop_front();
        }
        event();
    }
}

result<bool, std::string> QuorumController::commit(
    const std::vector<ApiMessageAndVersion>& records) {
    if (records.empty()) {
        return true;
    }
    const int64_t first = log_->end_offset();
    auto last = log_->append(records);
    if (!last) {
        return unexpected<std::string>(last.error());
    }
    // Replaying what we just appended cannot fail: the records were built from this image.
    metadata::MetadataDelta delta(image_);
    std::string error;
    int64_t offset = *last - static_cast<int64_t>(records.size()) + 1;
    GREGOR_ASSERT(offset >= first, "metadata log offsets went backwards");
    for (const auto& r : records) {
        bool ok = delta.replay(offset++, r, &error);
        GREGOR_ASSERT(ok, "replaying a committed record failed");
    }
    auto next = delta.apply();
    {
        std::lock_guard lock(image_mutex_);
        image_ = next;
    }
    if (publish_ && running_) {
        publish_(next);
    }
    maybe_snapshot(records);
    return true;
}

void QuorumController::create_topics(p::CreateTopicsRequest request,
                                     int16_t version,
                                     CreateTopicsDone done) {
    auto req = std::make_shared<p::CreateTopicsRequest>(std::move(request));
    auto cb = std::make_shared<CreateTopicsDone>(std::move(done));
    bool queued = enqueue([this, req, cb, version] { (*cb)(do_create_topics(*req, version)); });
    if (!queued) {
        p::CreateTopicsResponse resp;
        for (const auto& t : req->topics) {
            auto& r = resp.topics.emplace_back();
            r.name = t.name;
            r.error_code = errc::request_timed_out;
            r.error_message = "The controller is busy or stopping";
        }
        (*cb)(std::move(resp));
    }
}

void QuorumController::allocate_producer_ids(int32_t broker_id,
                                             int64_t broker_epoch,
                                             AllocateProducerIdsDone done) {
    auto cb = std::make_shared<AllocateProducerIdsDone>(std::move(done));
    bool queued = enqueue([this, cb, broker_id, broker_epoch] {
        (*cb)(do_allocate_producer_ids(broker_id, broker_epoch));
    });
    if (!queued) {
        p::AllocateProducerIdsResponse resp;
        resp.error_code = errc::request_timed_out;
        (*cb)(std::move(resp));
    }
}

p::AllocateProducerIdsResponse QuorumController::do_allocate_producer_ids(int32_t broker_id,
                                                                          int64_t broker_epoch) {
    p::AllocateProducerIdsResponse resp;
    const auto& brokers = image_->brokers();
    auto it = brokers.find(broker_id);
    if (it == brokers.end()) {
        resp.error_code = errc::broker_id_not_registered;
        return resp;
    }
    if (it->second.epoch != broker_epoch) {
        resp.error_code = errc::stale_broker_epoch;
        return resp;
    }
    const int64_t first = image_->next_producer_id();
    if (first > std::numeric_limits<int64_t>::max() - kProducerIdBlockSize) {
        resp.error_code = errc::unknown_server_error;  // Kafka: every producer id is used up
        return resp;
    }
    p::ProducerIdsRecord record;
    record.broker_id = broker_id;
    record.broker_epoch = broker_epoch;
    record.next_producer_id = first + kProducerIdBlockSize;
    auto committed = commit({make_record(std::move(record))});
    if (!committed) {
        log::get("controller")
            ->error("AllocateProducerIds could not be committed: {}", committed.error());
        resp.error_code = errc::unknown_server_error;
        return resp;
    }
    resp.producer_id_start = first;
    resp.producer_id_len = kProducerIdBlockSize;
    return resp;
}

void QuorumController::delete_topics(p::DeleteTopicsRequest request,
                                     int16_t version,
                                     DeleteTopicsDone done) {
    auto req = std::make_shared<p::DeleteTopicsRequest>(std::move(request));
    auto cb = std::make_shared<DeleteTopicsDone>(std::move(done));
    bool queued = enqueue([this, req, cb, version] { (*cb)(do_delete_topics(*req, version)); });
    if (!queued) {
        p::DeleteTopicsResponse resp;
        for (const auto& n : req->topic_names) {
            auto& r = resp.responses.emplace_back();
            r.name = n;
            r.error_code = errc::request_timed_out;
        }
        for (const auto& t : req->topics) {
            auto& r = resp.responses.emplace_back();
            r.name = t.name;
            r.topic_id = t.topic_id;
            r.error_code = errc::request_timed_out;
        }
        (*cb)(std::move(resp));
    }
}

p::CreateTopicsResponse QuorumController::create_topics_sync(p::CreateTopicsRequest request,
                                                             int16_t version) {
    std::promise<p::CreateTopicsResponse> promise;
    auto future = promise.get_future();
    create_topics(std::move(request), version,
                  [&promise](p::CreateTopicsResponse r) { promise.set_value(std::move(r)); });
    return future.get();
}

p::DeleteTopicsResponse QuorumController::delete_topics_sync(p::DeleteTopicsRequest request,
                                                             int16_t version) {
    std::promise<p::DeleteTopicsResponse> promise;
    auto future = promise.get_future();
    delete_topics(std::move(request), version,
                  [&promise](p::DeleteTopicsResponse r) { promise.set_value(std::move(r)); });
    return future.get();
}

p::CreateTopicsResponse QuorumController::do_create_topics(const p::CreateTopicsRequest& request,
                                                           int16_t /*version*/) {
    const auto& log = log::get("controller");
    const metadata::MetadataImage& img = *image_;
    std::map<std::string, ApiError> errors;
    std::map<std::string, CreatableTopicResult> successes;
    std::vector<ApiMessageAndVersion> records;

    // ControllerApis: a name twice in one request is refused for every occurrence.
    std::set<std::string> seen;
    std::set<std::string> duplicates;
    for (const auto& t : request.topics) {
        if (!seen.insert(t.name).second) {
            duplicates.insert(t.name);
        }
    }
    for (const auto& name : duplicates) {
        errors[name] = {errc::invalid_request, "Duplicate topic name."};
    }

    // Collision-prone names among existing topics (topicsWithCollisionChars).
    std::map<std::string, std::string> collision_names;
    for (const auto& [name, topic] : img.topics_by_name()) {
        if (name.find_first_of("._") != std::string::npos) {
            collision_names.emplace(unify_collision_chars(name), name);
        }
    }
    for (const auto& t : request.topics) {
        if (errors.count(t.name) != 0) {
            continue;
        }
        if (auto bad = validate_topic_name(t.name)) {
            errors[t.name] = {errc::invalid_topic_exception, *bad};
        } else if (t.name == kClusterMetadataTopic) {
            errors[t.name] = {errc::invalid_request,
                              "Creation of internal topic __cluster_metadata is prohibited."};
        }
        if (t.name.find_first_of("._") != std::string::npos) {
            auto it = collision_names.find(unify_collision_chars(t.name));
            if (it != collision_names.end() && it->second != t.name) {
                errors[t.name] = {
                    errc::invalid_topic_exception,
                    fmt::format("Topic '{}' collides with existing topic: {}", t.name, it->second)};
            }
        }
    }
    for (const auto& t : request.topics) {
        if (img.topic(t.name) != nullptr && duplicates.count(t.name) == 0) {
            errors[t.name] = {errc::topic_already_exists,
                              fmt::format("Topic '{}' already exists.", t.name)};
        }
    }
    // Configs: no nulls, only known topic config names.
    std::map<std::string, metadata::ConfigMap> creation_configs;
    for (const auto& t : request.topics) {
        if (errors.count(t.name) != 0) {
            continue;
        }
        std::vector<std::string> nulls;
        metadata::ConfigMap configs;
        for (const auto& c : t.configs) {
            if (!c.value) {
                nulls.push_back(c.name);
            } else {
                configs[c.name] = *c.value;
            }
        }
        if (!nulls.empty()) {
            errors[t.name] = {errc::invalid_config,
                              fmt::format("Null value not supported for topic configs: {}",
                                          fmt::join(nulls, ","))};
            continue;
        }
        for (const auto& [name, value] : configs) {
            if (config_.is_topic_config && !config_.is_topic_config(name)) {
                errors[t.name] = {errc::invalid_config,
                                  fmt::format("Unknown topic config name: {}", name)};
                break;
            }
            if (config_.check_topic_config_value) {
                if (auto bad = config_.check_topic_config_value(name, value)) {
                    errors[t.name] = {errc::invalid_config, *bad};
                    break;
                }
            }
        }
        creation_configs[t.name] = std::move(configs);
    }

    // Placement: the live brokers, in id order, striped from a rotating start (a single node
    // puts every replica on itself).
    std::vector<int32_t> live;
    for (const auto& [id, b] : img.brokers()) {
        if (!b.fenced) {
            live.push_back(id);
        }
    }
    for (const auto& t : request.topics) {
        if (errors.count(t.name) != 0 || successes.count(t.name) != 0) {
            continue;
        }
        std::map<int32_t, metadata::PartitionImage> parts;
        if (!t.assignments.empty()) {
            if (t.replication_factor != -1) {
                errors[t.name] = {errc::invalid_request,
                                  "A manual partition assignment was specified, but replication "
                                  "factor was not set to -1."};
                continue;
            }
            if (t.num_partitions != -1) {
                errors[t.name] = {errc::invalid_request,
                                  "A manual partition assignment was specified, but numPartitions "
                                  "was not set to -1."};
                continue;
            }
            std::optional<size_t> rf;
            ApiError bad;
            for (const auto& a : t.assignments) {
                if (parts.count(a.partition_index) != 0) {
                    bad = {errc::invalid_replica_assignment,
                           fmt::format("Found multiple manual partition assignments for "
                                       "partition {}",
                                       a.partition_index)};
                    break;
                }
                std::set<int32_t> ids(a.broker_ids.begin(), a.broker_ids.end());
                if (a.broker_ids.empty()) {
                    bad = {errc::invalid_replica_assignment,
                           "The manual partition assignment includes an empty replica list."};
                } else if (ids.size() != a.broker_ids.size()) {
                    bad = {errc::invalid_replica_assignment,
                           fmt::format("The manual partition assignment includes the broker {} "
                                       "more than once.",
                                       a.broker_ids.front())};
                } else if (rf && *rf != a.broker_ids.size()) {
                    bad = {errc::invalid_replica_assignment,
                           fmt::format("The manual partition assignment includes a partition "
                                       "with {} replica(s), but this is not consistent with "
                                       "previous partitions, which have {} replica(s).",
                                       a.broker_ids.size(), *rf)};
                } else {
                    for (int32_t b : a.broker_ids) {
                        if (img.broker(b) == nullptr) {
                            bad = {errc::invalid_replica_assignment,
                                   fmt::format("The manual partition assignment includes broker "
                                               "{}, but no such broker is registered.",
                                               b)};
                            break;
                        }
                    }
                }
                if (bad.code != errc::none) {
                    break;
                }
                rf = a.broker_ids.size();
                metadata::PartitionImage part;
                part.replicas = a.broker_ids;
                for (int32_t b : a.broker_ids) {
                    if (!img.broker(b)->fenced) {
                        part.isr.push_back(b);
                    }
                }
                if (part.isr.empty()) {
                    bad = {errc::invalid_replica_assignment,
                           fmt::format("All brokers specified in the manual partition assignment "
                                       "for partition {} are fenced or in controlled shutdown.",
                                       a.partition_index)};
                    break;
                }
                part.leader = part.isr.front();
                parts[a.partition_index] = std::move(part);
            }
            if (bad.code == errc::none) {
                for (int32_t i = 0; i < static_cast<int32_t>(parts.size()); ++i) {
                    if (parts.count(i) == 0) {
                        bad = {errc::invalid_replica_assignment,
                               "partitions should be a consecutive 0-based integer sequence"};
                        break;
                    }
                }
            }
            if (bad.code != errc::none) {
                errors[t.name] = bad;
                continue;
            }
        } else if (t.replication_factor < -1 || t.replication_factor == 0) {
            errors[t.name] = {errc::invalid_replication_factor,
                              "Replication factor must be larger than 0, or -1 to use the "
                              "default value."};
            continue;
        } else if (t.num_partitions < -1 || t.num_partitions == 0) {
            errors[t.name] = {errc::invalid_partitions,
                              "Number of partitions was set to an invalid non-positive value."};
            continue;
        } else {
            const int32_t num_partitions =
                t.num_partitions == -1 ? config_.default_num_partitions : t.num_partitions;
            const int32_t rf = t.replication_factor == -1 ? config_.default_replication_factor
                                                          : t.replication_factor;
            if (rf > static_cast<int32_t>(live.size())) {
                errors[t.name] = {errc::invalid_replication_factor,
                                  fmt::format("Unable to replicate the partition {} time(s): The "
                                              "target replication factor of {} cannot be reached "
                                              "because only {} broker(s) are registered.",
                                              rf, rf, live.size())};
                continue;
            }
            for (int32_t i = 0; i < num_partitions; ++i) {
                metadata::PartitionImage part;
                for (int32_t r = 0; r < rf; ++r) {
                    part.replicas.push_back(live[static_cast<size_t>(i + r) % live.size()]);
                }
                part.isr = part.replicas;
                part.leader = part.isr.front();
                parts[i] = std::move(part);
            }
        }
        const p::Uuid topic_id = p::Uuid::random();
        CreatableTopicResult result;
        result.name = t.name;
        result.topic_id = topic_id;
        result.error_code = errc::none;
        result.num_partitions = static_cast<int32_t>(parts.size());
        result.replication_factor = static_cast<int16_t>(parts.begin()->second.replicas.size());
        result.topic_config_error_code = errc::none;
        if (config_.describe_topic_configs) {
            result.configs = config_.describe_topic_configs(creation_configs[t.name]);
        }
        successes.emplace(t.name, std::move(result));

        for (const auto& [name, value] : creation_configs[t.name]) {
            p::ConfigRecord c;
            c.resource_type = metadata::kConfigResourceTopic;
            c.resource_name = t.name;
            c.name = name;
            c.value = value;
            records.push_back(make_record(std::move(c)));
        }
        p::TopicRecord topic;
        topic.name = t.name;
        topic.topic_id = topic_id;
        records.push_back(make_record(std::move(topic)));
        for (auto& [index, part] : parts) {
            p::PartitionRecord pr;
            pr.partition_id = index;
            pr.topic_id = topic_id;
            pr.replicas = part.replicas;
            pr.isr = part.isr;
            pr.leader = part.leader;
            pr.leader_epoch = 0;
            pr.partition_epoch = 0;
            pr.directories.assign(part.replicas.size(), p::Uuid{});  // DirectoryId.UNASSIGNED
            records.push_back(make_record(std::move(pr), kPartitionRecordVersion));
        }
    }

    p::CreateTopicsResponse resp;
    std::string summary;
    for (const auto& t : request.topics) {
        auto err = errors.find(t.name);
        if (err != errors.end()) {
            auto& r = resp.topics.emplace_back();
            r.name = t.name;
            r.error_code = err->second.code;
            r.error_message = err->second.message;
            summary += fmt::format("{}{}: error {} ({})", summary.empty() ? "" : ", ", t.name,
                                   err->second.code, err->second.message.value_or(""));
            continue;
        }
        auto ok = successes.find(t.name);
        if (ok != successes.end()) {
            resp.topics.push_back(ok->second);
            summary += fmt::format("{}{}: SUCCESS", summary.empty() ? "" : ", ", t.name);
        }
    }
    if (request.validate_only) {
        log->info("Validate-only CreateTopics result(s): {}", summary);
        return resp;
    }
    auto committed = commit(records);
    if (!committed) {
        log->error("CreateTopics could not be committed: {}", committed.error());
        for (auto& r : resp.topics) {
            if (r.error_code == errc::none) {
                r.topic_id = p::Uuid{};
                r.error_code = errc::unknown_server_error;
                r.error_message =
                    "The metadata log did not accept the change: " + committed.error();
                r.configs = std::vector<CreatableTopicResult::CreatableTopicConfigs>{};
                r.num_partitions = -1;
                r.replication_factor = -1;
            }
        }
        return resp;
    }
    log->info("CreateTopics result(s): {}", summary);
    return resp;
}

p::DeleteTopicsResponse QuorumController::do_delete_topics(const p::DeleteTopicsRequest& request,
                                                           int16_t version) {
    const auto& log = log::get("controller");
    const metadata::MetadataImage& img = *image_;
    p::DeleteTopicsResponse resp;
    std::vector<ApiMessageAndVersion> records;
    std::set<p::Uuid, metadata::UuidLess> removing;

    auto remove = [&](const metadata::TopicImage& t, DeletableTopicResult& r) {
        r.name = t.name;
        r.topic_id = t.id;
        if (removing.insert(t.id).second) {
            p::RemoveTopicRecord rec;
            rec.topic_id = t.id;
            records.push_back(make_record(std::move(rec)));
        }
    };

    if (version < 6) {
        std::map<std::string, int> counts;
        for (const auto& n : request.topic_names) {
            ++counts[n];
        }
        for (const auto& n : request.topic_names) {
            auto& r = resp.responses.emplace_back();
            r.name = n;
            if (counts[n] > 1) {
                r.error_code = errc::invalid_request;
                r.error_message = "Duplicate topic name.";
            } else if (const auto* t = img.topic(n)) {
                remove(*t, r);
            } else {
                r.error_code = errc::unknown_topic_or_partition;
                r.error_message = "This server does not host this topic-partition.";
            }
        }
    } else {
        std::map<std::string, int> name_counts;
        std::map<p::Uuid, int, metadata::UuidLess> id_counts;
        for (const auto& t : request.topics) {
            if (t.name) {
                ++name_counts[*t.name];
            } else {
                ++id_counts[t.topic_id];
            }
        }
        for (const auto& t : request.topics) {
            auto& r = resp.responses.emplace_back();
            r.name = t.name;
            r.topic_id = t.topic_id;
            if (t.name && !t.topic_id.is_zero()) {
                r.error_code = errc::invalid_request;
                r.error_message = "You may not specify both topic name and topic id.";
            } else if (t.name) {
                if (name_counts[*t.name] > 1) {
                    r.error_code = errc::invalid_request;
                    r.error_message = "Duplicate topic name.";
                } else if (const auto* topic = img.topic(*t.name)) {
                    remove(*topic, r);
                } else {
                    r.error_code = errc::unknown_topic_or_partition;
                    r.error_message = "This server does not host this topic-partition.";
                }
            } else if (t.topic_id.is_zero()) {
                r.error_code = errc::invalid_request;
                r.error_message = "Neither topic name nor id were specified.";
            } else if (id_counts[t.topic_id] > 1) {
                r.error_code = errc::invalid_request;
                r.error_message = "Duplicate topic id.";
            } else if (const auto* topic = img.topic(t.topic_id)) {
                remove(*topic, r);
            } else {
                r.error_code = errc::unknown_topic_id;
                r.error_message = "This server does not host this topic ID.";
            }
        }
    }
    auto committed = commit(records);
    if (!committed) {
        log->error("DeleteTopics could not be committed: {}", committed.error());
        for (auto& r : resp.responses) {
            if (r.error_code == errc::none) {
                r.error_code = errc::unknown_server_error;
                r.error_message =
                    "The metadata log did not accept the change: " + committed.error();
            }
        }
        return resp;
    }
    for (const auto& r : resp.responses) {
        if (r.error_code == errc::none) {
            log->info("Removed topic {} with ID {}.", r.name.value_or(""), r.topic_id.to_string());
        }
    }
    return resp;
}

}  // namespace gregor::controller
