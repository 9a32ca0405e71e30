// The log family: DeleteRecords (Kafka's ReplicaManager.deleteRecords) and DescribeLogDirs
// (ReplicaManager.describeLogDirs).

#include "gregor/broker/handlers.h"
#include "gregor/protocol/error_codes.h"
#include "gregor/protocol/messages/topic_admin.h"
#include "gregor/replication/replica_manager.h"
#include "gregor/storage/log_manager.h"

#include <set>

namespace gregor::broker {

namespace errc = protocol::error;

namespace {

// DeleteRecordsRequest.HIGH_WATERMARK: delete everything below the high watermark.
constexpr int64_t kHighWatermark = -1;

int16_t delete_below(replication::Partition& p, int64_t offset, int64_t& low_watermark) {
    if (!p.is_leader()) {
        return errc::not_leader_or_follower;
    }
    if (!p.log()->config().cleanup_delete) {
        // Kafka: "Records of partition ... can not be deleted due to the configured policy".
        return errc::policy_violation;
    }
    const int64_t hw = p.high_watermark();
    const int64_t target = offset == kHighWatermark ? hw : offset;
    if (target < 0 || target > hw) {
        return errc::offset_out_of_range;
    }
    auto moved = p.log()->increment_log_start_offset(target);
    if (!moved) {
        return moved.error().code == storage::Errc::io_error ? errc::kafka_storage_error
                                                             : errc::unknown_server_error;
    }
    low_watermark = p.log_start_offset();
    return errc::none;
}

}  // namespace

net::Response handle_delete_records(RequestContext& ctx) {
    protocol::DeleteRecordsRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    const auto image = ctx.broker.image.current();
    protocol::DeleteRecordsResponse resp;
    for (const auto& t : req.topics) {
        auto& tout = resp.topics.emplace_back();
        tout.name = t.name;
        const metadata::TopicImage* topic = image->topic(t.name);
        for (const auto& p : t.partitions) {
            auto& out = tout.partitions.emplace_back();
            out.partition_index = p.partition_index;
            out.low_watermark = -1;
            if (topic == nullptr || topic->partitions.count(p.partition_index) == 0) {
                out.error_code = errc::unknown_topic_or_partition;
                continue;
            }
            auto partition = ctx.broker.replicas != nullptr
                                 ? ctx.broker.replicas->get(t.name, p.partition_index)
                                 : nullptr;
            if (partition == nullptr) {
                out.error_code = errc::not_leader_or_follower;
                continue;
            }
            // With no follower to wait for, the new low watermark holds at once (Kafka's
            // DelayedDeleteRecords completes when every replica's log start offset got there).
            out.error_code = delete_below(*partition, p.offset, out.low_watermark);
        }
    }
    return respond(ctx, resp);
}

net::Response handle_describe_log_dirs(RequestContext& ctx) {
    protocol::DescribeLogDirsRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    protocol::DescribeLogDirsResponse resp;
    if (ctx.broker.logs == nullptr) {
        resp.error_code = errc::kafka_storage_error;
        return respond(ctx, resp);
    }
    // A null topic list asks for every partition.
    std::set<std::pair<std::string, int32_t>> wanted;
    if (req.topics) {
        for (const auto& t : *req.topics) {
            for (int32_t p : t.partitions) {
                wanted.emplace(t.topic, p);
            }
        }
    }
    for (const auto& dir : ctx.broker.logs->log_dirs()) {
        auto& out = resp.results.emplace_back();
        out.log_dir = dir.path.string();
        out.total_bytes = dir.total_bytes;
        out.usable_bytes = dir.usable_bytes;
        if (dir.offline) {
            out.error_code = errc::kafka_storage_error;
            continue;
        }
        out.error_code = errc::none;
        std::map<std::string, std::vector<std::pair<int32_t, int64_t>>> by_topic;
        for (const auto& [tp, size] : dir.partitions) {
            if (req.topics && wanted.count({tp.topic, tp.partition}) == 0) {
                continue;
            }
            by_topic[tp.topic].emplace_back(tp.partition, size);
        }
        for (const auto& [name, parts] : by_topic) {
            auto& tout = out.topics.emplace_back();
            tout.name = name;
            for (const auto& [index, size] : parts) {
                auto& pout = tout.partitions.emplace_back();
                pout.partition_index = index;
                pout.partition_size = size;
                auto partition = ctx.broker.replicas != nullptr
                                     ? ctx.broker.replicas->get(name, index)
                                     : nullptr;
                // Kafka's offset lag: how far the high watermark trails the log end (a leader's
                // own lag is 0 without followers).
                pout.offset_lag = partition != nullptr ? std::max<int64_t>(
                                      0, partition->log_end_offset() - partition->high_watermark())
                                                       : 0;
                pout.is_future_key = false;
            }
        }
    }
    return respond(ctx, resp);
}

}  // namespace gregor::broker
