#pragma once

// One Gregor node: its configuration, its log directories' identity, the state handlers share,
// the request dispatcher and the network server. Started and stopped from main's thread.

#include "gregor/broker/config.h"
#include "gregor/broker/kafka_dispatcher.h"
#include "gregor/broker/producer_ids.h"
#include "gregor/broker/request_context.h"
#include "gregor/common/result.h"
#include "gregor/controller/quorum_controller.h"
#include "gregor/coordinator/group_coordinator.h"
#include "gregor/net/server.h"
#include "gregor/replication/fetch_session.h"
#include "gregor/replication/replica_manager.h"
#include "gregor/storage/log_cleaner.h"
#include "gregor/storage/log_manager.h"

#include <memory>
#include <string>
#include <vector>

namespace gregor::broker {

class Broker {
public:
    explicit Broker(Config config);
    ~Broker();
    Broker(const Broker&) = delete;
    Broker& operator=(const Broker&) = delete;

    // Formats or checks the log dirs, binds the listeners and starts serving. The error names
    // what failed (a log dir, a port in use).
    result<std::vector<net::BoundListener>, std::string> start();

    // Stops serving and waits for the network threads. Idempotent.
    void stop();

    const BrokerState& state() const { return state_; }

private:
    std::shared_ptr<const ClusterView> make_view(
        const std::vector<net::BoundListener>& bound) const;

    // Opens the metadata log and starts the controller (combined mode): replay, bootstrap.
    result<bool, std::string> start_controller();
    // A new metadata image: handlers see it, and the partition logs this node hosts follow it
    // (created for new topics, removed with deleted ones). On the controller's thread.
    void on_image(std::shared_ptr<const metadata::MetadataImage> image);
    // Topic and dynamic broker config changes reach the hosted partitions' LogConfigs.
    void apply_config_changes(const metadata::MetadataImage& previous,
                              const metadata::MetadataImage& image);

    Config config_;
    std::string cluster_id_;
    BrokerState state_;
    // The ProducerIdManager for InitProducerId, fed by the controller.
    void start_producer_ids();
    // Hands a log with cleanup.policy=compact to the cleaner.
    void track_compaction(const std::shared_ptr<storage::Log>& log);

    std::unique_ptr<storage::LogCleaner> cleaner_;  // before logs_: the manager calls into it
    std::unique_ptr<storage::LogManager> logs_;
    std::unique_ptr<replication::ReplicaManager> replicas_;  // after logs_: holds their logs
    std::unique_ptr<replication::FetchSessionCache> fetch_sessions_;
    std::unique_ptr<controller::QuorumController> controller_;
    std::unique_ptr<ProducerIdManager> producer_ids_;            // asks controller_ for blocks
    std::unique_ptr<coordinator::GroupStore> offsets_store_;     // __consumer_offsets appends
    std::unique_ptr<coordinator::GroupCoordinator> groups_;      // after the store it writes to
    std::shared_ptr<const metadata::MetadataImage> last_image_;  // what on_image saw last
    KafkaDispatcher dispatcher_;
    std::unique_ptr<net::Server> server_;
};

// The network bounds from Kafka's configs.
net::ServerLimits server_limits(const Config& config);

}  // namespace gregor::broker
