// Fetch for consumers (Kafka's KafkaApis.handleFetchRequest, ReplicaManager.fetchMessages and
// DelayedFetch): whole batches below the high watermark, read as file slices and sent with
// sendfile; a fetch with less than min_bytes parks until an append wakes it or max_wait_ms passes.
// Limits: the request's max_bytes (capped by the broker's fetch.max.bytes) over the response and
// each partition's partition_max_bytes; as in Kafka (v3+), the first partition with data returns
// at least one whole batch even when it is larger than both.

#include "gregor/broker/config.h"
#include "gregor/broker/handlers.h"
#include "gregor/common/assert.h"
#include "gregor/protocol/error_codes.h"
#include "gregor/protocol/messages/core.h"
#include "gregor/replication/delayed_operations.h"
#include "gregor/replication/fetch_session.h"
#include "gregor/replication/replica_manager.h"
#include "gregor/storage/leader_epoch_cache.h"

#include <boost/asio/this_coro.hpp>

#include <chrono>

namespace gregor::broker {

namespace errc = protocol::error;
namespace asio = boost::asio;
using FetchPartitionData = protocol::FetchResponse::FetchableTopicResponse::PartitionData;

namespace {

// One partition of the request, resolved.
struct Wanted {
    protocol::Uuid topic_id;
    std::string topic;  // empty: an unknown topic id
    int32_t partition;
    int64_t fetch_offset;
    int32_t max_bytes;
    int32_t current_leader_epoch;
    int32_t last_fetched_epoch;
    std::shared_ptr<replication::Partition> handle;  // null: error set in `error`
    int16_t error = errc::none;
};

struct ReadOutcome {
    FetchPartitionData data;
    std::vector<FileSlice> slices;
    uint64_t bytes = 0;
};

// KIP-320: a consumer whose last fetched epoch ended before its fetch offset has diverged from
// this log; it is told where its epoch ends instead of getting records.
bool diverged(const replication::Partition& p, const Wanted& w, FetchPartitionData& out) {
    if (w.last_fetched_epoch < 0) {
        return false;
    }
    auto end = p.log()->leader_epochs().end_offset_for(w.last_fetched_epoch, p.log_end_offset());
    if (!end) {
        return false;
    }
    if (end->epoch != w.last_fetched_epoch || end->start_offset < w.fetch_offset) {
        out.diverging_epoch.epoch = end->epoch;
        out.diverging_epoch.end_offset = end->start_offset;
        return true;
    }
    return false;
}

ReadOutcome read_partition(
    const Wanted& w, int32_t budget, bool min_one_batch, bool read_committed, int32_t local_id) {
    ReadOutcome r;
    r.data.partition_index = w.partition;
    r.data.high_watermark = -1;
    r.data.last_stable_offset = -1;
    r.data.log_start_offset = -1;
    r.data.preferred_read_replica = -1;
    r.data.records = protocol::RecordsRef{nullptr, 0, false};
    if (!read_committed) {
        r.data.aborted_transactions = std::nullopt;
    }
    if (w.handle == nullptr) {
        r.data.error_code = w.error;
        return r;
    }
    const auto& p = *w.handle;
    if (!p.is_leader()) {
        r.data.error_code = errc::not_leader_or_follower;
        r.data.current_leader.leader_id = p.leader_id();
        r.data.current_leader.leader_epoch = p.leader_epoch();
        return r;
    }
    if (int16_t e = p.check_leader_epoch(w.current_leader_epoch); e != errc::none) {
        r.data.error_code = e;
        r.data.current_leader.leader_id = local_id;
        r.data.current_leader.leader_epoch = p.leader_epoch();
        return r;
    }
    const int64_t hw = p.high_watermark();
    r.data.high_watermark = hw;
    r.data.last_stable_offset = p.last_stable_offset();
    r.data.log_start_offset = p.log_start_offset();
    if (diverged(p, w, r.data)) {
        return r;
    }
    const int64_t max_offset = read_committed ? p.last_stable_offset() : hw;
    const int32_t limit = std::min(w.max_bytes, budget);
    if (w.fetch_offset >= max_offset && w.fetch_offset <= p.log_end_offset()) {
        return r;  // nothing committed past it yet: an empty answer, not out of range
    }
    auto read = p.log()->read(w.fetch_offset, std::max(limit, 0), max_offset, min_one_batch);
    if (!read) {
        switch (read.error().code) {
            case storage::Errc::offset_out_of_range:
                r.data.error_code = errc::offset_out_of_range;
                break;
            case storage::Errc::io_error:
            case storage::Errc::log_dir_offline:
                r.data.error_code = errc::kafka_storage_error;
                break;
            default:
                r.data.error_code = errc::not_leader_or_follower;
                break;
        }
        r.data.high_watermark = -1;
        r.data.last_stable_offset = -1;
        r.data.log_start_offset = -1;
        return r;
    }
    r.bytes = static_cast<uint64_t>(read->bytes);
    r.slices = std::move(read->slices);
    if (r.bytes > 0) {
        r.data.records = protocol::RecordsRef::external(r.bytes);
    }
    return r;
}

// The request's partitions and forgotten topics as the session cache takes them: by name before
// v13, by topic id (and the name it resolves to now) from v13.
void session_input(const protocol::FetchRequest& req,
                   int16_t version,
                   const metadata::MetadataImage& image,
                   std::vector<replication::FetchPartitionRequest>& data,
                   std::vector<replication::FetchPartitionKey>& forgotten) {
    auto name_of = [&](const protocol::FetchRequest::FetchTopic& t) -> std::string {
        if (version < replication::kFirstTopicIdFetchVersion) {
            return t.topic;
        }
        const metadata::TopicImage* topic = image.topic(t.topic_id);
        return topic != nullptr ? topic->name : std::string();
    };
    for (const auto& t : req.topics) {
        const std::string name = name_of(t);
        for (const auto& p : t.partitions) {
            replication::FetchPartitionRequest r;
            r.key = {
                version >= replication::kFirstTopicIdFetchVersion ? t.topic_id : protocol::Uuid{},
                name, p.partition};
            r.fetch_offset = p.fetch_offset;
            r.log_start_offset = p.log_start_offset;
            r.max_bytes = p.partition_max_bytes;
            r.current_leader_epoch = p.current_leader_epoch;
            r.last_fetched_epoch = p.last_fetched_epoch;
            data.push_back(std::move(r));
        }
    }
    for (const auto& f : req.forgotten_topics_data) {
        std::string name = f.topic;
        if (version >= replication::kFirstTopicIdFetchVersion) {
            const metadata::TopicImage* topic = image.topic(f.topic_id);
            name = topic != nullptr ? topic->name : std::string();
        }
        for (int32_t p : f.partitions) {
            forgotten.push_back(
                {version >= replication::kFirstTopicIdFetchVersion ? f.topic_id : protocol::Uuid{},
                 name, p});
        }
    }
}

// Finds the hosted partition of each partition to read, or the error it gets.
std::vector<Wanted> resolve(const RequestContext& ctx,
                            const metadata::MetadataImage& image,
                            const std::vector<replication::FetchPartitionRequest>& parts) {
    std::vector<Wanted> wanted;
    wanted.reserve(parts.size());
    for (const auto& p : parts) {
        Wanted w{p.key.topic_id,       p.key.topic, p.key.partition,
                 p.fetch_offset,       p.max_bytes, p.current_leader_epoch,
                 p.last_fetched_epoch, nullptr};
        const metadata::TopicImage* topic =
            p.key.topic.empty() ? nullptr : image.topic(p.key.topic);
        if (topic == nullptr) {
            w.error = ctx.version >= replication::kFirstTopicIdFetchVersion
                          ? errc::unknown_topic_id
                          : errc::unknown_topic_or_partition;
        } else if (ctx.broker.replicas != nullptr) {
            w.handle = ctx.broker.replicas->get(topic->name, p.key.partition);
            if (w.handle == nullptr) {
                w.error = topic->partitions.count(p.key.partition) != 0
                              ? errc::not_leader_or_follower
                              : errc::unknown_topic_or_partition;
            }
        } else {
            w.error = errc::not_leader_or_follower;
        }
        wanted.push_back(std::move(w));
    }
    return wanted;
}

replication::FetchPartitionResult session_result(const ReadOutcome& r) {
    replication::FetchPartitionResult out;
    out.error_code = r.data.error_code;
    out.high_watermark = r.data.high_watermark;
    out.last_stable_offset = r.data.last_stable_offset;
    out.log_start_offset = r.data.log_start_offset;
    out.has_records = r.bytes > 0;
    out.preferred_read_replica = r.data.preferred_read_replica;
    out.has_diverging_epoch = r.data.diverging_epoch.epoch >= 0;
    return out;
}

// The response: the selected partitions, consecutive partitions of a topic under one topic entry
// (as Kafka's FetchResponse.of), records as file slices between the encoded chunks.
net::Response encode(const RequestContext& ctx,
                     protocol::FetchResponse& resp,
                     std::vector<ReadOutcome>& outcomes,
                     const std::vector<Wanted>& wanted,
                     const std::vector<size_t>& included) {
    std::vector<std::vector<FileSlice>> slices;
    for (size_t i : included) {
        const Wanted& w = wanted[i];
        const bool by_id = ctx.version >= replication::kFirstTopicIdFetchVersion;
        if (resp.responses.empty()
            || (by_id ? !(resp.responses.back().topic_id == w.topic_id)
                      : resp.responses.back().topic != w.topic)) {
            auto& t = resp.responses.emplace_back();
            t.topic = w.topic;
            t.topic_id = w.topic_id;
        }
        resp.responses.back().partitions.push_back(std::move(outcomes[i].data));
        if (outcomes[i].bytes > 0) {
            slices.push_back(std::move(outcomes[i].slices));
        }
    }
    protocol::ChunkedWriter w;
    w.write_int32(ctx.header.correlation_id);
    if (protocol::response_header_version(ctx.api, ctx.version) >= 1) {
        w.write_uvarint(0);
    }
    resp.write(w, ctx.version);
    // Chunks and the partitions' slices alternate: chunk, slices, chunk, ..., chunk.
    auto& chunks = w.chunks();
    GREGOR_ASSERT(chunks.size() == slices.size() + 1, "one chunk more than records fields");
    net::Response out;
    for (size_t i = 0; i < chunks.size(); ++i) {
        if (!chunks[i].empty()) {
            out.parts.emplace_back(std::move(chunks[i]));
        }
        if (i < slices.size()) {
            for (auto& sl : slices[i]) {
                out.parts.emplace_back(std::move(sl));
            }
        }
    }
    return out;
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

asio::awaitable<net::Response> handle_fetch(RequestContext& ctx) {
    protocol::FetchRequest req;
    if (!ctx.decode(req)) {
        co_return net::Response::close_connection();
    }
    protocol::FetchResponse resp;
    resp.session_id = replication::kInvalidSessionId;
    const int32_t replica_id = ctx.version >= 15 ? req.replica_state.replica_id : req.replica_id;
    if (replica_id >= 0) {
        // Follower fetching comes with replication; until then no node follows us.
        resp.error_code = errc::unknown_server_error;
        co_return respond(ctx, resp);
    }
    const auto image = ctx.broker.image.current();
    std::vector<replication::FetchPartitionRequest> data;
    std::vector<replication::FetchPartitionKey> forgotten;
    session_input(req, ctx.version, *image, data, forgotten);
    std::unique_ptr<replication::FetchContext> session;
    std::vector<Wanted> wanted;
    if (ctx.broker.fetch_sessions != nullptr) {
        session = ctx.broker.fetch_sessions->new_context(
            ctx.version, req.session_id, req.session_epoch, false, std::move(data),
            std::move(forgotten), now_ms(), [&image](const protocol::Uuid& id) {
                const metadata::TopicImage* t = image->topic(id);
                return t != nullptr ? t->name : std::string();
            });
        if (session->error_code() != errc::none) {
            resp.error_code = session->error_code();
            co_return respond(ctx, resp);
        }
        wanted = resolve(ctx, *image, session->partitions());
    } else {
        wanted = resolve(ctx, *image, data);
    }
    const bool read_committed = req.isolation_level == 1;
    const int32_t broker_max =
        ctx.broker.config != nullptr ? ctx.broker.config->get_int("fetch.max.bytes") : INT32_MAX;
    const int32_t response_max = std::max(0, std::min(req.max_bytes, broker_max));
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(0, req.max_wait_ms));
    // Parked before the first read, so an append between a read and the wait is not missed.
    std::optional<replication::ParkedOperation> parked;
    if (req.max_wait_ms > 0 && req.min_bytes > 0 && ctx.broker.replicas != nullptr) {
        std::vector<storage::TopicPartition> tps;
        for (const auto& w : wanted) {
            if (w.handle != nullptr) {
                tps.push_back(w.handle->topic_partition());
            }
        }
        parked = replication::ParkedOperation::park(ctx.broker.replicas->watches(), std::move(tps),
                                                    replication::kHighWatermarkChanged,
                                                    co_await asio::this_coro::executor);
    }
    std::vector<ReadOutcome> outcomes;
    for (;;) {
        outcomes.clear();
        outcomes.reserve(wanted.size());
        int64_t budget = response_max;
        uint64_t total = 0;
        bool any_error = false;
        bool min_one = true;
        for (const auto& w : wanted) {
            auto r = read_partition(w, static_cast<int32_t>(std::max<int64_t>(budget, 0)), min_one,
                                    read_committed, ctx.broker.node_id);
            any_error =
                any_error || r.data.error_code != errc::none || r.data.diverging_epoch.epoch >= 0;
            if (r.bytes > 0) {
                min_one = false;
                budget -= static_cast<int64_t>(r.bytes);
                total += r.bytes;
            }
            outcomes.push_back(std::move(r));
        }
        if (total >= static_cast<uint64_t>(std::max(req.min_bytes, 0)) || any_error
            || wanted.empty() || !parked || !co_await parked->wait_until(deadline)) {
            break;
        }
    }
    std::vector<size_t> included;
    if (session != nullptr) {
        std::vector<replication::FetchPartitionResult> results;
        results.reserve(outcomes.size());
        for (const auto& o : outcomes) {
            results.push_back(session_result(o));
        }
        auto sel = session->select(results, now_ms());
        resp.error_code = sel.error_code;
        resp.session_id = sel.session_id;
        included = std::move(sel.included);
    } else {
        for (size_t i = 0; i < outcomes.size(); ++i) {
            included.push_back(i);
        }
    }
    co_return encode(ctx, resp, outcomes, wanted, included);
}

}  // namespace gregor::broker
