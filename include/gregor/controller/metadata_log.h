#pragma once

// The replicated log of metadata records (`__cluster_metadata`), behind an interface so the
// single-voter log of this issue can be replaced by a Raft quorum without changing its callers.
// A record batch appended here is atomic: all of its records are committed, or none.

#include "gregor/common/result.h"
#include "gregor/controller/snapshot.h"
#include "gregor/metadata/record_serde.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace gregor::storage {
class Log;
}

namespace gregor::controller {

using RecordVisitor =
    std::function<bool(int64_t offset, const metadata::ApiMessageAndVersion& record)>;

class MetadataLog {
public:
    virtual ~MetadataLog() = default;

    // Appends `records` as one batch and returns the offset of the last one once committed
    // (single voter: durably appended). The error says why nothing was appended.
    virtual result<int64_t, std::string> append(
        std::span<const metadata::ApiMessageAndVersion> records) = 0;

    // Feeds every committed record, oldest first, to `visit`; stops when it returns false. The
    // error names the first record that could not be read.
    result<int64_t, std::string> replay(const RecordVisitor& visit) const {
        return replay_from(0, visit);
    }
    // Like replay(), from the record at `from` on (the end offset of a loaded snapshot). An
    // error when records at or after `from` are no longer in the log.
    virtual result<int64_t, std::string> replay_from(int64_t from,
                                                     const RecordVisitor& visit) const = 0;

    // The offset the next record gets.
    virtual int64_t end_offset() const = 0;

    // Snapshots of the replayed state (snapshot.h). `records` rebuild the image of every record
    // below `end_offset`; the snapshot is durable when this returns. Then all but the newest
    // `policy.retained` snapshots are deleted, and log records below the oldest kept snapshot when
    // the log is past `policy`'s retention.
    virtual result<SnapshotId, std::string> write_snapshot(
        int64_t end_offset,
        int64_t last_contained_log_timestamp,
        std::span<const metadata::ApiMessageAndVersion> records,
        const SnapshotPolicy& policy) = 0;
    // The complete snapshots, oldest first.
    virtual std::vector<SnapshotId> snapshots() const = 0;
    // One snapshot's records; the error says why it cannot be used (CRC, header, footer).
    virtual result<DecodedSnapshot, std::string> read_snapshot(SnapshotId id) const = 0;

    virtual void close() {}
};

// Records in memory, for tests.
class MemoryMetadataLog final : public MetadataLog {
public:
    result<int64_t, std::string> append(
        std::span<const metadata::ApiMessageAndVersion> records) override;
    result<int64_t, std::string> replay_from(int64_t from,
                                             const RecordVisitor& visit) const override;
    int64_t end_offset() const override { return static_cast<int64_t>(records_.size()); }
    result<SnapshotId, std::string> write_snapshot(
        int64_t end_offset,
        int64_t last_contained_log_timestamp,
        std::span<const metadata::ApiMessageAndVersion> records,
        const SnapshotPolicy& policy) override;
    std::vector<SnapshotId> snapshots() const override;
    result<DecodedSnapshot, std::string> read_snapshot(SnapshotId id) const override;

    // Fails every later append (tests of a log that stops accepting writes).
    void fail_appends(bool fail) { fail_ = fail; }
    // The encoded snapshot files, for tests that inspect or corrupt them.
    std::map<SnapshotId, std::vector<uint8_t>>& snapshot_bytes() { return snapshots_; }

private:
    std::vector<metadata::ApiMessageAndVersion> records_;
    std::map<SnapshotId, std::vector<uint8_t>> snapshots_;
    bool fail_ = false;
};

// The single-voter log: record batches v2 in a storage Log at `<dir>/__cluster_metadata-0`
// (Kafka's segment format, readable by kafka-dump-log --cluster-metadata-decoder), each batch
// flushed to disk before append() returns. Snapshots are `.checkpoint` files in the same
// directory; opening the log deletes leftover `.checkpoint.part` files.
class LocalMetadataLog final : public MetadataLog {
public:
    static constexpr const char* kTopic = "__cluster_metadata";
    // The epoch stamped on every batch while there is one voter (Raft's first elected epoch).
    static constexpr int32_t kEpoch = 1;

    static result<std::unique_ptr<LocalMetadataLog>, std::string> open(
        const std::filesystem::path& dir, int32_t segment_bytes, int64_t segment_ms);
    ~LocalMetadataLog() override;

    result<int64_t, std::string> append(
        std::span<const metadata::ApiMessageAndVersion> records) override;
    result<int64_t, std::string> replay_from(int64_t from,
                                             const RecordVisitor& visit) const override;
    int64_t end_offset() const override;
    result<SnapshotId, std::string> write_snapshot(
        int64_t end_offset,
        int64_t last_contained_log_timestamp,
        std::span<const metadata::ApiMessageAndVersion> records,
        const SnapshotPolicy& policy) override;
    std::vector<SnapshotId> snapshots() const override;
    result<DecodedSnapshot, std::string> read_snapshot(SnapshotId id) const override;
    void close() override;

    const std::filesystem::path& dir() const;
    int64_t start_offset() const;

private:
    explicit LocalMetadataLog(std::unique_ptr<storage::Log> log);
    // Moves the log start to the oldest snapshot and deletes the segments below it, once the log
    // is past the retention bytes or age.
    void delete_snapshotted_segments(const SnapshotPolicy& policy);
    std::unique_ptr<storage::Log> log_;
};

}  // namespace gregor::controller
