#pragma once

// The settings of one partition's log: Kafka's topic configs (names in comments), with Kafka's
// defaults. The broker builds one from the topic's configs over the broker defaults.

#include <cstdint>
#include <string>

namespace gregor::storage {

enum class TimestampType : uint8_t { create_time, log_append_time };

struct LogConfig {
    int32_t segment_bytes = 1073741824;         // segment.bytes
    int64_t segment_ms = 604800000;             // segment.ms (log.roll.ms / log.roll.hours)
    int64_t segment_jitter_ms = 0;              // segment.jitter.ms
    int32_t segment_index_bytes = 10485760;     // segment.index.bytes (log.index.size.max.bytes)
    int32_t index_interval_bytes = 4096;        // index.interval.bytes
    int64_t retention_ms = 604800000;           // retention.ms; -1 = keep forever
    int64_t retention_bytes = -1;               // retention.bytes; -1 = no size limit
    bool cleanup_delete = true;                 // cleanup.policy contains "delete"
    bool cleanup_compact = false;               // cleanup.policy contains "compact"
    double min_cleanable_dirty_ratio = 0.5;     // min.cleanable.dirty.ratio
    int64_t min_compaction_lag_ms = 0;          // min.compaction.lag.ms
    int64_t max_compaction_lag_ms = INT64_MAX;  // max.compaction.lag.ms
    int64_t delete_retention_ms = 86400000;     // delete.retention.ms (tombstones)
    int64_t file_delete_delay_ms = 60000;       // file.delete.delay.ms
    int64_t flush_messages = INT64_MAX;         // flush.messages
    int64_t flush_ms = INT64_MAX;               // flush.ms
    int32_t max_message_bytes = 1048588;        // max.message.bytes
    TimestampType timestamp_type = TimestampType::create_time;  // message.timestamp.type
    int64_t timestamp_before_max_ms = INT64_MAX;                // message.timestamp.before.max.ms
    int64_t timestamp_after_max_ms = 3600000;                   // message.timestamp.after.max.ms
    bool preallocate = false;                                   // preallocate
    // compression.type: -1 keeps the producer's codec ("producer"), else the codec id batches
    // are recompressed to (0 = "uncompressed"); applied by the produce path.
    int8_t compression_type = -1;
    // min.insync.replicas: the ISR size acks=-1 appends need (checked by the partition).
    int32_t min_insync_replicas = 1;
};

}  // namespace gregor::storage
