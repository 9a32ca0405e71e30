#pragma once

// One Gregor node: its configuration, its log directories' identity, the state handlers share,
// the request dispatcher and the network server. Started and stopped from main's thread.

#include "gregor/broker/config.h"
#include "gregor/broker/kafka_dispatcher.h"
#include "gregor/broker/request_context.h"
#include "gregor/common/result.h"
#include "gregor/net/server.h"

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

    Config config_;
    std::string cluster_id_;
    BrokerState state_;
    KafkaDispatcher dispatcher_;
    std::unique_ptr<net::Server> server_;
};

// The network bounds from Kafka's configs.
net::ServerLimits server_limits(const Config& config);

}  // namespace gregor::broker
