// The cluster family: ApiVersions, Metadata and DescribeCluster. They describe the broker and the
// cluster to clients; each reads only the current ClusterView.

#include "gregor/broker/config.h"
#include "gregor/broker/handlers.h"
#include "gregor/broker/version.h"
#include "gregor/controller/quorum_controller.h"
#include "gregor/protocol/error_codes.h"
#include "gregor/protocol/messages/core.h"
#include "gregor/protocol/messages/topic_admin.h"

#include <algorithm>
#include <regex>

namespace gregor::broker {

namespace errc = protocol::error;
using protocol::ApiVersionsRequest;
using protocol::ApiVersionsResponse;

namespace {

// Feature levels (Kafka's server-common Feature and MetadataVersion). We finalize only what we
// implement: metadata.version at 4.1-IV1 (27) for the wire formats; group, transaction, kraft
// and ELR versions stay at 0 until their issues land, so 4.x clients use the classic flows.
struct FeatureRange {
    const char* name;
    int16_t min;
    int16_t max;
    int16_t finalized;  // 0 = not finalized (Kafka omits level-0 features)
};
constexpr FeatureRange kFeatures[] = {
    {"metadata.version", 7, 27, 27},
    {"kraft.version", 0, 0, 0},
    {"group.version", 0, 0, 0},
    {"transaction.version", 0, 0, 0},
    {"eligible.leader.replicas.version", 0, 0, 0},
};

void add_api_keys(ApiVersionsResponse& resp) {
    for (const auto& h : handler_table()) {
        auto& k = resp.api_keys.emplace_back();
        k.api_key = h.api_key;
        k.min_version = h.min_version;
        k.max_version = h.max_version;
    }
}

// Kafka's ApiVersionsRequest.isValid(): software name and version are [a-zA-Z0-9] at both ends
// with [a-zA-Z0-9-.] between.
bool valid_software_field(const std::string& s) {
    static const std::regex pattern("[a-zA-Z0-9](?:[a-zA-Z0-9\\-.]*[a-zA-Z0-9])?");
    return std::regex_match(s, pattern);
}

// A partition's leader, replicas and ISR, and the replicas on brokers that are fenced or gone
// (Metadata and DescribeTopicPartitions answer the same fields).
template <typename P>
void fill_partition(P& p,
                    const metadata::MetadataImage& image,
                    int32_t index,
                    const metadata::PartitionImage& part) {
    p.partition_index = index;
    p.leader_id = part.leader;
    p.leader_epoch = part.leader_epoch;
    p.replica_nodes = part.replicas;
    p.isr_nodes = part.isr;
    for (int32_t r : part.replicas) {
        const metadata::BrokerRegistration* b = image.broker(r);
        if (b == nullptr || b->fenced) {
            p.offline_replicas.push_back(r);
        }
    }
}

void add_topic(protocol::MetadataResponse& resp,
               const metadata::MetadataImage& image,
               const metadata::TopicImage& topic) {
    auto& out = resp.topics.emplace_back();
    out.name = topic.name;
    out.topic_id = topic.id;
    out.is_internal = controller::is_internal_topic(topic.name);
    for (const auto& [index, part] : topic.partitions) {
        auto& p = out.partitions.emplace_back();
        fill_partition(p, image, index, part);
        const metadata::BrokerRegistration* leader = image.broker(part.leader);
        if (part.leader == metadata::kNoLeader || leader == nullptr || leader->fenced) {
            p.error_code = errc::leader_not_available;
        }
    }
}

using DescribedTopic =
    protocol::DescribeTopicPartitionsResponse::DescribeTopicPartitionsResponseTopic;

// One topic's partitions from `first` on, at most `limit`; the index of the first one left out,
// or -1 when all fit.
int32_t describe_partitions(DescribedTopic& out,
                            const metadata::MetadataImage& image,
                            const metadata::TopicImage& topic,
                            int32_t first,
                            int32_t& limit) {
    out.name = topic.name;
    out.topic_id = topic.id;
    out.is_internal = controller::is_internal_topic(topic.name);
    for (auto it = topic.partitions.lower_bound(first); it != topic.partitions.end(); ++it) {
        if (limit <= 0) {
            return it->first;
        }
        const auto& [index, part] = *it;
        auto& p = out.partitions.emplace_back();
        fill_partition(p, image, index, part);
        p.eligible_leader_replicas = part.elr;
        p.last_known_elr = part.last_known_elr;
        --limit;
    }
    return -1;
}

}  // namespace

net::Response api_versions_unsupported(int32_t correlation_id) {
    // Kafka lists only ApiVersions itself here (ApiVersionsRequest.getErrorResponse): enough for
    // the client to retry with a version we know.
    ApiVersionsResponse resp;
    resp.error_code = errc::unsupported_version;
    const HandlerEntry* self = find_handler(ApiVersionsRequest::api_key);
    auto& k = resp.api_keys.emplace_back();
    k.api_key = self->api_key;
    k.min_version = self->min_version;
    k.max_version = self->max_version;
    std::vector<uint8_t> out;
    protocol::Writer w(out);
    w.write_int32(correlation_id);  // ApiVersions responses always use header v0
    resp.write(w, 0);
    return net::Response::bytes(std::move(out));
}

net::Response handle_api_versions(RequestContext& ctx) {
    ApiVersionsRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    ApiVersionsResponse resp;
    if (ctx.version >= 3
        && (!valid_software_field(req.client_software_name)
            || !valid_software_field(req.client_software_version))) {
        resp.error_code = errc::invalid_request;
        return respond(ctx, resp);
    }
    add_api_keys(resp);
    for (const auto& f : kFeatures) {
        auto& s = resp.supported_features.emplace_back();
        s.name = f.name;
        s.min_version = f.min;
        s.max_version = f.max;
        if (f.finalized > 0) {
            auto& fin = resp.finalized_features.emplace_back();
            fin.name = f.name;
            fin.min_version_level = f.finalized;
            fin.max_version_level = f.finalized;
        }
    }
    resp.finalized_features_epoch = 0;
    return respond(ctx, resp);
}

net::Response handle_metadata(RequestContext& ctx) {
    protocol::MetadataRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    const auto view = ctx.broker.cluster.current();
    protocol::MetadataResponse resp;
    for (const auto& b : view->brokers) {
        const AdvertisedEndpoint* ep = b.endpoint(ctx.conn.listener_name);
        if (ep == nullptr || b.fenced) {
            continue;
        }
        auto& out = resp.brokers.emplace_back();
        out.node_id = b.node_id;
        out.host = ep->host;
        out.port = ep->port;
        out.rack = b.rack;
    }
    resp.cluster_id = view->cluster_id;
    resp.controller_id = view->controller_id;
    const auto image = ctx.broker.image.current();
    // A null list (or an empty one before v1) asks for every topic.
    if (!req.topics || (ctx.version == 0 && req.topics->empty())) {
        for (const auto& [name, topic] : image->topics_by_name()) {
            add_topic(resp, *image, *topic);
        }
        return respond(ctx, resp);
    }
    // Kafka auto-creates unknown topics only when both the client and the broker allow it
    // (allow_auto_topic_creation is v4+; older versions always allow).
    auto* controller = ctx.broker.controller.load(std::memory_order_acquire);
    const bool auto_create = controller != nullptr && ctx.broker.config != nullptr
                             && ctx.broker.config->get_bool("auto.create.topics.enable")
                             && (ctx.version < 4 || req.allow_auto_topic_creation);
    protocol::CreateTopicsRequest to_create;
    for (const auto& t : *req.topics) {
        if (!t.name) {
            // By id (v10+ allows it in the schema; Kafka answers ids only from v12).
            const metadata::TopicImage* topic = image->topic(t.topic_id);
            if (topic != nullptr) {
                add_topic(resp, *image, *topic);
            } else {
                auto& out = resp.topics.emplace_back();
                out.topic_id = t.topic_id;
                out.error_code = errc::unknown_topic_id;
            }
            continue;
        }
        const metadata::TopicImage* topic = image->topic(*t.name);
        if (topic != nullptr) {
            add_topic(resp, *image, *topic);
            continue;
        }
        auto& out = resp.topics.emplace_back();
        out.name = t.name;
        out.is_internal = controller::is_internal_topic(*t.name);
        if (controller::validate_topic_name(*t.name)) {
            out.error_code = errc::invalid_topic_exception;
        } else if (auto_create) {
            // Like Kafka's AutoTopicCreationManager: the create goes to the controller and this
            // answer says the leader is not there yet; the client retries.
            out.error_code = errc::leader_not_available;
            auto& c = to_create.topics.emplace_back();
            c.name = *t.name;
            c.num_partitions = -1;
            c.replication_factor = -1;
        } else {
            out.error_code = errc::unknown_topic_or_partition;
        }
    }
    if (!to_create.topics.empty()) {
        controller->create_topics(std::move(to_create), 7, [](protocol::CreateTopicsResponse) {});
    }
    return respond(ctx, resp);
}

net::Response handle_describe_cluster(RequestContext& ctx) {
    protocol::DescribeClusterRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    protocol::DescribeClusterResponse resp;
    resp.endpoint_type = req.endpoint_type;
    // Brokers answer for brokers only; asking a broker listener for controllers is refused as
    // Kafka does (KIP-919).
    if (req.endpoint_type != 1) {
        resp.error_code = errc::unsupported_endpoint_type;
        resp.error_message = "The broker listener only describes brokers";
        return respond(ctx, resp);
    }
    const auto view = ctx.broker.cluster.current();
    resp.cluster_id = view->cluster_id;
    resp.controller_id = view->controller_id;
    for (const auto& b : view->brokers) {
        const AdvertisedEndpoint* ep = b.endpoint(ctx.conn.listener_name);
        if (ep == nullptr || (b.fenced && !req.include_fenced_brokers)) {
            continue;
        }
        auto& out = resp.brokers.emplace_back();
        out.broker_id = b.node_id;
        out.host = ep->host;
        out.port = ep->port;
        out.rack = b.rack;
        out.is_fenced = b.fenced;
    }
    return respond(ctx, resp);
}

// Kafka's DescribeTopicPartitionsRequestHandler: the requested topics (every topic when none is
// named) in name order, from the cursor on, at most response_partition_limit partitions (capped by
// max.request.partition.size.limit); the next cursor says where the next page starts.
net::Response handle_describe_topic_partitions(RequestContext& ctx) {
    protocol::DescribeTopicPartitionsRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    const auto image = ctx.broker.image.current();
    std::vector<std::string> names;
    if (req.topics.empty()) {
        for (const auto& [name, topic] : image->topics_by_name()) {
            names.push_back(name);
        }
    } else {
        for (const auto& t : req.topics) {
            names.push_back(t.name);
        }
        std::sort(names.begin(), names.end());
        names.erase(std::unique(names.begin(), names.end()), names.end());
    }
    int32_t limit = req.response_partition_limit;
    if (ctx.broker.config != nullptr) {
        limit = std::min(limit, ctx.broker.config->get_int("max.request.partition.size.limit"));
    }
    limit = std::max(limit, 1);
    protocol::DescribeTopicPartitionsResponse resp;
    for (const auto& name : names) {
        int32_t first = 0;
        if (req.cursor) {
            if (name < req.cursor->topic_name) {
                continue;
            }
            if (name == req.cursor->topic_name) {
                first = req.cursor->partition_index;
            }
        }
        const metadata::TopicImage* topic = image->topic(name);
        auto& out = resp.topics.emplace_back();
        if (topic == nullptr) {
            out.name = name;
            out.error_code = controller::validate_topic_name(name)
                                 ? errc::invalid_topic_exception
                                 : errc::unknown_topic_or_partition;
            continue;
        }
        if (limit <= 0) {
            resp.topics.pop_back();
            resp.next_cursor.emplace();
            resp.next_cursor->topic_name = name;
            resp.next_cursor->partition_index = first;
            break;
        }
        const int32_t next = describe_partitions(out, *image, *topic, first, limit);
        if (next >= 0) {
            resp.next_cursor.emplace();
            resp.next_cursor->topic_name = name;
            resp.next_cursor->partition_index = next;
            break;
        }
    }
    return respond(ctx, resp);
}

}  // namespace gregor::broker
