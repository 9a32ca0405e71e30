#pragma once

// Log compaction for cleanup.policy=compact (and compact,delete), as Apache Kafka's LogCleaner,
// Cleaner and LogCleanerManager do it (docs/formats.md, "Compaction"):
//
// * Each log is split at its first dirty offset (kept per log dir in cleaner-offset-checkpoint)
//   into a clean head and a dirty tail. The cleanable part of the tail ends at the first
//   uncleanable offset: the active segment's base, the stable offset the broker reports (high
//   watermark / LSO), and the first segment holding a record younger than min.compaction.lag.ms.
// * A pass picks the log with the largest dirty ratio (cleanable bytes / (clean + cleanable))
//   above min.cleanable.dirty.ratio, or any log whose oldest dirty record is older than
//   max.compaction.lag.ms, builds a key → latest offset map over the cleanable section (as much
//   of it as log.cleaner.dedupe.buffer.size holds), then rewrites every segment below the mapped
//   end in groups that fit segment.bytes and segment.index.bytes, and swaps each group in with
//   Log::replace_segments (.cleaned → .swap → live). Offsets never change; removed records leave
//   gaps that reads skip.
// * A record survives when it is the latest of its key in the map (or lies past the mapped
//   range); keyless records are dropped (Kafka refuses them on compacted topics at produce time).
//   Tombstones (null value) survive until the batch's delete horizon (KIP-534): the first pass
//   that keeps a tombstone rewrites its batch with BaseTimestamp = now + delete.retention.ms and
//   the delete-horizon attribute bit; a pass after that drops it.
// * Batches whose records all survive are copied byte for byte; the others are rebuilt with the
//   same base offset, last offset delta, producer id/epoch/base sequence, partition leader epoch,
//   codec, timestamp type and timestamps. The last data batch of a live producer is kept empty
//   (header only) when all its records go, so producer state (last sequence) survives.
// * Not done yet (the transactions issue): without the .txnindex the cleaner cannot tell aborted
//   from committed data, so transactional data batches are kept whole and do not enter the map,
//   and control batches (commit/abort markers) are always kept.
//
// Threads: start() runs one cleaner thread (log.cleaner.threads > 1 only divides the dedupe
// buffer as Kafka does; cleanings are serialised); clean_once() runs one pass on the caller's
// thread (tests). Every method is safe from any thread.

#include "gregor/storage/errors.h"
#include "gregor/storage/log.h"
#include "gregor/storage/offset_map.h"
#include "gregor/storage/topic_partition.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace gregor::storage {

// Broker-level cleaner settings (Kafka's CleanerConfig), Kafka's names and defaults.
struct LogCleanerConfig {
    bool enable = true;                      // log.cleaner.enable
    int32_t threads = 1;                     // log.cleaner.threads
    int64_t backoff_ms = 15000;              // log.cleaner.backoff.ms
    int64_t dedupe_buffer_size = 134217728;  // log.cleaner.dedupe.buffer.size (all threads)
    double io_buffer_load_factor = 0.9;      // log.cleaner.io.buffer.load.factor
    int32_t io_buffer_size = 524288;         // log.cleaner.io.buffer.size (all threads)
    double io_max_bytes_per_second =
        std::numeric_limits<double>::max();        // ...io.max.bytes.per.second
    int64_t producer_id_expiration_ms = 86400000;  // producer.id.expiration.ms
    // A compressed batch decompressing past this is treated as opaque: kept whole, not mapped.
    size_t max_uncompressed_batch_bytes = 64u << 20;
};

// What one cleaning of one log did (Kafka's CleanerStats).
struct CleanerStats {
    int64_t bytes_read = 0;      // bytes of batches read while rewriting
    int64_t bytes_written = 0;   // bytes of batches written to cleaned segments
    int64_t map_bytes_read = 0;  // bytes read while building the offset map
    int64_t map_records_read = 0;
    int64_t records_read = 0;          // records looked at while rewriting
    int64_t records_written = 0;       // records kept
    int64_t records_removed = 0;       // records dropped (superseded, expired tombstones, keyless)
    int64_t invalid_records = 0;       // keyless records (dropped, as Kafka)
    int64_t batches_removed = 0;       // whole batches dropped
    int64_t batches_emptied = 0;       // batches kept as empty headers for producer state
    int64_t tombstones_horizoned = 0;  // batches given a delete horizon this pass
    double buffer_utilization = 0;     // offset map fill after mapping
    int64_t start_ms = 0;
    int64_t end_ms = 0;

    void add(const CleanerStats& other);
};

// Cleaner-wide counters for the broker's metrics.
struct LogCleanerStats {
    int64_t passes = 0;          // clean_once() calls, including idle ones
    int64_t logs_cleaned = 0;    // successful log cleanings
    int64_t failures = 0;        // cleanings that failed (the log is then marked uncleanable)
    int64_t last_run_ms = -1;    // when the last cleaning finished
    TopicPartition last_log;     // what it cleaned
    CleanerStats last;           // and its stats
    CleanerStats total;          // summed over all cleanings
    double max_dirty_ratio = 0;  // the dirtiest ratio seen by the last pass
    int64_t max_compaction_delay_ms = 0;  // how far past max.compaction.lag.ms (last pass)
    int32_t uncleanable_logs = 0;
};

// ---- The record-selection core: pure functions over batch bytes (exposed for tests) ---------

namespace compaction {

// The last data batch of a producer (and its latest timestamp), for keeping producer state.
struct ProducerLastBatch {
    int64_t last_data_offset = -1;  // last offset of the producer's last non-control batch
    int64_t last_timestamp = -1;    // max timestamp of its last batch of any kind
};
using ProducerBatches = std::unordered_map<int64_t, ProducerLastBatch>;

// Records the producer of every batch in `batches` (headers only; batches in log order).
void note_producers(std::span<const uint8_t> batches, ProducerBatches& producers);

// Producers whose last batch is newer than now - producer.id.expiration.ms (Kafka's live
// producers: their last data batch is kept, at least empty).
ProducerBatches live_producers(const ProducerBatches& producers,
                               int64_t now_ms,
                               int64_t producer_id_expiration_ms);

// Adds the keyed records at offsets >= `start_offset` of the whole batches in `batches` to
// `map`. Returns true when the map filled up: it then covers up to map.latest_offset() and the
// rest must wait for the next pass. Corruption when a batch does not decode.
Result<bool> map_batches(std::span<const uint8_t> batches,
                         int64_t start_offset,
                         CleanerOffsetMap& map,
                         CleanerStats& stats,
                         size_t max_uncompressed_bytes);

struct RetentionContext {
    const CleanerOffsetMap* map = nullptr;
    int64_t now_ms = 0;
    int64_t delete_retention_ms = 86400000;
    const ProducerBatches* live_producers = nullptr;  // nullptr: no producer state to keep
    size_t max_uncompressed_bytes = 64u << 20;
};

// One batch written by clean_batches, for the cleaned segment's indexes.
struct CleanedBatch {
    size_t position = 0;  // in `out`
    size_t size = 0;
    int64_t base_offset = 0;
    int64_t last_offset = 0;
    int64_t max_timestamp = -1;
};

// Appends to `out` the cleaned form of every whole batch in `batches`: copied unchanged when all
// records stay (and no delete horizon must be set), rebuilt from the surviving records, reduced
// to an empty header (the last batch of a live producer), or dropped. Describes what it wrote in
// `written` (when not null). Corruption when a batch does not decode.
Result<bool> clean_batches(std::span<const uint8_t> batches,
                           const RetentionContext& context,
                           std::vector<uint8_t>& out,
                           std::vector<CleanedBatch>* written,
                           CleanerStats& stats);

// The segments to rewrite together: consecutive runs whose .log bytes fit `max_size` and whose
// index entries fit `max_index_bytes`, each group spanning less than 2^31 offsets (Kafka's
// groupSegmentsBySize). Input and output are indexes into the segment list.
struct SegmentSize {
    int64_t base_offset = 0;
    int64_t log_bytes = 0;
    int64_t offset_index_bytes = 0;
    int64_t time_index_bytes = 0;
};
std::vector<std::vector<size_t>> group_segments_by_size(const std::vector<SegmentSize>& segments,
                                                        int64_t max_size,
                                                        int64_t max_index_bytes,
                                                        int64_t first_uncleanable_offset);

}  // namespace compaction

// ---- The cleaner -------------------------------------------------------------------------------

class LogCleaner {
public:
    // The offset the cleaner may not clean past (the partition's last stable offset, which is at
    // most its high watermark). Unset: the log end.
    using StableOffsetFn = std::function<int64_t()>;

    LogCleaner(LogCleanerConfig config, Clock clock = system_clock_ms);
    ~LogCleaner();
    LogCleaner(const LogCleaner&) = delete;
    LogCleaner& operator=(const LogCleaner&) = delete;

    // Starts the cleaner thread (no-op when log.cleaner.enable=false or already started).
    void start();
    // Stops them, aborting a cleaning in progress at its next check; the log keeps its old
    // segments. Idempotent.
    void stop();

    // Registers a log; only logs whose config has cleanup_compact are ever cleaned (the config is
    // re-read every pass, so a topic can be switched to compact later).
    void add_log(std::shared_ptr<Log> log, StableOffsetFn stable_offset = nullptr);
    // Unregisters it, waiting for a cleaning of it in progress to finish or abort, and drops its
    // checkpoint entry when `drop_checkpoint` (the partition is being deleted).
    void remove_log(const TopicPartition& tp, bool drop_checkpoint = false);

    // Kafka's abortAndPauseCleaning / resumeCleaning: call pause() before truncating or deleting
    // a registered log (it aborts a cleaning of it in progress, waits for it, and keeps the
    // cleaner away until the matching resume(); pauses nest).
    void pause(const TopicPartition& tp);
    void resume(const TopicPartition& tp);

    // After a truncation below the checkpointed first dirty offset (Kafka's
    // maybeTruncateCheckpoint): moves it down to `offset`.
    void truncate_checkpoint(const TopicPartition& tp, int64_t offset);

    // One synchronous pass: cleans the filthiest cleanable log, if any. Returns whether a log was
    // cleaned. Errors are returned (and the log marked uncleanable until re-added).
    Result<bool> clean_once();

    // Cleans `tp` now if it has anything cleanable, whatever its dirty ratio (tests, admin).
    Result<bool> clean_log(const TopicPartition& tp);

    // The first dirty offset of `tp` (its checkpoint), if known.
    std::optional<int64_t> first_dirty_offset(const TopicPartition& tp) const;

    LogCleanerStats stats() const;

    // The dirtiness of a log right now (Kafka's LogToClean), for tests and metrics.
    struct Dirtiness {
        int64_t first_dirty_offset = 0;
        int64_t first_uncleanable_offset = 0;  // a segment base: never inside a segment
        int64_t clean_bytes = 0;
        int64_t cleanable_bytes = 0;
        double ratio = 0;
        int64_t max_compaction_delay_ms = 0;  // > 0: max.compaction.lag.ms exceeded
    };
    std::optional<Dirtiness> dirtiness(const TopicPartition& tp);

private:
    struct Entry;
    struct Candidate {
        std::shared_ptr<Entry> entry;
        Dirtiness dirt;
    };

    void run();
    Result<Dirtiness> measure(Entry& entry, int64_t now_ms);
    Result<bool> clean_candidate(Candidate& candidate);
    Result<bool> do_clean(const Candidate& candidate, CleanerStats& stats, int64_t& end_offset);
    int64_t read_checkpoint(const Log& log) const;
    Result<bool> write_checkpoint(const Log& log, std::optional<int64_t> offset);
    std::map<TopicPartition, int64_t>& checkpoint_cache(const std::filesystem::path& log_dir) const;
    void throttle(int64_t bytes);

    LogCleanerConfig config_;
    Clock clock_;

    mutable std::mutex mu_;
    std::condition_variable cv_;  // entry state changes, stop requests
    std::map<TopicPartition, std::shared_ptr<Entry>> logs_;
    // cleaner-offset-checkpoint contents per log dir, guarded by clean_mu_.
    mutable std::map<std::filesystem::path, std::map<TopicPartition, int64_t>> checkpoints_;
    LogCleanerStats stats_;
    std::thread thread_;
    bool stopping_ = false;

    // One cleaning at a time: the offset map and buffers are the single thread's memory budget.
    mutable std::mutex clean_mu_;
    CleanerOffsetMap offset_map_;
    int64_t throttle_window_start_ns_ = 0;
    int64_t throttle_bytes_ = 0;
};

}  // namespace gregor::storage
