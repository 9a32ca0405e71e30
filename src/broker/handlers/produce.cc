// Produce (Kafka's KafkaApis.handleProduceRequest and ReplicaManager.appendRecords): each
// partition's batch is checked as ProduceRequest.validateRecords does (v3+: exactly one batch of
// magic 2), then appended by its partition's leader, patching the request's own bytes in place.
// acks=0 sends nothing back (and closes the connection on an error, so the client notices);
// acks=1 answers once the leader appended; acks=-1 parks until the high watermark passes every
// appended batch or the request's timeout passes.

#include "gregor/broker/handlers.h"
#include "gregor/controller/quorum_controller.h"
#include "gregor/protocol/compression.h"
#include "gregor/protocol/error_codes.h"
#include "gregor/protocol/messages/core.h"
#include "gregor/protocol/record_batch.h"
#include "gregor/replication/delayed_operations.h"
#include "gregor/replication/replica_manager.h"

#include <boost/asio/this_coro.hpp>

#include <chrono>

namespace gregor::broker {

namespace errc = protocol::error;
namespace asio = boost::asio;
using PartitionResponse = protocol::ProduceResponse::TopicProduceResponse::PartitionProduceResponse;

namespace {

// The error code a refused append gets; CRC failures are CORRUPT_MESSAGE as in Kafka.
int16_t append_error_code(storage::Errc e, std::span<const uint8_t> batch) {
    switch (e) {
        case storage::Errc::record_too_large:
            return errc::message_too_large;
        case storage::Errc::invalid_timestamp:
            return errc::invalid_timestamp;
        case storage::Errc::invalid_record: {
            // Corrupt bytes (CRC, framing: Kafka's CorruptRecordException) vs. a well-formed batch
            // that breaks a rule (InvalidRecordException).
            const auto e2 = protocol::RecordBatchView(batch).validate();
            return e2 == protocol::BatchError::kOk || e2 == protocol::BatchError::kInvalidCount
                       ? errc::invalid_record
                       : errc::corrupt_message;
        }
        case storage::Errc::out_of_order_sequence:
            return errc::out_of_order_sequence_number;
        case storage::Errc::invalid_producer_epoch:
            return errc::invalid_producer_epoch;
        case storage::Errc::io_error:
        case storage::Errc::log_dir_offline:
            return errc::kafka_storage_error;
        case storage::Errc::closed:
        case storage::Errc::not_found:
            return errc::not_leader_or_follower;
        default:
            return errc::unknown_server_error;
    }
}

// ProduceRequest.validateRecords for v3+: one batch of magic 2 per partition. The message, or
// nullopt when the records are acceptable.
std::optional<std::string> check_one_batch(std::span<const uint8_t> records, int16_t version) {
    if (records.empty()) {
        return "Produce requests with version " + std::to_string(version)
               + " must have at least one record batch per partition";
    }
    protocol::BatchSplitter splitter(records, protocol::BatchSplitter::Check::kFraming);
    auto first = splitter.next();
    if (!first) {
        if (splitter.error() == protocol::BatchError::kWrongMagic) {
            return "Produce requests with version " + std::to_string(version)
                   + " are only allowed to contain record batches with magic version 2";
        }
        return std::nullopt;  // framing errors are the log's to report (CORRUPT_MESSAGE)
    }
    if (splitter.consumed() < records.size()) {
        return "Produce requests with version " + std::to_string(version)
               + " are only allowed to contain exactly one record batch per partition";
    }
    if (version < 7 && first->compression() == protocol::CompressionType::kZstd) {
        return std::string("zstd");  // signalled separately: UNSUPPORTED_COMPRESSION_TYPE
    }
    return std::nullopt;
}

// Kafka's LogValidator for compacted topics: every record needs a key. The per-record errors
// (batch_index is the record's index in the batch), empty when all have one.
std::vector<protocol::ProduceResponse::TopicProduceResponse::PartitionProduceResponse::
                BatchIndexAndErrorMessage>
keyless_records(std::span<const uint8_t> batch,
                const storage::TopicPartition& tp,
                size_t max_uncompressed) {
    std::vector<PartitionResponse::BatchIndexAndErrorMessage> errors;
    protocol::RecordBatchView view(batch);
    if (view.validate() != protocol::BatchError::kOk || view.is_control()) {
        return errors;  // the log reports corrupt batches
    }
    std::vector<uint8_t> scratch;
    auto records = view.records(scratch, max_uncompressed);
    if (!records) {
        return errors;
    }
    int32_t index = 0;
    while (auto r = records->next()) {
        if (!r->key) {
            auto& e = errors.emplace_back();
            e.batch_index = index;
            e.batch_index_error_message =
                "Compacted topic cannot accept message without key in "
                "topic partition "
                + tp.topic + "-" + std::to_string(tp.partition) + ".";
        }
        ++index;
    }
    return errors;
}

// compression.type other than "producer": the batch rebuilt with the topic's codec (Kafka's
// LogValidator recompresses the same way), or nullopt when it already uses it or cannot be read
// (the log then reports why).
std::optional<std::vector<uint8_t>> recompress(std::span<const uint8_t> batch,
                                               int8_t codec,
                                               size_t max_uncompressed) {
    protocol::RecordBatchView view(batch);
    auto target = protocol::compression_type_from_id(codec);
    if (!target || view.validate() != protocol::BatchError::kOk || view.is_control()
        || view.compression() == *target) {
        return std::nullopt;
    }
    protocol::BatchOptions o;
    o.compression = *target;
    o.timestamp_type = view.timestamp_type();
    o.transactional = view.is_transactional();
    o.producer_id = view.producer_id();
    o.producer_epoch = view.producer_epoch();
    o.base_sequence = view.base_sequence();
    o.last_offset_delta = view.last_offset_delta();
    protocol::RecordBatchBuilder builder(o);
    std::vector<uint8_t> scratch;
    auto records = view.records(scratch, max_uncompressed);
    if (!records) {
        return std::nullopt;
    }
    std::vector<protocol::RecordHeader> headers;
    while (auto r = records->next()) {
        headers.clear();
        auto it = r->headers();
        while (auto h = it.next()) {
            headers.push_back(*h);
        }
        protocol::RecordInput in;
        in.timestamp = view.record_timestamp(*r);
        in.key = r->key;
        in.value = r->value;
        in.headers = headers;
        in.offset_delta = r->offset_delta;
        builder.append(in);
    }
    if (records->error() != protocol::BatchError::kOk) {
        return std::nullopt;
    }
    std::vector<uint8_t> out;
    if (builder.build(out) != protocol::BuildError::kOk) {
        return std::nullopt;
    }
    return out;
}

struct Pending {
    PartitionResponse* response;
    std::shared_ptr<replication::Partition> partition;
    int64_t required_offset;  // the high watermark that acknowledges this append
};

bool all_acknowledged(const std::vector<Pending>& pending) {
    for (const auto& p : pending) {
        if (p.partition->high_watermark() < p.required_offset) {
            return false;
        }
    }
    return true;
}

// acks=-1: waits until every partition's high watermark reaches its appended batch, or the
// deadline; REQUEST_TIMED_OUT for the partitions still short then (Kafka's DelayedProduce).
asio::awaitable<void> await_replication(std::vector<Pending>& pending,
                                        int32_t timeout_ms,
                                        replication::WatchList& watches) {
    if (all_acknowledged(pending)) {
        co_return;
    }
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(timeout_ms, 0));
    std::vector<storage::TopicPartition> tps;
    for (const auto& p : pending) {
        tps.push_back(p.partition->topic_partition());
    }
    auto parked = replication::ParkedOperation::park(watches, std::move(tps),
                                                     replication::kHighWatermarkChanged,
                                                     co_await asio::this_coro::executor);
    while (!all_acknowledged(pending) && parked && co_await parked->wait_until(deadline)) {
    }
    for (auto& p : pending) {
        if (p.partition->high_watermark() < p.required_offset) {
            p.response->error_code = errc::request_timed_out;
            p.response->base_offset = -1;
        }
    }
}

void set_error(PartitionResponse& out, int16_t code, std::optional<std::string> message = {}) {
    out.error_code = code;
    out.base_offset = -1;
    out.log_append_time_ms = -1;
    out.log_start_offset = -1;
    out.error_message = std::move(message);
}

}  // namespace

asio::awaitable<net::Response> handle_produce(RequestContext& ctx) {
    protocol::ProduceRequest req;
    if (ctx.version < protocol::ProduceRequest::min_version) {
        co_return net::Response::close_connection("Produce v0-v2 are advertised but not served");
    }
    if (!ctx.decode(req)) {
        co_return net::Response::close_connection();
    }
    const auto image = ctx.broker.image.current();
    auto* replicas = ctx.broker.replicas;
    const bool valid_acks = req.acks == -1 || req.acks == 0 || req.acks == 1;
    bool any_error = false;
    protocol::ProduceResponse resp;
    std::vector<Pending> pending;
    resp.responses.reserve(req.topic_data.size());
    for (const auto& t : req.topic_data) {
        auto& tout = resp.responses.emplace_back();
        tout.name = t.name;
        tout.topic_id = t.topic_id;
        const metadata::TopicImage* topic =
            ctx.version >= 13 ? image->topic(t.topic_id) : image->topic(t.name);
        tout.partition_responses.reserve(t.partition_data.size());
        for (const auto& p : t.partition_data) {
            auto& out = tout.partition_responses.emplace_back();
            out.index = p.index;
            if (!valid_acks) {
                set_error(out, errc::invalid_required_acks);
                continue;
            }
            if (topic == nullptr) {
                set_error(out, ctx.version >= 13 ? errc::unknown_topic_id
                                                 : errc::unknown_topic_or_partition);
                continue;
            }
            if (controller::is_internal_topic(topic->name)) {
                // Clients may not write to internal topics (Kafka: "Cannot append to internal
                // topic").
                set_error(out, errc::invalid_topic_exception,
                          "Cannot append to internal topic " + topic->name);
                continue;
            }
            if (auto why = check_one_batch(p.records.bytes(), ctx.version)) {
                set_error(
                    out, *why == "zstd" ? errc::unsupported_compression_type : errc::invalid_record,
                    *why == "zstd" ? std::nullopt : std::optional(*why));
                continue;
            }
            auto partition = replicas != nullptr ? replicas->get(topic->name, p.index) : nullptr;
            if (partition == nullptr) {
                set_error(out, topic->partitions.count(p.index) != 0
                                   ? errc::not_leader_or_follower
                                   : errc::unknown_topic_or_partition);
                continue;
            }
            auto bytes = ctx.mutable_records(p.records);
            const auto config = partition->log()->config();
            if (config.cleanup_compact) {
                auto errors = keyless_records(bytes, partition->topic_partition(),
                                              static_cast<size_t>(config.max_message_bytes) * 64);
                if (!errors.empty()) {
                    set_error(out, errc::invalid_record, errors.front().batch_index_error_message);
                    out.record_errors = std::move(errors);
                    continue;
                }
            }
            std::optional<std::vector<uint8_t>> rebuilt;
            if (config.compression_type >= 0) {
                rebuilt = recompress(bytes, config.compression_type,
                                     static_cast<size_t>(config.max_message_bytes) * 64);
                if (rebuilt) {
                    bytes = *rebuilt;
                }
            }
            auto appended = partition->append_as_leader(bytes, req.acks);
            if (appended.error.code != errc::none) {
                const int16_t code = appended.storage_failed
                                         ? append_error_code(appended.storage_error, bytes)
                                         : appended.error.code;
                set_error(out, code, appended.error.message);
                if (code == errc::kafka_storage_error && ctx.broker.logs != nullptr) {
                    ctx.broker.logs->report_io_error(partition->topic_partition(),
                                                     appended.error.message);
                }
                continue;
            }
            out.error_code = errc::none;
            out.base_offset = appended.info.first_offset;
            out.log_append_time_ms = appended.info.log_append_time_ms;
            out.log_start_offset = appended.info.log_start_offset;
            if (req.acks == -1) {
                pending.push_back({&out, partition, appended.info.last_offset + 1});
            }
        }
    }
    for (const auto& t : resp.responses) {
        for (const auto& p : t.partition_responses) {
            any_error = any_error || p.error_code != errc::none;
        }
    }
    if (req.acks == 0) {
        // Nothing goes back for acks=0; Kafka closes the connection on an error so the client
        // learns of it (and refreshes its metadata).
        co_return any_error ? net::Response::close_connection("an acks=0 produce failed")
                            : net::Response::none();
    }
    if (!pending.empty()) {
        co_await await_replication(pending, req.timeout_ms, replicas->watches());
    }
    co_return respond(ctx, resp);
}

}  // namespace gregor::broker
