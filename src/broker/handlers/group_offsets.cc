// Committed offsets of groups: OffsetCommit, OffsetFetch, OffsetDelete. The coordinator keeps
// them (src/coordinator); here the requests are checked against the topics this cluster has.

#include "gregor/broker/handlers.h"
#include "gregor/coordinator/group_coordinator.h"
#include "gregor/protocol/error_codes.h"
#include "gregor/protocol/messages/group.h"

#include <chrono>

namespace gregor::broker {

namespace errc = protocol::error;
using coordinator::TopicPartitionKey;

namespace {

bool partition_exists(const metadata::MetadataImage& image,
                      const std::string& topic,
                      int32_t partition) {
    const metadata::TopicImage* t = image.topic(topic);
    return t != nullptr && t->partitions.contains(partition);
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// One group's offsets as OffsetFetch answers them: every asked partition, -1 when none.
template <typename Topics, typename TopicOut>
void fill_fetched(coordinator::GroupCoordinator& groups,
                  const std::string& group_id,
                  const std::optional<Topics>& topics,
                  std::vector<TopicOut>& out) {
    std::optional<std::vector<TopicPartitionKey>> which;
    if (topics) {
        which.emplace();
        for (const auto& t : *topics) {
            for (int32_t p : t.partition_indexes) {
                which->emplace_back(t.name, p);
            }
        }
    }
    auto committed = groups.fetch_offsets(group_id, which);
    auto emit = [&](const std::string& topic, int32_t partition,
                    const coordinator::CommittedOffset* c) {
        if (out.empty() || out.back().name != topic) {
            out.emplace_back().name = topic;
        }
        auto& p = out.back().partitions.emplace_back();
        p.partition_index = partition;
        p.committed_offset = c != nullptr ? c->offset : -1;
        p.committed_leader_epoch = c != nullptr ? c->leader_epoch : -1;
        p.metadata = c != nullptr ? c->metadata.value_or("") : std::string{};
        p.error_code = 0;
    };
    if (which) {
        for (const auto& tp : *which) {
            auto it = committed.find(tp);
            emit(tp.first, tp.second, it != committed.end() ? &it->second : nullptr);
        }
    } else {
        for (const auto& [tp, c] : committed) {
            emit(tp.first, tp.second, &c);
        }
    }
}

}  // namespace

net::Response handle_offset_commit(RequestContext& ctx) {
    protocol::OffsetCommitRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    protocol::OffsetCommitResponse resp;
    const auto image = ctx.broker.image.current();
    coordinator::OffsetCommitRequestData commit;
    commit.group_id = req.group_id;
    commit.generation_id = req.generation_id_or_member_epoch;
    commit.member_id = req.member_id;
    commit.group_instance_id = req.group_instance_id;
    // Where each partition's answer goes: its index into commit.offsets, or an error of its own.
    std::vector<std::vector<std::pair<int, int16_t>>> slots;
    const int64_t ts = now_ms();
    for (const auto& t : req.topics) {
        auto& topic_slots = slots.emplace_back();
        for (const auto& p : t.partitions) {
            if (!partition_exists(*image, t.name, p.partition_index)) {
                topic_slots.emplace_back(-1, errc::unknown_topic_or_partition);
                continue;
            }
            topic_slots.emplace_back(static_cast<int>(commit.offsets.size()), 0);
            coordinator::OffsetCommitPartition o;
            o.topic = t.name;
            o.partition = p.partition_index;
            o.committed.offset = p.committed_offset;
            o.committed.leader_epoch = p.committed_leader_epoch;
            o.committed.metadata = p.committed_metadata;
            o.committed.commit_timestamp_ms = ts;
            commit.offsets.push_back(std::move(o));
        }
    }
    std::vector<int16_t> errors;
    int16_t group_error = 0;
    if (ctx.broker.groups == nullptr) {
        group_error = errc::coordinator_not_available;
    } else {
        errors = ctx.broker.groups->commit_offsets(commit, group_error);
    }
    for (size_t i = 0; i < req.topics.size(); ++i) {
        auto& out = resp.topics.emplace_back();
        out.name = req.topics[i].name;
        for (size_t j = 0; j < req.topics[i].partitions.size(); ++j) {
            auto& p = out.partitions.emplace_back();
            p.partition_index = req.topics[i].partitions[j].partition_index;
            const auto [index, error] = slots[i][j];
            if (index < 0) {
                p.error_code = error;
            } else {
                p.error_code = group_error != 0 ? group_error : errors[static_cast<size_t>(index)];
            }
        }
    }
    return respond(ctx, resp);
}

net::Response handle_offset_fetch(RequestContext& ctx) {
    protocol::OffsetFetchRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    protocol::OffsetFetchResponse resp;
    auto* groups = ctx.broker.groups;
    // No transactions yet, so nothing is ever pending and require_stable changes nothing.
    if (ctx.version < 8) {
        if (groups == nullptr) {
            resp.error_code = errc::coordinator_not_available;
        } else {
            fill_fetched(*groups, req.group_id, req.topics, resp.topics);
        }
        return respond(ctx, resp);
    }
    for (const auto& g : req.groups) {
        auto& out = resp.groups.emplace_back();
        out.group_id = g.group_id;
        if (groups == nullptr) {
            out.error_code = errc::coordinator_not_available;
            continue;
        }
        fill_fetched(*groups, g.group_id, g.topics, out.topics);
    }
    return respond(ctx, resp);
}

net::Response handle_offset_delete(RequestContext& ctx) {
    protocol::OffsetDeleteRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    protocol::OffsetDeleteResponse resp;
    if (ctx.broker.groups == nullptr) {
        resp.error_code = errc::coordinator_not_available;
        return respond(ctx, resp);
    }
    const auto image = ctx.broker.image.current();
    std::vector<TopicPartitionKey> partitions;
    for (const auto& t : req.topics) {
        for (const auto& p : t.partitions) {
            partitions.emplace_back(t.name, p.partition_index);
        }
    }
    std::vector<int16_t> errors;
    resp.error_code = ctx.broker.groups->delete_offsets(req.group_id, partitions, errors);
    if (resp.error_code != 0) {
        return respond(ctx, resp);
    }
    size_t i = 0;
    for (const auto& t : req.topics) {
        auto& out = resp.topics.emplace_back();
        out.name = t.name;
        for (const auto& p : t.partitions) {
            auto& op = out.partitions.emplace_back();
            op.partition_index = p.partition_index;
            op.error_code = partition_exists(*image, t.name, p.partition_index)
                                ? errors[i]
                                : errc::unknown_topic_or_partition;
            ++i;
        }
    }
    return respond(ctx, resp);
}

}  // namespace gregor::broker
