#pragma once

// Idempotent-producer state of one partition (Kafka's ProducerStateManager, ProducerStateEntry
// and ProducerAppendInfo): per producer id its epoch and the metadata of its last 5 batches, so
// a leader can reject sequence gaps and stale epochs and answer a retried batch with the offsets
// it was first written at. Snapshots `<20-digit offset>.snapshot` (Kafka's ProducerSnapshot v1,
// docs/formats.md) hold the state for every offset below theirs, so opening a log replays only
// the batches after the latest one.
//
// Threads: none of its own; the owning Log calls it under the log's mutex.

#include "gregor/storage/errors.h"

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <vector>

namespace gregor::storage {

inline constexpr const char* kProducerSnapshotSuffix = ".snapshot";
inline constexpr int64_t kDefaultProducerIdExpirationMs = 86400000;  // producer.id.expiration.ms

// A batch as producer state sees it (the header fields; offsets as assigned in the log).
struct ProducerBatch {
    int64_t producer_id = -1;
    int16_t epoch = -1;
    int32_t base_sequence = -1;
    int64_t first_offset = 0;
    int64_t last_offset = 0;
    int64_t max_timestamp = -1;
    bool transactional = false;
    bool control = false;

    int32_t last_sequence() const;  // base_sequence + offset delta, wrapping at INT32_MAX
};

// One retained batch of a producer (Kafka's BatchMetadata).
struct BatchMetadata {
    int32_t first_seq = -1;
    int32_t last_seq = -1;
    int64_t first_offset = -1;
    int64_t last_offset = -1;
    int64_t timestamp = -1;  // the batch's max timestamp
};

struct ProducerEntry {
    static constexpr size_t kBatchesRetained = 5;  // Kafka's NUM_BATCHES_TO_RETAIN

    int64_t producer_id = -1;
    int16_t epoch = -1;
    int32_t coordinator_epoch = -1;
    int64_t last_timestamp = -1;
    int64_t current_txn_first_offset = -1;  // transactions: not written yet, -1
    std::deque<BatchMetadata> batches;      // oldest first, at most kBatchesRetained

    int32_t last_seq() const { return batches.empty() ? -1 : batches.back().last_seq; }
    int64_t last_offset() const { return batches.empty() ? -1 : batches.back().last_offset; }
    // Records a batch; a new epoch forgets the old epoch's batches.
    void add_batch(int16_t batch_epoch, const BatchMetadata& batch);
    std::optional<BatchMetadata> find_duplicate(const ProducerBatch& batch) const;
};

// What a DescribeProducers answer lists for one producer.
struct ActiveProducer {
    int64_t producer_id = -1;
    int16_t epoch = -1;
    int32_t last_sequence = -1;
    int64_t last_timestamp = -1;
    int32_t coordinator_epoch = -1;
    int64_t current_txn_start_offset = -1;
};

class ProducerStateManager;

// The changes one append makes, validated batch by batch before anything is written and applied
// with commit() once the batches are in the log (Kafka's ProducerAppendInfo for every producer of
// a request).
class ProducerAppend {
public:
    // `client`: a leader append of a producer's request (sequence and epoch checked); otherwise
    // replication or replay, which take the batch as it is.
    ProducerAppend(const ProducerStateManager& state, bool client)
        : state_(state), client_(client) {}
    // OUT_OF_ORDER_SEQUENCE_NUMBER as Errc::out_of_order_sequence, INVALID_PRODUCER_EPOCH as
    // Errc::invalid_producer_epoch.
    Result<bool> append(const ProducerBatch& batch);
    bool empty() const { return updated_.empty(); }

private:
    friend class ProducerStateManager;
    ProducerEntry& entry_for(int64_t producer_id);
    Result<bool> check(const ProducerEntry& current, const ProducerBatch& batch) const;

    const ProducerStateManager& state_;
    bool client_;
    std::map<int64_t, ProducerEntry> updated_;
};

class ProducerStateManager {
public:
    explicit ProducerStateManager(std::filesystem::path dir) : dir_(std::move(dir)) {}

    const ProducerEntry* find(int64_t producer_id) const;
    // A retried batch already in the log: the metadata it was written with.
    std::optional<BatchMetadata> find_duplicate(const ProducerBatch& batch) const;
    void commit(ProducerAppend&& append, int64_t map_end_offset);
    // Replays one batch read from the log (recovery, truncation): no checks.
    void replay(const ProducerBatch& batch);

    int64_t map_end_offset() const { return map_end_offset_; }
    void set_map_end_offset(int64_t offset) { map_end_offset_ = offset; }
    size_t size() const { return producers_.size(); }
    void clear() {
        producers_.clear();
        map_end_offset_ = 0;
    }
    std::vector<ActiveProducer> active_producers() const;
    // Drops producers idle for `expiration_ms` (by their last batch timestamp) without an open
    // transaction; returns how many.
    size_t remove_expired(int64_t now_ms, int64_t expiration_ms);

    // ---- snapshots ----
    // Writes `<map end offset>.snapshot` unless it already exists; fsynced when `sync` (clean
    // close). A roll's snapshot is not (as in Kafka, whose roll flushes it in the background): one
    // torn by a crash fails its CRC at open and the previous one is used.
    Result<bool> write_snapshot(bool sync = true);
    // Replaces the state with the latest valid snapshot at or below `max_offset`; a corrupt one is
    // deleted and the previous tried. Returns the snapshot's offset, nullopt when none (state
    // cleared, map end offset 0).
    Result<std::optional<int64_t>> load_latest_snapshot(int64_t max_offset);
    std::vector<int64_t> snapshot_offsets() const;  // ascending
    void delete_snapshot(int64_t offset);
    void delete_snapshots_above(int64_t offset);  // strictly above
    void delete_snapshots_below(int64_t offset);  // strictly below
    std::filesystem::path snapshot_path(int64_t offset) const;

    // Kafka's snapshot bytes for the given entries / decoding of them (tests, tools).
    static std::vector<uint8_t> encode_snapshot(const std::map<int64_t, ProducerEntry>& producers);
    static Result<std::map<int64_t, ProducerEntry>> decode_snapshot(std::span<const uint8_t> bytes);

private:
    std::filesystem::path dir_;
    std::map<int64_t, ProducerEntry> producers_;
    int64_t map_end_offset_ = 0;  // the state covers every batch below this offset
};

}  // namespace gregor::storage
