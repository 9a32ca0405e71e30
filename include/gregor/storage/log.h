#pragma once

// One partition's log in Apache Kafka's directory layout and file formats (docs/formats.md):
// `<dir>/<20-digit base offset>.log|.index|.timeindex` segments, `leader-epoch-checkpoint`,
// `partition.metadata`. Batches are stored exactly as they arrive on the wire (RecordBatch v2),
// so Fetch can send them with sendfile and Kafka's kafka-dump-log can read the files.
//
// Threads: every method may be called from any thread. Appends, truncation, rolling and segment
// deletion serialise on the log's mutex (held for the length of a page-cache write); reads take it
// only to find the segment and position, then return file slices that stay valid even if the
// segment is later deleted (the slices hold the file open).
//
// Invariants (asserted): log_start_offset <= recovery_point <= log_end_offset; segments are
// contiguous and ordered by base offset; the active (last) segment is the only one appended to.

#include "gregor/common/file_handle.h"
#include "gregor/storage/errors.h"
#include "gregor/storage/log_config.h"
#include "gregor/storage/producer_state.h"
#include "gregor/storage/topic_partition.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace gregor::storage {

class Segment;
class LeaderEpochCache;
class FileCache;

// Milliseconds since the epoch; injected so tests control time (retention, rolling, timestamps).
using Clock = std::function<int64_t()>;
int64_t system_clock_ms();

// What recovery found and cut off, for logs and tests (LevelDB's Reporter).
struct RecoveryReport {
    int64_t bytes_truncated = 0;   // bytes cut from the segment holding the first invalid batch
    int32_t segments_deleted = 0;  // later segments dropped after the cut
    int32_t indexes_rebuilt = 0;   // .index/.timeindex files rebuilt
    int64_t batches_validated = 0;
    int64_t bytes_validated = 0;
    std::string first_error;         // why the first invalid batch was invalid ("" when none)
    int32_t temp_files_deleted = 0;  // leftover .deleted/.cleaned/.swap/overlapped files removed
    int32_t swaps_completed = 0;     // .swap segments renamed live (an interrupted cleaner swap)
};

struct LogOpenOptions {
    LogConfig config;
    int64_t recovery_point = 0;       // from recovery-point-offset-checkpoint; 0 = scan everything
    int64_t log_start_offset = 0;     // from log-start-offset-checkpoint
    bool had_clean_shutdown = false;  // .kafka_cleanshutdown present: skip revalidation
    Clock clock = system_clock_ms;
    FileCache* files = nullptr;  // bounds open descriptors across logs; nullptr = unbounded
    int64_t producer_id_expiration_ms =
        kDefaultProducerIdExpirationMs;  // producer.id.expiration.ms
};

struct AppendInfo {
    int64_t first_offset = -1;
    int64_t last_offset = -1;
    int64_t max_timestamp = -1;
    int64_t offset_of_max_timestamp = -1;
    int64_t log_append_time_ms = -1;  // set when message.timestamp.type=LogAppendTime
    int64_t log_start_offset = 0;
    int32_t batches = 0;
    int64_t bytes = 0;
    // A retried idempotent batch already in the log: nothing was written; first/last offset are
    // where it was written and log_append_time_ms its timestamp then (Kafka answers so).
    bool duplicate = false;
};

// The bytes a read returns: whole batches, as file slices ready for sendfile.
struct ReadResult {
    int64_t start_offset = -1;        // the requested offset
    int64_t first_batch_offset = -1;  // base offset of the first batch returned (<= start_offset)
    std::vector<FileSlice> slices;
    int64_t bytes = 0;
};

struct TimestampOffset {
    int64_t timestamp = -1;
    int64_t offset = -1;
};

class Log {
public:
    // Opens (creating when absent) the log in `dir`, running recovery when the last shutdown was
    // not clean: every segment from the recovery point on is revalidated, the log is cut at the
    // first invalid byte and later segments are dropped, indexes are rebuilt, and leftover
    // .cleaned/.swap/.deleted files are resolved.
    static Result<std::unique_ptr<Log>> open(const std::filesystem::path& dir,
                                             TopicPartition tp,
                                             LogOpenOptions options,
                                             RecoveryReport* report = nullptr);
    ~Log();
    Log(const Log&) = delete;
    Log& operator=(const Log&) = delete;

    // A producer's batches (a Produce request's records): every batch is validated (framing,
    // magic 2, CRC-32C, record count, max.message.bytes) before any is written; then offsets are
    // assigned from the log end, the leader epoch stamped, LogAppendTime applied if configured,
    // and all batches written with one write. All or nothing.
    // Batches with a producer id are checked against the producer state first (Kafka's
    // ProducerAppendInfo): a sequence gap fails with out_of_order_sequence, an older epoch with
    // invalid_producer_epoch, and a retry of one of the producer's last 5 batches succeeds with
    // `duplicate` set and the offsets it was written at, writing nothing.
    Result<AppendInfo> append_as_leader(std::span<const uint8_t> batches, int32_t leader_epoch);
    // The same, patching the caller's bytes in place instead of a copy (base offsets, leader
    // epoch, and for LogAppendTime the max timestamp and CRC), as Kafka's LogValidator does with
    // a Produce request's buffer. The produce path owns its request buffer and uses this one.
    // The buffer may be patched even when the append fails or is a duplicate.
    Result<AppendInfo> append_as_leader_in_place(std::span<uint8_t> batches, int32_t leader_epoch);

    // Batches whose offsets are already assigned (a follower's fetch, internal topics): offsets
    // must start at the log end and increase. Producer state is updated without checks.
    Result<AppendInfo> append_as_follower(std::span<const uint8_t> batches);

    // Whole batches starting with the one containing `offset`, up to `max_bytes` (at least one
    // batch when `min_one_batch`, whatever its size) and not past `max_offset` (exclusive; the
    // high watermark for consumers, log_end_offset() for followers). OFFSET_OUT_OF_RANGE below the
    // log start or above the log end; empty at the log end.
    Result<ReadResult> read(int64_t offset,
                            int32_t max_bytes,
                            int64_t max_offset,
                            bool min_one_batch) const;

    // The first offset whose batch max timestamp is >= `timestamp` (ListOffsets by time).
    Result<std::optional<TimestampOffset>> offset_for_timestamp(int64_t timestamp) const;
    // The offset and timestamp of the record with the largest timestamp (ListOffsets -3).
    TimestampOffset max_timestamp() const;

    int64_t log_start_offset() const;
    int64_t log_end_offset() const;
    int64_t recovery_point() const;  // everything below it is flushed to disk
    int64_t size_bytes() const;
    int32_t segment_count() const;
    const TopicPartition& topic_partition() const;
    const std::filesystem::path& dir() const;
    LogConfig config() const;
    void update_config(const LogConfig& config);
    LeaderEpochCache& leader_epochs();
    FileCache* file_cache() const;  // what segments of this log register with (cleaner output)
    // The producers with state in this partition (DescribeProducers).
    std::vector<ActiveProducer> active_producers() const;
    // Forgets producers idle for producer.id.expiration.ms; returns how many.
    size_t remove_expired_producers();
    // Retention never deletes a segment holding offsets at or above the high watermark (Kafka's
    // deleteOldSegments guard). Until set, the log end offset is used.
    void set_high_watermark(int64_t high_watermark);

    // fdatasync every segment below `offset` (and its indexes) and advance the recovery point.
    Result<int64_t> flush(int64_t offset);
    // Rolls the active segment when it is due (segment.bytes, segment.ms with jitter, a full
    // index, relative offsets about to overflow) or when `force`.
    Result<bool> maybe_roll(bool force = false);

    // DeleteRecords: raises the log start offset (never past the high watermark the caller
    // checked); whole segments below it become deletable.
    Result<int64_t> increment_log_start_offset(int64_t new_start);
    // Retention by retention.ms, retention.bytes and the log start offset (cleanup.policy has
    // delete): deletable segments are renamed .deleted and removed file.delete.delay.ms later.
    // Never deletes the active segment if it holds data... unless empty. Returns segments deleted.
    Result<int32_t> delete_retained_segments();
    // Removes .deleted files whose delay has passed.
    void purge_deleted_files();

    // Cuts the log to end at `offset` (follower truncation); a no-op if already shorter.
    Result<bool> truncate_to(int64_t offset);
    // Deletes everything and restarts the log empty at `offset`.
    Result<bool> truncate_fully_and_start_at(int64_t offset);

    // Flushes indexes, trims preallocated index files to their entries, closes files. Later calls
    // fail with Errc::closed.
    void close();
    // Closes and deletes every file and the directory.
    Result<bool> remove();

    // For the cleaner and tools: the segments, oldest first (shared: still valid after deletion).
    std::vector<std::shared_ptr<Segment>> segments() const;
    // The cleaner's swap: replaces `old_segments` (contiguous) with `cleaned` crash-safely
    // (.cleaned → .swap → live, as Kafka's LogCleaner).
    Result<bool> replace_segments(std::vector<std::shared_ptr<Segment>> cleaned,
                                  const std::vector<std::shared_ptr<Segment>>& old_segments);

private:
    struct Impl;
    // What both appends do once their batches are written: the epoch checkpoint, flush.messages.
    Result<AppendInfo> after_append(Result<AppendInfo> result, const LogConfig& config);
    explicit Log(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace gregor::storage
