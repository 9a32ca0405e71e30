#pragma once

// Routes each Kafka request from the network layer to its handler: checks the API and version
// against what this broker serves, decodes the request header, and answers or closes the
// connection as Kafka's SocketServer does for bad requests.

#include "gregor/broker/request_context.h"
#include "gregor/net/server.h"

#include <optional>

namespace gregor::broker {

class KafkaDispatcher final : public net::RequestDispatcher {
public:
    explicit KafkaDispatcher(const BrokerState& state) : state_(state) {}

    boost::asio::awaitable<net::Response> dispatch(net::ConnectionContext& conn,
                                                   net::RequestFrame frame) override;
    bool may_pipeline(int16_t api_key) const override;

    // The synchronous core of dispatch(), for tests and tools.
    net::Response handle(net::ConnectionContext& conn, const net::RequestFrame& frame) const;

private:
    // Checks the api and version and decodes the header; the answer when the request is refused.
    std::optional<net::Response> check(net::ConnectionContext& conn,
                                       const net::RequestFrame& frame,
                                       protocol::RequestHeader& header,
                                       size_t& body_at) const;

    const BrokerState& state_;
};

}  // namespace gregor::broker
