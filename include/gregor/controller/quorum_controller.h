#pragma once

// The controller state machine (Kafka's QuorumController with ReplicationControlManager and
// FeatureControlManager in one): a single thread takes events from a bounded queue, turns each
// metadata-changing request into records, appends them to the MetadataLog, replays them into a
// new MetadataImage and publishes it. Only the controller thread touches its state; results go
// back through the completion callbacks, called on the controller thread.

#include "gregor/controller/metadata_log.h"
#include "gregor/metadata/image.h"
#include "gregor/protocol/messages/controller.h"
#include "gregor/protocol/messages/topic_admin.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace gregor::controller {

// Kafka error codes the controller answers with (org.apache.kafka.common.protocol.Errors).
namespace errc {
inline constexpr int16_t none = 0;
inline constexpr int16_t unknown_server_error = -1;
inline constexpr int16_t unknown_topic_or_partition = 3;
inline constexpr int16_t request_timed_out = 7;
inline constexpr int16_t invalid_topic_exception = 17;
inline constexpr int16_t topic_already_exists = 36;
inline constexpr int16_t invalid_partitions = 37;
inline constexpr int16_t invalid_replication_factor = 38;
inline constexpr int16_t invalid_replica_assignment = 39;
inline constexpr int16_t invalid_config = 40;
inline constexpr int16_t not_controller = 41;
inline constexpr int16_t invalid_request = 42;
inline constexpr int16_t stale_broker_epoch = 77;
inline constexpr int16_t throttling_quota_exceeded = 89;
inline constexpr int16_t broker_id_not_registered = 102;
inline constexpr int16_t unknown_topic_id = 100;
}  // namespace errc

// Kafka's Topic.validate: the error message, or nullopt for a legal name.
std::optional<std::string> validate_topic_name(std::string_view name);
// Kafka's Topic.hasCollision: equal once '.' is read as '_'.
bool topics_collide(std::string_view a, std::string_view b);
// Kafka's internal topics (Topic.isInternal).
bool is_internal_topic(std::string_view name);

// One resource's config changes (IncrementalAlterConfigs ops; AlterConfigs is SETs with
// `replace`, which deletes every config not named).
struct ConfigAlteration {
    std::string name;
    int8_t op = 0;  // Kafka's AlterConfigOp.OpType: 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT
    std::optional<std::string> value;
};
struct ConfigResourceAlteration {
    int8_t resource_type = 0;  // metadata::kConfigResourceTopic or kConfigResourceBroker
    std::string resource_name;
    std::vector<ConfigAlteration> alterations;
    bool replace = false;
};
struct ApiResult {
    int16_t error_code = errc::none;
    std::optional<std::string> error_message;
};

// What the controller knows of config schemas (Kafka's KafkaConfigSchema and the controller's
// config validator); unset functions accept everything.
struct ConfigSchema {
    // Whether APPEND and SUBTRACT apply (a LIST config).
    std::function<bool(int8_t type, std::string_view name)> is_list;
    // The default a list op starts from when the resource has no value.
    std::function<std::optional<std::string>(int8_t type, std::string_view name)> default_value;
    // The resource's changed configs (nullopt: deleted): the error, or nullopt when valid.
    std::function<std::optional<ApiResult>(int8_t type,
                                           const std::string& resource,
                                           const metadata::ConfigMap& changed,
                                           const std::vector<std::string>& deleted)>
        validate;
};

struct ControllerConfig {
    int32_t node_id = 1;
    int32_t default_num_partitions = 1;      // num.partitions
    int16_t default_replication_factor = 1;  // default.replication.factor
    size_t queue_capacity = 500;             // bounded by queued.max.requests
    int16_t metadata_version = 27;           // bootstrapped metadata.version (4.1-IV1)
    // This node's registration, written at every start (a new incarnation and broker epoch).
    std::vector<metadata::BrokerEndpoint> endpoints;
    std::optional<std::string> rack;
    // Whether a name is a topic config (Kafka's LogConfig names); unknown ones are INVALID_CONFIG.
    std::function<bool(std::string_view)> is_topic_config;
    // Checks a known topic config's value (Kafka's ConfigDef parse and validators): the
    // INVALID_CONFIG message, or nullopt. Unset: values are not checked.
    std::function<std::optional<std::string>(std::string_view name, const std::string& value)>
        check_topic_config_value;
    // Effective configs of a topic about to be created (its explicit configs over the broker's
    // defaults), for CreateTopics v5+ responses. Empty when unset.
    std::function<
        std::vector<protocol::CreateTopicsResponse::CreatableTopicResult::CreatableTopicConfigs>(
            const metadata::ConfigMap&)>
        describe_topic_configs;
    ConfigSchema config_schema;
    // When to snapshot the image and how many snapshots to keep (controller_snapshots.cc).
    SnapshotPolicy snapshots;
};

using ImagePublisher = std::function<void(std::shared_ptr<const metadata::MetadataImage>)>;

class QuorumController {
public:
    QuorumController(ControllerConfig config,
                     std::unique_ptr<MetadataLog> log,
                     ImagePublisher publish);
    ~QuorumController();
    QuorumController(const QuorumController&) = delete;
    QuorumController& operator=(const QuorumController&) = delete;

    // Replays the log, bootstraps an empty one (metadata.version), registers and unfences this
    // node (with `endpoints` when given, else the configured ones), publishes the image and
    // starts the controller thread. The error says what failed.
    result<bool, std::string> start(std::vector<metadata::BrokerEndpoint> endpoints = {});
    // Fails queued events with REQUEST_TIMED_OUT, stops the thread, closes the log. Idempotent.
    void stop();

    // The latest committed image (any thread).
    std::shared_ptr<const metadata::MetadataImage> image() const;

    using CreateTopicsDone = std::function<void(protocol::CreateTopicsResponse)>;
    using DeleteTopicsDone = std::function<void(protocol::DeleteTopicsResponse)>;

    // CreateTopics as Kafka's controller answers it (ReplicationControlManager.createTopics):
    // per-topic results with errors and messages; validate_only appends nothing. `version` is the
    // request's (v4+ take -1 for broker defaults). A full queue fails every topic with
    // REQUEST_TIMED_OUT at once, on the caller's thread.
    void create_topics(protocol::CreateTopicsRequest request,
                       int16_t version,
                       CreateTopicsDone done);
    // DeleteTopics by name (all versions) and by id (v6+).
    void delete_topics(protocol::DeleteTopicsRequest request,
                       int16_t version,
                       DeleteTopicsDone done);

    using CreatePartitionsDone = std::function<void(protocol::CreatePartitionsResponse)>;
    using AlterConfigsDone = std::function<void(std::vector<ApiResult>)>;

    // CreatePartitions as ReplicationControlManager.createPartitions: PartitionRecords for the
    // new partitions; validate_only appends nothing.
    void create_partitions(protocol::CreatePartitionsRequest request, CreatePartitionsDone done);
    // Config changes as ConfigurationControlManager: ConfigRecords (a null value deletes), one
    // result per resource in request order; validate_only appends nothing.
    void alter_configs(std::vector<ConfigResourceAlteration> resources,
                       bool validate_only,
                       AlterConfigsDone done);
    protocol::CreatePartitionsResponse create_partitions_sync(
        protocol::CreatePartitionsRequest request);
    std::vector<ApiResult> alter_configs_sync(std::vector<ConfigResourceAlteration> resources,
                                              bool validate_only);
    // Kafka's AllocateProducerIds (ProducerIdControlManager): the next block of
    // kProducerIdBlockSize ids for a registered broker of that epoch, committed as a
    // ProducerIdsRecord before it is handed out, so no id is ever given twice, restarts included.
    // STALE_BROKER_EPOCH / BROKER_ID_NOT_REGISTERED for a wrong broker; REQUEST_TIMED_OUT when
    // the queue is full.
    static constexpr int32_t kProducerIdBlockSize = 1000;
    using AllocateProducerIdsDone = std::function<void(protocol::AllocateProducerIdsResponse)>;
    void allocate_producer_ids(int32_t broker_id,
                               int64_t broker_epoch,
                               AllocateProducerIdsDone done);

    // Synchronous variants for tests and the auto-create path: run on the caller's thread when
    // the controller thread is not running, else queue and wait.
    protocol::CreateTopicsResponse create_topics_sync(protocol::CreateTopicsRequest request,
                                                      int16_t version);
    protocol::DeleteTopicsResponse delete_topics_sync(protocol::DeleteTopicsRequest request,
                                                      int16_t version);

    // Writes a snapshot of the latest image now (on the controller thread while it runs), unless
    // the newest snapshot already ends there. The error says why none was written.
    result<SnapshotId, std::string> take_snapshot();

private:
    using Event = std::function<void()>;
    bool enqueue(Event event);
    void run();

    protocol::CreateTopicsResponse do_create_topics(const protocol::CreateTopicsRequest& request,
                                                    int16_t version);
    protocol::DeleteTopicsResponse do_delete_topics(const protocol::DeleteTopicsRequest& request,
                                                    int16_t version);
    protocol::CreatePartitionsResponse do_create_partitions(
        const protocol::CreatePartitionsRequest& request);
    std::vector<ApiResult> do_alter_configs(const std::vector<ConfigResourceAlteration>& resources,
                                            bool validate_only);
    ApiResult alter_config_resource(const ConfigResourceAlteration& resource,
                                    std::vector<metadata::ApiMessageAndVersion>& records) const;
    protocol::AllocateProducerIdsResponse do_allocate_producer_ids(int32_t broker_id,
                                                                   int64_t broker_epoch);
    // Appends, replays into the next image and publishes it. The error leaves the image as it was.
    result<bool, std::string> commit(const std::vector<metadata::ApiMessageAndVersion>& records);
    result<bool, std::string> register_self();
    // Snapshots (controller_snapshots.cc): the newest usable snapshot plus the log after it;
    // counting committed bytes and snapshotting when the policy says so; writing one.
    result<bool, std::string> load_image();
    void maybe_snapshot(const std::vector<metadata::ApiMessageAndVersion>& records);
    result<SnapshotId, std::string> write_snapshot();

    ControllerConfig config_;
    std::unique_ptr<MetadataLog> log_;
    ImagePublisher publish_;

    mutable std::mutex image_mutex_;  // guards image_ for readers off the controller thread
    std::shared_ptr<const metadata::MetadataImage> image_;

    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Event> queue_;
    bool stopping_ = false;
    bool running_ = false;
    std::thread thread_;

    // Snapshot generator state, controller thread only.
    std::optional<SnapshotId> last_snapshot_;
    int64_t bytes_since_snapshot_ = 0;
    int64_t last_snapshot_ms_ = 0;
    int64_t last_commit_ms_ = -1;
    int64_t snapshot_retry_ms_ = 0;  // after a failed write, no new attempt before this
};

}  // namespace gregor::controller
