#pragma once

// One partition this node hosts (Kafka's Partition): its log, the leadership the metadata image
// gives it (leader, leader epoch, replicas, ISR) and the high watermark. Each change that parked
// operations wait for (an advance of the high watermark or the log end, a leadership change) is
// reported to a listener: the ReplicaManager's WatchList, which wakes them.
//
// Threads: any. Leadership changes come from the controller's thread (image publication), appends
// and reads from network threads. The high watermark is an atomic read without locks; changes to
// it happen under the partition's mutex.

#include "gregor/metadata/image.h"
#include "gregor/protocol/wire.h"
#include "gregor/storage/log.h"
#include "gregor/storage/topic_partition.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace gregor::replication {

// Why an append or a read was refused before the log was reached (Kafka error codes).
struct PartitionError {
    int16_t code = 0;
    std::string message;
};

// Told of changes (delayed_operations.h bits) on whatever thread made them, with no lock held.
using ChangeListener = std::function<void(const storage::TopicPartition&, uint32_t changes)>;

class Partition {
public:
    Partition(storage::TopicPartition tp,
              protocol::Uuid topic_id,
              std::shared_ptr<storage::Log> log,
              int32_t local_id,
              ChangeListener on_change = {});

    const storage::TopicPartition& topic_partition() const { return tp_; }
    const protocol::Uuid& topic_id() const { return topic_id_; }
    const std::shared_ptr<storage::Log>& log() const { return log_; }

    // Leadership and ISR from the latest metadata image.
    void apply(const metadata::PartitionImage& image);
    bool is_leader() const;
    int32_t leader_id() const;
    int32_t leader_epoch() const;
    std::vector<int32_t> isr() const;
    std::vector<int32_t> replicas() const;

    // Checks a client's current_leader_epoch (-1: unknown, not checked) against ours:
    // FENCED_LEADER_EPOCH below, UNKNOWN_LEADER_EPOCH above (Kafka's
    // Partition.checkCurrentLeaderEpoch). 0 when it matches.
    int16_t check_leader_epoch(int32_t current_leader_epoch) const;

    // A Produce request's batches for this partition, patched in place. NOT_LEADER_OR_FOLLOWER
    // on a follower; NOT_ENOUGH_REPLICAS for acks=-1 while the ISR is below the log config's
    // min.insync.replicas. The high watermark advances (a single-replica ISR: to the log end).
    struct AppendOutcome {
        storage::AppendInfo info;
        PartitionError error;  // code 0: appended
        storage::Errc storage_error = storage::Errc::invalid_record;
        bool storage_failed = false;  // the log refused or failed: see storage_error
    };
    AppendOutcome append_as_leader(std::span<uint8_t> batches, int16_t required_acks);

    // The high watermark: what consumers may read. Without replicas beyond the leader it follows
    // the log end.
    int64_t high_watermark() const { return high_watermark_.load(std::memory_order_acquire); }
    // Without transactions the last stable offset is the high watermark.
    int64_t last_stable_offset() const { return high_watermark(); }
    int64_t log_start_offset() const { return log_->log_start_offset(); }
    int64_t log_end_offset() const { return log_->log_end_offset(); }

private:
    void advance_high_watermark_locked();
    void notify(uint32_t changes) const;

    const storage::TopicPartition tp_;
    const protocol::Uuid topic_id_;
    const std::shared_ptr<storage::Log> log_;
    const int32_t local_id_;
    const ChangeListener on_change_;

    mutable std::mutex mutex_;
    metadata::PartitionImage image_;
    std::atomic<int64_t> high_watermark_{0};
};

}  // namespace gregor::replication
