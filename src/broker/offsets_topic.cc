#include "gregor/broker/offsets_topic.h"

#include "gregor/broker/config.h"
#include "gregor/common/logging.h"
#include "gregor/controller/quorum_controller.h"
#include "gregor/protocol/error_codes.h"
#include "gregor/protocol/messages/topic_admin.h"
#include "gregor/protocol/record_batch.h"
#include "gregor/replication/partition.h"
#include "gregor/replication/replica_manager.h"
#include "gregor/storage/log_manager.h"

#include <algorithm>
#include <chrono>
#include <unistd.h>

namespace gregor::broker {

namespace errc = protocol::error;

namespace {

// Kafka's GroupMetadataManager maps append errors to what a group client understands.
int16_t coordinator_error(int16_t append_error) {
    switch (append_error) {
        case errc::not_leader_or_follower:
        case errc::kafka_storage_error:
            return errc::not_coordinator;
        case errc::message_too_large:
        case errc::record_list_too_large:
            return errc::invalid_commit_offset_size;
        default:
            return errc::coordinator_not_available;
    }
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::vector<uint8_t> read_slice(const FileSlice& slice) {
    std::vector<uint8_t> out(slice.length);
    size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::pread(slice.file->fd(), out.data() + done, out.size() - done,
                                  static_cast<off_t>(slice.offset + done));
        if (n <= 0) {
            out.resize(done);
            break;
        }
        done += static_cast<size_t>(n);
    }
    return out;
}

// Replays one log from its start; the number of records.
size_t replay_log(const storage::Log& log, coordinator::GroupCoordinator& groups) {
    size_t records = 0;
    int64_t offset = log.log_start_offset();
    std::vector<uint8_t> scratch;
    while (offset < log.log_end_offset()) {
        auto read = log.read(offset, 1 << 20, INT64_MAX, true);
        if (!read || read->slices.empty()) {
            break;
        }
        const int64_t before = offset;
        for (const auto& slice : read->slices) {
            const auto bytes = read_slice(slice);
            protocol::BatchSplitter splitter(bytes, protocol::BatchSplitter::Check::kFraming);
            while (auto batch = splitter.next()) {
                offset = std::max(offset, batch->next_offset());
                if (batch->is_control()) {
                    continue;
                }
                auto it = batch->records(scratch, 64u << 20);
                if (!it) {
                    continue;
                }
                while (auto r = it->next()) {
                    if (r->key) {
                        groups.replay(*r->key, r->value);
                        ++records;
                    }
                }
            }
        }
        if (offset == before) {
            break;  // nothing readable past here
        }
    }
    return records;
}

}  // namespace

int16_t OffsetsTopicStore::append(const std::string& group_id, const std::vector<Record>& records) {
    const auto image = broker_.image.current();
    const metadata::TopicImage* topic = image->topic(kOffsetsTopic);
    if (topic == nullptr || topic->partitions.empty() || broker_.replicas == nullptr) {
        return errc::coordinator_not_available;
    }
    const int32_t p = coordinator::offsets_partition_for(
        group_id, static_cast<int32_t>(topic->partitions.size()));
    auto partition = broker_.replicas->get(kOffsetsTopic, p);
    if (!partition || !partition->is_leader()) {
        return errc::not_coordinator;
    }
    protocol::RecordBatchBuilder builder(protocol::BatchOptions{});
    const int64_t ts = now_ms();
    for (const auto& r : records) {
        protocol::RecordInput in;
        in.timestamp = ts;
        in.key = std::span<const uint8_t>(r.key);
        if (r.value) {
            in.value = std::span<const uint8_t>(*r.value);
        }
        builder.append(in);
    }
    std::vector<uint8_t> batch;
    if (builder.build(batch) != protocol::BuildError::kOk) {
        return errc::invalid_commit_offset_size;
    }
    auto outcome = partition->append_as_leader(batch, -1);
    if (outcome.error.code != 0) {
        return coordinator_error(outcome.error.code);
    }
    if (outcome.storage_failed) {
        return coordinator_error(errc::kafka_storage_error);
    }
    return 0;
}

size_t load_offsets_topic(storage::LogManager& logs, coordinator::GroupCoordinator& groups) {
    std::vector<std::shared_ptr<storage::Log>> offsets_logs;
    for (auto& l : logs.all_logs()) {
        if (l->topic_partition().topic == kOffsetsTopic) {
            offsets_logs.push_back(l);
        }
    }
    // Partition order does not matter: a group's records are all in its own partition.
    size_t records = 0;
    for (const auto& l : offsets_logs) {
        records += replay_log(*l, groups);
    }
    return records;
}

int16_t ensure_offsets_partition(const RequestContext& ctx, const std::string& group_id) {
    const auto image = ctx.broker.image.current();
    const metadata::TopicImage* topic = image->topic(kOffsetsTopic);
    if (topic == nullptr) {
        auto* controller = ctx.broker.controller.load(std::memory_order_acquire);
        if (controller != nullptr && ctx.broker.config != nullptr) {
            const Config& config = *ctx.broker.config;
            protocol::CreateTopicsRequest create;
            auto& t = create.topics.emplace_back();
            t.name = kOffsetsTopic;
            t.num_partitions = config.get_int("offsets.topic.num.partitions");
            // Kafka caps the replication factor at the live brokers (a single node: 1).
            t.replication_factor = static_cast<int16_t>(std::max<int32_t>(
                1, std::min<int32_t>(config.get_int("offsets.topic.replication.factor"),
                                     image->live_broker_count())));
            auto config_entry = [&t](std::string name, std::string value) {
                auto& c = t.configs.emplace_back();
                c.name = std::move(name);
                c.value = std::move(value);
            };
            config_entry("cleanup.policy", "compact");
            config_entry("compression.type", "producer");
            config_entry("segment.bytes",
                         std::to_string(config.get_int("offsets.topic.segment.bytes")));
            controller->create_topics(std::move(create), 7, [](protocol::CreateTopicsResponse r) {
                for (const auto& res : r.topics) {
                    if (res.error_code != 0 && res.error_code != errc::topic_already_exists) {
                        log::get("broker")->warn("cannot create {}: error {}", res.name,
                                                 res.error_code);
                    }
                }
            });
        }
        return errc::coordinator_not_available;
    }
    if (topic->partitions.empty() || ctx.broker.replicas == nullptr) {
        return errc::coordinator_not_available;
    }
    const int32_t p = coordinator::offsets_partition_for(
        group_id, static_cast<int32_t>(topic->partitions.size()));
    auto partition = ctx.broker.replicas->get(kOffsetsTopic, p);
    if (!partition || !partition->is_leader()) {
        return errc::coordinator_not_available;
    }
    return 0;
}

}  // namespace gregor::broker
