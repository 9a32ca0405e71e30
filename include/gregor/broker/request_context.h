#pragma once

// What a request handler gets: the decoded header, the undecoded body, the connection and the
// broker's shared state; and how it answers.

#include "gregor/broker/cluster_view.h"
#include "gregor/metadata/image.h"
#include "gregor/net/server.h"
#include "gregor/protocol/api_registry.h"
#include "gregor/protocol/messages/connection.h"
#include "gregor/protocol/wire.h"

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

namespace gregor::controller {
class QuorumController;
}
namespace gregor::storage {
class LogManager;
}

namespace gregor::broker {

class Config;
class ProducerIdManager;

// Shared, read-mostly state every handler may read from any network thread.
struct BrokerState {
    const Config* config = nullptr;
    int32_t node_id = -1;
    ClusterViewHolder cluster;
    // The metadata image replayed from the controller's log (topics, partitions, configs).
    metadata::ImageHolder image;
    // The active controller, in process (combined mode); nullptr until started.
    std::atomic<controller::QuorumController*> controller{nullptr};
    // The partition logs this node hosts; set before the listeners open, valid until stop.
    storage::LogManager* logs = nullptr;
    // Producer ids for InitProducerId; nullptr until the controller is up.
    std::atomic<ProducerIdManager*> producer_ids{nullptr};
};

struct RequestContext {
    const protocol::ApiInfo& api;
    int16_t version;
    const protocol::RequestHeader& header;
    std::span<const uint8_t> body;
    net::ConnectionContext& conn;
    const BrokerState& broker;

    // Decodes the body as message M; false when it is malformed (the caller closes the
    // connection, as Kafka does for a request it cannot parse).
    template <typename M>
    bool decode(M& out) const {
        protocol::Reader r(body);
        out.read(r, version);
        return r.ok();
    }
};

// Encodes a response: the header version this API and version call for, then the body.
template <typename M>
net::Response respond(const RequestContext& ctx, const M& body) {
    std::vector<uint8_t> out;
    out.reserve(64 + body.size(ctx.version));
    protocol::Writer w(out);
    w.write_int32(ctx.header.correlation_id);
    if (protocol::response_header_version(ctx.api, ctx.version) >= 1) {
        w.write_uvarint(0);  // no tagged fields in the response header
    }
    body.write(w, ctx.version);
    return net::Response::bytes(std::move(out));
}

}  // namespace gregor::broker
