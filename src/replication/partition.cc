#include "gregor/replication/partition.h"

#include "gregor/common/assert.h"
#include "gregor/protocol/error_codes.h"
#include "gregor/replication/delayed_operations.h"
#include "gregor/storage/leader_epoch_cache.h"

#include <algorithm>

namespace gregor::replication {

namespace errc = protocol::error;

Partition::Partition(storage::TopicPartition tp,
                     protocol::Uuid topic_id,
                     std::shared_ptr<storage::Log> log,
                     int32_t local_id,
                     ChangeListener on_change)
    : tp_(std::move(tp)),
      topic_id_(topic_id),
      log_(std::move(log)),
      local_id_(local_id),
      on_change_(std::move(on_change)) {
    GREGOR_ASSERT(log_ != nullptr, "a partition needs its log");
}

void Partition::apply(const metadata::PartitionImage& image) {
    bool changed = false;
    {
        std::lock_guard lock(mutex_);
        changed = image.leader != image_.leader || image.leader_epoch != image_.leader_epoch;
        if (image.leader == local_id_ && image.leader_epoch > image_.leader_epoch) {
            // A new leader epoch starts at the log end (Kafka's makeLeader): its batches carry it.
            log_->leader_epochs().assign(image.leader_epoch, log_->log_end_offset());
        }
        image_ = image;
        advance_high_watermark_locked();
    }
    if (changed) {
        notify(kAnyPartitionChange);
    }
}

bool Partition::is_leader() const {
    std::lock_guard lock(mutex_);
    return image_.leader == local_id_;
}

int32_t Partition::leader_id() const {
    std::lock_guard lock(mutex_);
    return image_.leader;
}

int32_t Partition::leader_epoch() const {
    std::lock_guard lock(mutex_);
    return image_.leader_epoch;
}

std::vector<int32_t> Partition::isr() const {
    std::lock_guard lock(mutex_);
    return image_.isr;
}

std::vector<int32_t> Partition::replicas() const {
    std::lock_guard lock(mutex_);
    return image_.replicas;
}

int16_t Partition::check_leader_epoch(int32_t current_leader_epoch) const {
    if (current_leader_epoch < 0) {
        return errc::none;
    }
    const int32_t ours = leader_epoch();
    if (current_leader_epoch < ours) {
        return errc::fenced_leader_epoch;
    }
    if (current_leader_epoch > ours) {
        return errc::unknown_leader_epoch;
    }
    return errc::none;
}

Partition::AppendOutcome Partition::append_as_leader(std::span<uint8_t> batches,
                                                     int16_t required_acks) {
    AppendOutcome out;
    int32_t epoch = 0;
    const int32_t min_isr =
        required_acks == -1 ? std::max(1, log_->config().min_insync_replicas) : 1;
    {
        std::lock_guard lock(mutex_);
        if (image_.leader != local_id_) {
            out.error = {errc::not_leader_or_follower, "This broker is not the leader of "
                                                           + tp_.topic + "-"
                                                           + std::to_string(tp_.partition)};
            return out;
        }
        const auto isr_size = static_cast<int32_t>(image_.isr.size());
        if (required_acks == -1 && isr_size < min_isr) {
            out.error = {errc::not_enough_replicas,
                         "The size of the current ISR " + std::to_string(isr_size)
                             + " is insufficient to satisfy the min.isr requirement of "
                             + std::to_string(min_isr) + " for partition " + tp_.topic + "-"
                             + std::to_string(tp_.partition)};
            return out;
        }
        epoch = image_.leader_epoch;
    }
    auto appended = log_->append_as_leader_in_place(batches, epoch);
    if (!appended) {
        out.storage_failed = true;
        out.storage_error = appended.error().code;
        out.error = {errc::unknown_server_error, appended.error().message};
        return out;
    }
    out.info = *appended;
    int64_t hw_before = 0;
    int64_t hw_after = 0;
    {
        std::lock_guard lock(mutex_);
        hw_before = high_watermark();
        advance_high_watermark_locked();
        hw_after = high_watermark();
    }
    notify(hw_after != hw_before ? kAnyPartitionChange : kLogEndChanged);
    return out;
}

void Partition::advance_high_watermark_locked() {
    // Followers do not fetch yet (a later issue): while the leader is the whole ISR the high
    // watermark is the log end; with more replicas in the ISR it waits for them.
    if (image_.leader != local_id_ || image_.isr.size() > 1) {
        return;
    }
    const int64_t leo = log_->log_end_offset();
    if (high_watermark_.load(std::memory_order_relaxed) != leo) {
        high_watermark_.store(leo, std::memory_order_release);
        log_->set_high_watermark(leo);
    }
}

void Partition::notify(uint32_t changes) const {
    if (on_change_) {
        on_change_(tp_, changes);
    }
}

}  // namespace gregor::replication
