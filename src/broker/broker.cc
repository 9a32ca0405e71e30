#include "gregor/broker/broker.h"

#include "gregor/broker/meta_properties.h"
#include "gregor/common/logging.h"

#include <boost/asio/ip/host_name.hpp>

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
    server_ = std::make_unique<net::Server>(std::move(specs), server_limits(config_),
                                            config_.get_int("num.network.threads"), dispatcher_);
    auto bound = server_->start();
    if (!bound) {
        return unexpected<std::string>(bound.error());
    }
    state_.cluster.publish(make_view(*bound));
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
}

}  // namespace gregor::broker
