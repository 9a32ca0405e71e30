#pragma once

// The small text files Apache Kafka keeps beside its segments (docs/formats.md), read and written
// exactly as Kafka's CheckpointFile, OffsetCheckpointFile, PartitionMetadataFile and
// CleanShutdownFileHandler do, so a Kafka broker and kafka-dump-log accept our directories:
//
//   <log.dir>/recovery-point-offset-checkpoint   version 0, count, "topic partition offset" lines
//   <log.dir>/log-start-offset-checkpoint         "
//   <log.dir>/replication-offset-checkpoint       "  (high watermarks)
//   <log.dir>/cleaner-offset-checkpoint           "  (first dirty offset per compacted log)
//   <log.dir>/.kafka_cleanshutdown                present only between a clean stop and the next
//   start <partition dir>/partition.metadata            "version: 0\ntopic_id: <base64url uuid>"
//   <partition dir>/leader-epoch-checkpoint       version 0, count, "epoch startOffset" lines
//
// Every write is atomic: the contents go to "<file>.tmp", which is fsynced, renamed over the file,
// and the directory fsynced, so a crash leaves either the old or the new file (a leftover .tmp is
// ignored and overwritten by the next write). Reads of a missing file give "empty"; a malformed
// file gives Errc::corruption naming the file and the offending line; a failed system call gives
// Errc::io_error. Stateless functions: safe from any thread, but two writers of one file must be
// serialised by the caller.

#include "gregor/protocol/wire.h"
#include "gregor/storage/errors.h"
#include "gregor/storage/topic_partition.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gregor::storage {

// File names, as Kafka spells them (LogManager, CleanShutdownFileHandler, PartitionMetadataFile,
// LeaderEpochCheckpointFile).
inline constexpr std::string_view kRecoveryPointCheckpointFile = "recovery-point-offset-checkpoint";
inline constexpr std::string_view kLogStartOffsetCheckpointFile = "log-start-offset-checkpoint";
inline constexpr std::string_view kReplicationOffsetCheckpointFile =
    "replication-offset-checkpoint";
inline constexpr std::string_view kCleanerOffsetCheckpointFile = "cleaner-offset-checkpoint";
inline constexpr std::string_view kCleanShutdownFile = ".kafka_cleanshutdown";
inline constexpr std::string_view kPartitionMetadataFile = "partition.metadata";
inline constexpr std::string_view kLeaderEpochCheckpointFile = "leader-epoch-checkpoint";
inline constexpr std::string_view kTmpSuffix = ".tmp";

// The only checkpoint version Kafka writes (CheckpointFile's version line).
inline constexpr int32_t kCheckpointVersion = 0;

using OffsetMap = std::map<TopicPartition, int64_t>;

// ---- Generic helpers --------------------------------------------------------------------------

// fsync(2) on a directory, making a rename or create inside it durable.
Result<bool> fsync_dir(const std::filesystem::path& dir);

// Writes `contents` to `<file>.tmp`, fsyncs it, renames it over `file` and fsyncs the directory.
Result<bool> write_file_atomically(const std::filesystem::path& file, std::string_view contents);

// The entry lines of a Kafka checkpoint file (CheckpointFile.CheckpointReadBuffer): the first
// line must be `expected_version`, the second a count, then exactly that many lines. An empty
// file, or one holding only the version line, has no entries (as in Kafka). Missing file:
// `nullopt`. Lines are returned without their line terminator ("\n" or "\r\n").
Result<std::optional<std::vector<std::string>>> read_checkpoint_lines(
    const std::filesystem::path& file, int32_t expected_version = kCheckpointVersion);

// Writes version, count and `lines` atomically.
Result<bool> write_checkpoint_lines(const std::filesystem::path& file,
                                    const std::vector<std::string>& lines,
                                    int32_t version = kCheckpointVersion);

// Splits on runs of spaces and tabs (Kafka splits entries on "\\s+").
std::vector<std::string_view> split_whitespace(std::string_view line);

// ---- Offset checkpoints (OffsetCheckpointFile) ------------------------------------------------

// A missing file reads as an empty map.
Result<OffsetMap> read_offset_checkpoint(const std::filesystem::path& file);
Result<bool> write_offset_checkpoint(const std::filesystem::path& file, const OffsetMap& offsets);

// ---- partition.metadata (PartitionMetadataFile) -----------------------------------------------

// The topic id in `<partition_dir>/partition.metadata`; nullopt when the file is absent.
// Corruption when malformed, of a version below 0, or holding the zero UUID (as Kafka).
Result<std::optional<protocol::Uuid>> read_partition_metadata(
    const std::filesystem::path& partition_dir);
Result<bool> write_partition_metadata(const std::filesystem::path& partition_dir,
                                      const protocol::Uuid& topic_id);

// ---- .kafka_cleanshutdown (CleanShutdownFileHandler) ------------------------------------------

// Kafka 3.7+ writes {"version":0,"brokerEpoch":N}; older brokers an empty file. Only presence
// matters for recovery; the broker epoch is for KIP-966's unclean-shutdown detection.
bool clean_shutdown_marker_exists(const std::filesystem::path& log_dir);
Result<bool> write_clean_shutdown_marker(const std::filesystem::path& log_dir,
                                         int64_t broker_epoch = -1);
// Deletes the marker (no error when absent) and fsyncs the directory.
Result<bool> remove_clean_shutdown_marker(const std::filesystem::path& log_dir);
// The broker epoch stored in the marker; nullopt when absent, empty or unparsable.
std::optional<int64_t> read_clean_shutdown_broker_epoch(const std::filesystem::path& log_dir);

// ---- Partition directory names (LogFileUtils / UnifiedLog) ------------------------------------

inline constexpr std::string_view kDeleteDirSuffix = "-delete";
inline constexpr std::string_view kFutureDirSuffix = "-future";
inline constexpr std::string_view kStrayDirSuffix = "-stray";

// "<topic>-<partition>.<32 hex uuid>-delete", the topic cut so the name fits in 255 bytes (as
// UnifiedLog.logDeleteDirName).
std::string delete_dir_name(const TopicPartition& tp);

}  // namespace gregor::storage
