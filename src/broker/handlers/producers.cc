// The producer family: InitProducerId (idempotent producers; transactions come later) and
// DescribeProducers (the producer state of partitions this node leads).

#include "gregor/broker/handlers.h"
#include "gregor/broker/producer_ids.h"
#include "gregor/protocol/error_codes.h"
#include "gregor/protocol/messages/txn.h"
#include "gregor/storage/log_manager.h"

namespace gregor::broker {

namespace errc = protocol::error;

net::Response handle_init_producer_id(RequestContext& ctx) {
    protocol::InitProducerIdRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    protocol::InitProducerIdResponse resp;
    resp.producer_id = -1;
    resp.producer_epoch = -1;
    // KafkaApis: a producer id without an epoch (or the reverse) is malformed.
    if ((req.producer_id == -1) != (req.producer_epoch == -1)) {
        resp.error_code = errc::invalid_request;
    } else if (req.transactional_id && req.transactional_id->empty()) {
        resp.error_code = errc::invalid_request;  // TransactionCoordinator.handleInitProducerId
    } else if (req.transactional_id) {
        // No transaction coordinator yet: what Kafka answers while __transaction_state is
        // unavailable. Retriable, so a transactional producer waits (max.block.ms) and then fails.
        resp.error_code = errc::coordinator_not_available;
    } else if (auto* ids = ctx.broker.producer_ids.load(std::memory_order_acquire); !ids) {
        resp.error_code = errc::coordinator_load_in_progress;
    } else if (auto id = ids->generate(); !id) {
        resp.error_code = id.error();
    } else {
        // Kafka ignores a non-transactional producer's old id and epoch: a new id, epoch 0.
        resp.producer_id = *id;
        resp.producer_epoch = 0;
    }
    return respond(ctx, resp);
}

net::Response handle_describe_producers(RequestContext& ctx) {
    protocol::DescribeProducersRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    protocol::DescribeProducersResponse resp;
    const auto image = ctx.broker.image.current();
    for (const auto& t : req.topics) {
        auto& topic = resp.topics.emplace_back();
        topic.name = t.name;
        const metadata::TopicImage* ti = image->topic(t.name);
        for (int32_t index : t.partition_indexes) {
            auto& part = topic.partitions.emplace_back();
            part.partition_index = index;
            // Kafka's ReplicaManager.activeProducerState.
            if (ti == nullptr || !ti->partitions.contains(index)) {
                part.error_code = errc::unknown_topic_or_partition;
                continue;
            }
            std::shared_ptr<storage::Log> log;
            if (ti->partitions.at(index).leader == ctx.broker.node_id
                && ctx.broker.logs != nullptr) {
                storage::TopicPartition tp;
                tp.topic = t.name;
                tp.partition = index;
                auto found = ctx.broker.logs->get(tp);
                if (found) {
                    log = *found;
                }
            }
            if (!log) {
                part.error_code = errc::not_leader_or_follower;
                continue;
            }
            for (const auto& p : log->active_producers()) {
                auto& out = part.active_producers.emplace_back();
                out.producer_id = p.producer_id;
                out.producer_epoch = p.epoch;
                out.last_sequence = p.last_sequence;
                out.last_timestamp = p.last_timestamp;
                out.coordinator_epoch = p.coordinator_epoch;
                out.current_txn_start_offset = p.current_txn_start_offset;
            }
        }
    }
    return respond(ctx, resp);
}

}  // namespace gregor::broker
