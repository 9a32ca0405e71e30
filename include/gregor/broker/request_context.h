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
namespace gregor::coordinator {
class GroupCoordinator;
}
namespace gregor::replication {
class ReplicaManager;
class FetchSessionCache;
}  // namespace gregor::replication

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
    // Set once the node is registered and serving. Like Kafka's enableRequestProcessing, the
    // listeners accept before that, but requests wait for it.
    std::atomic<bool> ready{false};
    // The partition logs this node hosts; set before the listeners open, valid until stop.
    storage::LogManager* logs = nullptr;
    // The partitions this node hosts (leadership, high watermark); set with `logs`.
    replication::ReplicaManager* replicas = nullptr;
    // KIP-227 incremental fetch sessions (max.incremental.fetch.session.cache.slots).
    replication::FetchSessionCache* fetch_sessions = nullptr;
    // Producer ids for InitProducerId; nullptr until the controller is up.
    std::atomic<ProducerIdManager*> producer_ids{nullptr};
    // The classic group coordinator; set before the listeners open, valid until stop.
    coordinator::GroupCoordinator* groups = nullptr;
};

struct RequestContext {
    const protocol::ApiInfo& api;
    int16_t version;
    const protocol::RequestHeader& header;
    std::span<const uint8_t> body;
    net::ConnectionContext& conn;
    const BrokerState& broker;
    // The same bytes, writable, for handlers that patch the request in place (Produce assigns
    // offsets in the producer's batches). Empty on the synchronous path.
    std::span<uint8_t> mutable_body = {};

    // The writable bytes of a records field decoded from `body`; empty when there are none.
    std::span<uint8_t> mutable_records(const protocol::RecordsRef& r) const {
        if (r.is_null || r.size == 0 || mutable_body.empty()) {
            return {};
        }
        const auto at = static_cast<size_t>(r.data - body.data());
        return mutable_body.subspan(at, r.size);
    }

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
