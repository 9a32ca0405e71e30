#include "gregor/controller/metadata_log.h"

#include "gregor/common/logging.h"
#include "gregor/protocol/record_batch.h"
#include "gregor/storage/log.h"
#include "gregor/storage/segment.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace gregor::controller {

namespace {

// KafkaRaftClient's MAX_BATCH_SIZE_BYTES: the largest metadata batch.
constexpr int32_t kMaxBatchBytes = 8 * 1024 * 1024;

std::vector<uint8_t> build_batch(std::span<const metadata::ApiMessageAndVersion> records,
                                 int32_t epoch) {
    protocol::BatchOptions options;
    options.partition_leader_epoch = epoch;
    protocol::RecordBatchBuilder builder(options);
    const int64_t now = storage::system_clock_ms();
    std::vector<std::vector<uint8_t>> values;
    values.reserve(records.size());
    for (const auto& r : records) {
        values.push_back(metadata::serialize(r));
        protocol::RecordInput in;
        in.timestamp = now;
        in.value = std::span<const uint8_t>(values.back());
        builder.append(in);
    }
    std::vector<uint8_t> out;
    if (builder.build(out) != protocol::BuildError::kOk) {
        out.clear();
    }
    return out;
}

bool pread_all(int fd, uint64_t offset, uint8_t* out, size_t n) {
    while (n > 0) {
        ssize_t got = ::pread(fd, out, n, static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return false;
        }
        out += got;
        n -= static_cast<size_t>(got);
        offset += static_cast<uint64_t>(got);
    }
    return true;
}

}  // namespace

result<int64_t, std::string> MemoryMetadataLog::append(
    std::span<const metadata::ApiMessageAndVersion> records) {
    if (fail_) {
        return unexpected<std::string>("the metadata log refuses appends");
    }
    records_.insert(records_.end(), records.begin(), records.end());
    return static_cast<int64_t>(records_.size()) - 1;
}

result<int64_t, std::string> MemoryMetadataLog::replay_from(int64_t from,
                                                            const RecordVisitor& visit) const {
    int64_t offset = std::max<int64_t>(from, 0);
    for (; offset < end_offset(); ++offset) {
        if (!visit(offset, records_[static_cast<size_t>(offset)])) {
            break;
        }
    }
    return offset;
}

result<SnapshotId, std::string> MemoryMetadataLog::write_snapshot(
    int64_t end_offset,
    int64_t last_contained_log_timestamp,
    std::span<const metadata::ApiMessageAndVersion> records,
    const SnapshotPolicy& policy) {
    const SnapshotId id{end_offset, LocalMetadataLog::kEpoch};
    auto bytes =
        encode_snapshot(id, last_contained_log_timestamp, storage::system_clock_ms(), records);
    if (bytes.empty()) {
        return unexpected<std::string>("the snapshot does not fit record batches");
    }
    snapshots_[id] = std::move(bytes);
    while (snapshots_.size() > policy.retained) {
        snapshots_.erase(snapshots_.begin());
    }
    return id;
}

std::vector<SnapshotId> MemoryMetadataLog::snapshots() const {
    std::vector<SnapshotId> ids;
    for (const auto& [id, bytes] : snapshots_) {
        ids.push_back(id);
    }
    return ids;
}

result<DecodedSnapshot, std::string> MemoryMetadataLog::read_snapshot(SnapshotId id) const {
    auto it = snapshots_.find(id);
    if (it == snapshots_.end()) {
        return unexpected<std::string>("no such snapshot");
    }
    return decode_snapshot(it->second);
}

LocalMetadataLog::LocalMetadataLog(std::unique_ptr<storage::Log> log) : log_(std::move(log)) {}

LocalMetadataLog::~LocalMetadataLog() {
    close();
}

result<std::unique_ptr<LocalMetadataLog>, std::string> LocalMetadataLog::open(
    const std::filesystem::path& dir, int32_t segment_bytes, int64_t segment_ms) {
    storage::LogOpenOptions options;
    options.config.segment_bytes = segment_bytes;
    options.config.segment_ms = segment_ms;
    options.config.max_message_bytes = kMaxBatchBytes;
    // Plain retention never deletes metadata records: only segments below the oldest snapshot go
    // (delete_snapshotted_segments), and at once.
    options.config.retention_ms = -1;
    options.config.retention_bytes = -1;
    options.config.file_delete_delay_ms = 0;
    auto opened = storage::Log::open(dir / (std::string(kTopic) + "-0"),
                                     storage::TopicPartition{kTopic, 0}, options);
    if (!opened) {
        return unexpected<std::string>(fmt::format("cannot open the metadata log in {}: {}",
                                                   dir.string(), opened.error().message));
    }
    // KafkaMetadataLog.apply: unfinished snapshot writes and deletions are dropped at open.
    remove_partial_snapshots((*opened)->dir());
    return std::unique_ptr<LocalMetadataLog>(new LocalMetadataLog(std::move(*opened)));
}

result<int64_t, std::string> LocalMetadataLog::append(
    std::span<const metadata::ApiMessageAndVersion> records) {
    if (records.empty()) {
        return log_->log_end_offset() - 1;
    }
    auto batch = build_batch(records, kEpoch);
    if (batch.empty()) {
        return unexpected<std::string>("metadata batch too large");
    }
    auto info = log_->append_as_leader(batch, kEpoch);
    if (!info) {
        return unexpected<std::string>(
            fmt::format("metadata log append failed: {}", info.error().message));
    }
    // Committed = durably appended while this node is the only voter.
    auto flushed = log_->flush(info->last_offset + 1);
    if (!flushed) {
        return unexpected<std::string>(
            fmt::format("metadata log flush failed: {}", flushed.error().message));
    }
    return info->last_offset;
}

result<int64_t, std::string> LocalMetadataLog::replay_from(int64_t from,
                                                           const RecordVisitor& visit) const {
    int64_t offset = std::max<int64_t>(from, 0);
    const int64_t end = log_->log_end_offset();
    if (offset < log_->log_start_offset()) {
        return unexpected<std::string>(
            fmt::format("metadata log records from {} are gone: the log starts at {}", offset,
                        log_->log_start_offset()));
    }
    std::vector<uint8_t> buf;
    std::vector<uint8_t> scratch;
    while (offset < end) {
        auto read = log_->read(offset, kMaxBatchBytes, end, true);
        if (!read) {
            return unexpected<std::string>(
                fmt::format("metadata log read at {} failed: {}", offset, read.error().message));
        }
        if (read->slices.empty()) {
            break;
        }
        buf.clear();
        for (const auto& s : read->slices) {
            const size_t at = buf.size();
            buf.resize(at + s.length);
            if (!pread_all(s.file->fd(), s.offset, buf.data() + at, s.length)) {
                return unexpected<std::string>(fmt::format("metadata log read at {} failed: {}",
                                                           offset, std::strerror(errno)));
            }
        }
        protocol::BatchSplitter splitter(buf);
        int64_t next = offset;
        while (auto batch = splitter.next()) {
            next = batch->next_offset();
            if (batch->is_control()) {
                continue;  // Raft's control records (leader change, snapshot markers)
            }
            auto records = batch->records(scratch, kMaxBatchBytes * 4);
            if (!records) {
                return unexpected<std::string>(
                    fmt::format("unreadable metadata batch at {}", batch->base_offset()));
            }
            while (auto rec = records->next()) {
                const int64_t rec_offset = batch->record_offset(*rec);
                if (rec_offset < offset) {
                    continue;
                }
                if (!rec->value) {
                    return unexpected<std::string>(
                        fmt::format("metadata record at {} has no value", rec_offset));
                }
                auto decoded = metadata::deserialize(*rec->value);
                if (!decoded.ok) {
                    return unexpected<std::string>(
                        fmt::format("metadata record at {}: {}", rec_offset, decoded.error));
                }
                if (!visit(rec_offset, decoded.record)) {
                    return rec_offset;
                }
            }
            if (records->error() != protocol::BatchError::kOk) {
                return unexpected<std::string>(
                    fmt::format("malformed record in metadata batch at {}", batch->base_offset()));
            }
        }
        if (next <= offset) {
            return unexpected<std::string>(fmt::format("metadata log stuck at {}", offset));
        }
        offset = next;
    }
    return offset;
}

int64_t LocalMetadataLog::end_offset() const {
    return log_->log_end_offset();
}

const std::filesystem::path& LocalMetadataLog::dir() const {
    return log_->dir();
}

result<SnapshotId, std::string> LocalMetadataLog::write_snapshot(
    int64_t end_offset,
    int64_t last_contained_log_timestamp,
    std::span<const metadata::ApiMessageAndVersion> records,
    const SnapshotPolicy& policy) {
    const SnapshotId id{end_offset, kEpoch};
    auto bytes =
        encode_snapshot(id, last_contained_log_timestamp, storage::system_clock_ms(), records);
    if (bytes.empty()) {
        return unexpected<std::string>("the snapshot does not fit record batches");
    }
    auto written = write_snapshot_file(dir(), id, bytes);
    if (!written) {
        return unexpected<std::string>(written.error());
    }
    delete_old_snapshots(dir(), policy.retained);
    delete_snapshotted_segments(policy);
    return id;
}

int64_t LocalMetadataLog::start_offset() const {
    return log_->log_start_offset();
}

void LocalMetadataLog::delete_snapshotted_segments(const SnapshotPolicy& policy) {
    const auto ids = list_snapshots(dir());
    if (ids.empty() || ids.front().end_offset <= log_->log_start_offset()) {
        return;
    }
    const auto segments = log_->segments();
    const bool over_bytes =
        policy.retention_bytes >= 0 && log_->size_bytes() > policy.retention_bytes;
    const bool over_age =
        policy.retention_ms >= 0 && !segments.empty()
        && storage::system_clock_ms() - segments.front()->largest_timestamp() > policy.retention_ms;
    if (!over_bytes && !over_age) {
        return;
    }
    const auto& log = log::get("controller");
    auto moved = log_->increment_log_start_offset(ids.front().end_offset);
    if (!moved) {
        log->warn("cannot move the metadata log start to {}: {}", ids.front().end_offset,
                  moved.error().message);
        return;
    }
    auto deleted = log_->delete_retained_segments();
    if (!deleted) {
        log->warn("cannot delete snapshotted metadata log segments: {}", deleted.error().message);
        return;
    }
    log->info("metadata log start moved to {} (the oldest snapshot); {} segments deleted", *moved,
              *deleted);
}

std::vector<SnapshotId> LocalMetadataLog::snapshots() const {
    return list_snapshots(dir());
}

result<DecodedSnapshot, std::string> LocalMetadataLog::read_snapshot(SnapshotId id) const {
    return read_snapshot_file(dir(), id);
}

void LocalMetadataLog::close() {
    if (log_) {
        log_->close();
    }
}

}  // namespace gregor::controller
