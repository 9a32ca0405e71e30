// The offsets family: ListOffsets (Kafka's Partition.fetchOffsetForTimestamp) and
// OffsetForLeaderEpoch (Partition.lastOffsetForLeaderEpoch).

#include "gregor/broker/handlers.h"
#include "gregor/protocol/error_codes.h"
#include "gregor/protocol/messages/core.h"
#include "gregor/replication/replica_manager.h"
#include "gregor/storage/leader_epoch_cache.h"

namespace gregor::broker {

namespace errc = protocol::error;

namespace {

// ListOffsetsRequest's special timestamps.
constexpr int64_t kLatest = -1;
constexpr int64_t kEarliest = -2;
constexpr int64_t kMaxTimestamp = -3;
constexpr int64_t kEarliestLocal = -4;
constexpr int64_t kLatestTiered = -5;

// The leader partition for a request, or the error it gets.
std::shared_ptr<replication::Partition> leader_for(const RequestContext& ctx,
                                                   const metadata::MetadataImage& image,
                                                   const std::string& topic,
                                                   int32_t index,
                                                   int32_t current_leader_epoch,
                                                   int16_t& error) {
    const metadata::TopicImage* t = image.topic(topic);
    if (t == nullptr || t->partitions.count(index) == 0) {
        error = errc::unknown_topic_or_partition;
        return nullptr;
    }
    auto p = ctx.broker.replicas != nullptr ? ctx.broker.replicas->get(topic, index) : nullptr;
    if (p == nullptr || !p->is_leader()) {
        error = errc::not_leader_or_follower;
        return nullptr;
    }
    error = p->check_leader_epoch(current_leader_epoch);
    return error == errc::none ? p : nullptr;
}

int32_t epoch_at(const replication::Partition& p, int64_t offset) {
    return p.log()->leader_epochs().epoch_for_offset(offset).value_or(-1);
}

void list_one(
    const replication::Partition& p,
    int64_t timestamp,
    bool read_committed,
    protocol::ListOffsetsResponse::ListOffsetsTopicResponse::ListOffsetsPartitionResponse& out) {
    const int64_t fetchable = read_committed ? p.last_stable_offset() : p.high_watermark();
    out.timestamp = -1;
    out.offset = -1;
    out.leader_epoch = -1;
    switch (timestamp) {
        case kEarliest:
        case kEarliestLocal:
            out.offset = p.log_start_offset();
            out.leader_epoch = epoch_at(p, out.offset);
            return;
        case kLatest:
            out.offset = fetchable;
            out.leader_epoch = p.log()->leader_epochs().latest_epoch().value_or(-1);
            return;
        case kLatestTiered:
            return;  // no tiered storage: Kafka answers -1 too
        case kMaxTimestamp: {
            auto m = p.log()->max_timestamp();
            if (m.offset >= 0 && m.offset < fetchable) {
                out.timestamp = m.timestamp;
                out.offset = m.offset;
                out.leader_epoch = epoch_at(p, m.offset);
            }
            return;
        }
        default:
            break;
    }
    auto found = p.log()->offset_for_timestamp(timestamp);
    if (!found) {
        out.error_code = errc::kafka_storage_error;
        return;
    }
    if (*found && (*found)->offset < fetchable) {
        out.timestamp = (*found)->timestamp;
        out.offset = (*found)->offset;
        out.leader_epoch = epoch_at(p, out.offset);
    }
}

}  // namespace

net::Response handle_list_offsets(RequestContext& ctx) {
    protocol::ListOffsetsRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    const auto image = ctx.broker.image.current();
    const bool read_committed = req.isolation_level == 1;
    protocol::ListOffsetsResponse resp;
    for (const auto& t : req.topics) {
        auto& tout = resp.topics.emplace_back();
        tout.name = t.name;
        for (const auto& p : t.partitions) {
            auto& out = tout.partitions.emplace_back();
            out.partition_index = p.partition_index;
            out.timestamp = -1;
            out.offset = -1;
            out.leader_epoch = -1;
            // The special timestamps newer than the request's version are invalid (Kafka's
            // ListOffsetsRequest: -3 needs v7, -4 v8, -5 v9).
            if ((p.timestamp == kMaxTimestamp && ctx.version < 7)
                || (p.timestamp == kEarliestLocal && ctx.version < 8)
                || (p.timestamp == kLatestTiered && ctx.version < 9)
                || p.timestamp < kLatestTiered) {
                out.error_code = errc::unsupported_version;
                continue;
            }
            int16_t error = errc::none;
            auto partition =
                leader_for(ctx, *image, t.name, p.partition_index, p.current_leader_epoch, error);
            out.error_code = error;
            if (partition != nullptr) {
                list_one(*partition, p.timestamp, read_committed, out);
            }
        }
    }
    return respond(ctx, resp);
}

net::Response handle_offset_for_leader_epoch(RequestContext& ctx) {
    protocol::OffsetForLeaderEpochRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    const auto image = ctx.broker.image.current();
    protocol::OffsetForLeaderEpochResponse resp;
    for (const auto& t : req.topics) {
        auto& tout = resp.topics.emplace_back();
        tout.topic = t.topic;
        for (const auto& p : t.partitions) {
            auto& out = tout.partitions.emplace_back();
            out.partition = p.partition;
            out.leader_epoch = -1;
            out.end_offset = -1;
            int16_t error = errc::none;
            auto partition =
                leader_for(ctx, *image, t.topic, p.partition, p.current_leader_epoch, error);
            out.error_code = error;
            if (partition == nullptr) {
                continue;
            }
            auto end = partition->log()->leader_epochs().end_offset_for(
                p.leader_epoch, partition->log_end_offset());
            if (end) {
                out.leader_epoch = end->epoch;
                out.end_offset = end->start_offset;
            }
        }
    }
    return respond(ctx, resp);
}

}  // namespace gregor::broker
