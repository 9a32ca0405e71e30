#pragma once

// Metadata snapshots in Kafka's format (raft's Snapshots, RecordsSnapshotWriter and
// FileRawSnapshotWriter): `<20-digit end offset>-<10-digit epoch>.checkpoint` in the metadata log
// directory, holding record batches v2 whose offsets count from 0: a control batch with the
// SnapshotHeaderRecord, data batches with the metadata records, then a control batch with the
// SnapshotFooterRecord. A snapshot is written to a `.checkpoint.part` file that is fsynced and
// renamed into place, so a crash leaves either the whole snapshot or none. The end offset is the
// offset of the first log record the snapshot does not contain.

#include "gregor/common/result.h"
#include "gregor/metadata/record_serde.h"

#include <compare>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gregor::controller {

struct SnapshotId {
    int64_t end_offset = 0;
    int32_t epoch = 0;
    auto operator<=>(const SnapshotId&) const = default;
};

inline constexpr std::string_view kSnapshotSuffix = ".checkpoint";
inline constexpr std::string_view kPartialSnapshotSuffix = ".checkpoint.part";
inline constexpr std::string_view kDeletedSnapshotSuffix = ".checkpoint.deleted";

// What the controller's snapshot generator follows (Kafka's SnapshotGenerator).
struct SnapshotPolicy {
    // metadata.log.max.record.bytes.between.snapshots: bytes of new records (their serialized
    // values) after which a snapshot is taken.
    int64_t max_bytes_between = 20971520;
    // metadata.log.max.snapshot.interval.ms: a snapshot is also taken at the first commit this
    // long after the previous one. 0 disables the time trigger.
    int64_t max_interval_ms = 3600000;
    // How many complete snapshots are kept; older ones are deleted after a new one is written.
    size_t retained = 2;
    // metadata.max.retention.bytes / metadata.max.retention.ms: once the metadata log is larger, or
    // its oldest segment older, the log start moves up to the oldest kept snapshot and the
    // segments wholly below it are deleted. -1: no limit.
    int64_t retention_bytes = 104857600;
    int64_t retention_ms = 604800000;
};

// "00000000000000001234-0000000001.checkpoint".
std::string snapshot_file_name(SnapshotId id);
// The id of a complete snapshot file's name; nullopt for anything else (.part files included).
std::optional<SnapshotId> parse_snapshot_file_name(std::string_view name);

// The snapshot file's bytes: header, `records` in batches of at most `max_batch_bytes` of record
// values each, footer. Every batch carries `id.epoch` as its partition leader epoch. Empty when a
// batch would not fit a record batch's int32 length.
std::vector<uint8_t> encode_snapshot(SnapshotId id,
                                     int64_t last_contained_log_timestamp,
                                     int64_t now_ms,
                                     std::span<const metadata::ApiMessageAndVersion> records,
                                     size_t max_batch_bytes = 1024 * 1024);

struct DecodedSnapshot {
    int64_t last_contained_log_timestamp = -1;
    std::vector<metadata::ApiMessageAndVersion> records;
};

// Checks every batch's CRC, that the first batch holds the header and the last the footer, that
// nothing follows the footer and that every record decodes. The error says what was wrong.
result<DecodedSnapshot, std::string> decode_snapshot(std::span<const uint8_t> bytes);

// ---- Files in a metadata log directory ----

// The complete snapshots in `dir`, oldest first.
std::vector<SnapshotId> list_snapshots(const std::filesystem::path& dir);

// Writes `bytes` as the snapshot `id` atomically: a unique `.checkpoint.part` file, fsynced,
// renamed to its final name, then the directory fsynced. The part file is removed on failure.
result<std::filesystem::path, std::string> write_snapshot_file(const std::filesystem::path& dir,
                                                               SnapshotId id,
                                                               std::span<const uint8_t> bytes);

// Reads and decodes the snapshot `id` of `dir`.
result<DecodedSnapshot, std::string> read_snapshot_file(const std::filesystem::path& dir,
                                                        SnapshotId id);

// Deletes leftovers of interrupted writes and deletions (.checkpoint.part, .checkpoint.deleted),
// as Kafka does when it opens the metadata log. Returns how many were deleted.
int remove_partial_snapshots(const std::filesystem::path& dir);

// Deletes all but the newest `keep` complete snapshots. Returns the ids deleted.
std::vector<SnapshotId> delete_old_snapshots(const std::filesystem::path& dir, size_t keep);

}  // namespace gregor::controller
