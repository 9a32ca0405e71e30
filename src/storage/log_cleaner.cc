#include "gregor/storage/log_cleaner.h"

#include "gregor/common/assert.h"
#include "gregor/common/logging.h"
#include "gregor/protocol/record_batch.h"
#include "gregor/storage/checkpoint.h"
#include "gregor/storage/offset_index.h"
#include "gregor/storage/segment.h"
#include "gregor/storage/time_index.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <utility>

namespace gregor::storage {

namespace L = protocol::batch_layout;
using protocol::BatchSplitter;
using protocol::RecordBatchView;

void CleanerStats::add(const CleanerStats& o) {
    bytes_read += o.bytes_read;
    bytes_written += o.bytes_written;
    map_bytes_read += o.map_bytes_read;
    map_records_read += o.map_records_read;
    records_read += o.records_read;
    records_written += o.records_written;
    records_removed += o.records_removed;
    invalid_records += o.invalid_records;
    batches_removed += o.batches_removed;
    batches_emptied += o.batches_emptied;
    tombstones_horizoned += o.tombstones_horizoned;
    buffer_utilization = std::max(buffer_utilization, o.buffer_utilization);
}

namespace compaction {

namespace {

int64_t saturating_add(int64_t a, int64_t b) {
    if (b > 0 && a > std::numeric_limits<int64_t>::max() - b) {
        return std::numeric_limits<int64_t>::max();
    }
    if (b < 0 && a < std::numeric_limits<int64_t>::min() - b) {
        return std::numeric_limits<int64_t>::min();
    }
    return a + b;
}

void store_be64(uint8_t* p, int64_t value) {
    auto v = static_cast<uint64_t>(value);
    for (int i = 7; i >= 0; --i) {
        p[i] = static_cast<uint8_t>(v & 0xff);
        v >>= 8;
    }
}

unexpected<Error> corrupt_batch(const RecordBatchView& batch, protocol::BatchError e) {
    return fail(Errc::corruption, "batch at offset " + std::to_string(batch.base_offset())
                                      + " does not decode: " + std::string(protocol::to_string(e)));
}

unexpected<Error> corrupt_framing(protocol::BatchError e, size_t position) {
    return fail(Errc::corruption,
                "invalid batch at byte " + std::to_string(position)
                    + " of a cleaner read: " + std::string(protocol::to_string(e)));
}

void copy_batch(const RecordBatchView& batch,
                std::vector<uint8_t>& out,
                std::vector<CleanedBatch>* written,
                CleanerStats& stats) {
    const size_t position = out.size();
    out.insert(out.end(), batch.bytes().begin(), batch.bytes().end());
    stats.bytes_written += static_cast<int64_t>(batch.size_bytes());
    if (written != nullptr) {
        written->push_back(CleanedBatch{position, batch.size_bytes(), batch.base_offset(),
                                        batch.last_offset(), batch.max_timestamp()});
    }
}

void note_written(const std::vector<uint8_t>& out,
                  size_t position,
                  std::vector<CleanedBatch>* written,
                  CleanerStats& stats) {
    const RecordBatchView view(std::span<const uint8_t>(out).subspan(position));
    stats.bytes_written += static_cast<int64_t>(view.size_bytes());
    if (written != nullptr) {
        written->push_back(CleanedBatch{position, view.size_bytes(), view.base_offset(),
                                        view.last_offset(), view.max_timestamp()});
    }
}

// An empty batch keeping `batch`'s offsets, producer and timestamps (Kafka's writeEmptyHeader).
void write_empty_batch(const RecordBatchView& batch, std::vector<uint8_t>& out) {
    protocol::BatchOptions o;
    o.base_offset = batch.base_offset();
    o.partition_leader_epoch = batch.partition_leader_epoch();
    o.compression = protocol::CompressionType::kNone;
    o.timestamp_type = batch.timestamp_type();
    o.transactional = batch.is_transactional();
    o.control = batch.is_control();
    o.producer_id = batch.producer_id();
    o.producer_epoch = batch.producer_epoch();
    o.base_sequence = batch.base_sequence();
    o.last_offset_delta = batch.last_offset_delta();
    protocol::RecordBatchBuilder builder(o);
    const size_t position = out.size();
    const auto e = builder.build(out);
    GREGOR_ASSERT(e == protocol::BuildError::kOk, "an empty batch always builds");
    std::span<uint8_t> bytes(out.data() + position, out.size() - position);
    store_be64(bytes.data() + L::kBaseTimestamp, batch.max_timestamp());
    protocol::MutableRecordBatchView(bytes).set_max_timestamp(batch.timestamp_type(),
                                                              batch.max_timestamp());
}

}  // namespace

void note_producers(std::span<const uint8_t> batches, ProducerBatches& producers) {
    BatchSplitter splitter(batches, BatchSplitter::Check::kFraming);
    while (auto batch = splitter.next()) {
        if (!batch->has_producer_id()) {
            continue;
        }
        ProducerLastBatch& p = producers[batch->producer_id()];
        p.last_timestamp = std::max(p.last_timestamp, batch->max_timestamp());
        if (!batch->is_control()) {
            p.last_data_offset = batch->last_offset();
        }
    }
}

ProducerBatches live_producers(const ProducerBatches& producers,
                               int64_t now_ms,
                               int64_t producer_id_expiration_ms) {
    ProducerBatches live;
    for (const auto& [id, p] : producers) {
        if (p.last_timestamp > saturating_add(now_ms, -producer_id_expiration_ms)) {
            live.emplace(id, p);
        }
    }
    return live;
}

Result<bool> map_batches(std::span<const uint8_t> batches,
                         int64_t start_offset,
                         CleanerOffsetMap& map,
                         CleanerStats& stats,
                         size_t max_uncompressed_bytes) {
    std::vector<uint8_t> scratch;
    BatchSplitter splitter(batches, BatchSplitter::Check::kFraming);
    while (auto batch = splitter.next()) {
        stats.map_bytes_read += static_cast<int64_t>(batch->size_bytes());
        // Control batches carry no keys for the map. Transactional data may belong to an aborted
        // transaction, which must not shadow committed values: it stays out of the map (and is
        // kept whole by clean_batches) until the cleaner reads the transaction index.
        if (!batch->is_control() && !batch->is_transactional()) {
            auto records = batch->records(scratch, max_uncompressed_bytes);
            if (!records) {
                if (records.error() != protocol::BatchError::kDecompressedTooLarge) {
                    return corrupt_batch(*batch, records.error());
                }
                // Too large to decode within the cap: kept whole, its keys unmapped.
            } else {
                while (auto record = records->next()) {
                    ++stats.map_records_read;
                    const int64_t offset = batch->record_offset(*record);
                    if (record->key && offset >= start_offset) {
                        if (!map.put(*record->key, offset)) {
                            return true;  // full: the map covers up to the previous batch
                        }
                    }
                }
                if (records->error() != protocol::BatchError::kOk) {
                    return corrupt_batch(*batch, records->error());
                }
            }
        } else {
            stats.map_records_read += batch->records_count();
        }
        if (batch->last_offset() >= start_offset) {
            map.update_latest_offset(batch->last_offset());
        }
    }
    if (splitter.error() != protocol::BatchError::kOk) {
        return corrupt_framing(splitter.error(), splitter.consumed());
    }
    return false;
}

Result<bool> clean_batches(std::span<const uint8_t> batches,
                           const RetentionContext& context,
                           std::vector<uint8_t>& out,
                           std::vector<CleanedBatch>* written,
                           CleanerStats& stats) {
    GREGOR_ASSERT(context.map != nullptr, "the cleaner needs an offset map");
    const CleanerOffsetMap& map = *context.map;
    std::vector<uint8_t> scratch;
    std::vector<protocol::RecordView> retained;
    std::vector<protocol::RecordHeader> headers;

    BatchSplitter splitter(batches, BatchSplitter::Check::kFraming);
    while (auto batch = splitter.next()) {
        stats.bytes_read += static_cast<int64_t>(batch->size_bytes());
        // Conservative until the transaction index is read: markers and transactional data stay.
        if (batch->is_control() || batch->is_transactional()) {
            stats.records_read += batch->records_count();
            stats.records_written += batch->records_count();
            copy_batch(*batch, out, written, stats);
            continue;
        }
        auto records = batch->records(scratch, context.max_uncompressed_bytes);
        if (!records) {
            if (records.error() != protocol::BatchError::kDecompressedTooLarge) {
                return corrupt_batch(*batch, records.error());
            }
            stats.records_read += batch->records_count();
            stats.records_written += batch->records_count();
            copy_batch(*batch, out, written, stats);
            continue;
        }

        const std::optional<int64_t> horizon = batch->delete_horizon_ms();
        const bool deletes_expired = horizon && context.now_ms >= *horizon;
        retained.clear();
        bool all_kept = true;
        bool has_tombstone = false;
        while (auto record = records->next()) {
            ++stats.records_read;
            const int64_t offset = batch->record_offset(*record);
            bool keep = false;
            if (offset > map.latest_offset()) {
                keep = true;  // beyond what this pass mapped: not ours to judge
            } else if (!record->key) {
                ++stats.invalid_records;
            } else {
                const bool latest = offset >= map.get(*record->key);
                keep = latest && (record->value.has_value() || !deletes_expired);
            }
            if (keep) {
                retained.push_back(*record);
                has_tombstone = has_tombstone || !record->value.has_value();
            } else {
                all_kept = false;
                ++stats.records_removed;
            }
        }
        if (records->error() != protocol::BatchError::kOk) {
            return corrupt_batch(*batch, records->error());
        }

        const bool set_horizon = has_tombstone && !horizon;
        if (!retained.empty()) {
            stats.records_written += static_cast<int64_t>(retained.size());
            if (all_kept && !set_horizon) {
                copy_batch(*batch, out, written, stats);
                continue;
            }
            protocol::BatchOptions o;
            o.base_offset = batch->base_offset();
            o.partition_leader_epoch = batch->partition_leader_epoch();
            o.compression = batch->compression();
            o.timestamp_type = batch->timestamp_type();
            o.transactional = batch->is_transactional();
            o.control = batch->is_control();
            o.producer_id = batch->producer_id();
            o.producer_epoch = batch->producer_epoch();
            o.base_sequence = batch->base_sequence();
            // Keep the last offset (and so the producer's last sequence), as Kafka does.
            o.last_offset_delta = batch->last_offset_delta();
            if (set_horizon) {
                o.delete_horizon_ms = saturating_add(context.now_ms, context.delete_retention_ms);
                ++stats.tombstones_horizoned;
            } else {
                o.delete_horizon_ms = horizon;
            }
            protocol::RecordBatchBuilder builder(o);
            for (const auto& record : retained) {
                headers.clear();
                auto it = record.headers();
                while (auto h = it.next()) {
                    headers.push_back(*h);
                }
                protocol::RecordInput input;
                input.timestamp = batch->record_timestamp(record);
                input.key = record.key;
                input.value = record.value;
                input.headers = headers;
                input.offset_delta = record.offset_delta;
                builder.append(input);
            }
            const size_t position = out.size();
            const auto e = builder.build(out);
            if (e != protocol::BuildError::kOk) {
                // Cannot happen for a subset of a batch that fit; keep the original to be safe.
                out.resize(position);
                copy_batch(*batch, out, written, stats);
                continue;
            }
            note_written(out, position, written, stats);
        } else if (batch->has_producer_id() && context.live_producers != nullptr) {
            const auto p = context.live_producers->find(batch->producer_id());
            if (p != context.live_producers->end()
                && p->second.last_data_offset == batch->last_offset()) {
                // The producer's last batch: keep its header for the producer state.
                const size_t position = out.size();
                write_empty_batch(*batch, out);
                note_written(out, position, written, stats);
                ++stats.batches_emptied;
            } else {
                ++stats.batches_removed;
            }
        } else {
            ++stats.batches_removed;
        }
    }
    if (splitter.error() != protocol::BatchError::kOk) {
        return corrupt_framing(splitter.error(), splitter.consumed());
    }
    return true;
}

std::vector<std::vector<size_t>> group_segments_by_size(const std::vector<SegmentSize>& segments,
                                                        int64_t max_size,
                                                        int64_t max_index_bytes,
                                                        int64_t first_uncleanable_offset) {
    std::vector<std::vector<size_t>> groups;
    size_t i = 0;
    while (i < segments.size()) {
        std::vector<size_t> group{i};
        int64_t log_size = segments[i].log_bytes;
        int64_t index_size = segments[i].offset_index_bytes;
        int64_t time_index_size = segments[i].time_index_bytes;
        ++i;
        while (i < segments.size()) {
            const SegmentSize& next = segments[i];
            // The last offset `next` may hold: just below the following segment's base.
            const int64_t next_last = i + 1 < segments.size() ? segments[i + 1].base_offset - 1
                                                              : first_uncleanable_offset - 1;
            const bool fits = log_size + next.log_bytes <= max_size
                              && index_size + next.offset_index_bytes <= max_index_bytes
                              && time_index_size + next.time_index_bytes <= max_index_bytes
                              && (next.log_bytes == 0
                                  || next_last - segments[group.front()].base_offset
                                         <= std::numeric_limits<int32_t>::max());
            if (!fits) {
                break;
            }
            group.push_back(i);
            log_size += next.log_bytes;
            index_size += next.offset_index_bytes;
            time_index_size += next.time_index_bytes;
            ++i;
        }
        groups.push_back(std::move(group));
    }
    return groups;
}

}  // namespace compaction

// ---- LogCleaner --------------------------------------------------------------------------------

namespace {

const log::Logger& logger() {
    static const log::Logger& l = log::get("storage");
    return l;
}

std::string name_of(const Log& log) {
    return log.topic_partition().dir_name();
}

// Base offset of the segment after `i` (the log end for the last one).
int64_t next_base(const std::vector<std::shared_ptr<Segment>>& segs, size_t i, int64_t log_end) {
    return i + 1 < segs.size() ? segs[i + 1]->base_offset() : log_end;
}

// Calls `fn` with runs of whole batches read from `segment` starting at `position`, each run at
// least one batch and about `buffer_size` bytes. `fn` returns false to stop early.
Result<bool> for_each_chunk(const Segment& segment,
                            uint64_t position,
                            size_t buffer_size,
                            const std::function<Result<bool>(std::span<const uint8_t>)>& fn) {
    const auto end = static_cast<uint64_t>(segment.size_bytes());
    while (position < end) {
        const auto want = static_cast<uint32_t>(std::min<uint64_t>(buffer_size, end - position));
        auto bytes = segment.read_bytes(position, want);
        if (!bytes) {
            return unexpected<Error>(bytes.error());
        }
        BatchSplitter splitter(*bytes, BatchSplitter::Check::kFraming);
        while (splitter.next()) {
        }
        size_t whole = splitter.consumed();
        if (whole == 0) {
            // One batch larger than the buffer: read exactly that batch.
            const auto e = splitter.error();
            if ((e != protocol::BatchError::kLengthPastEnd && e != protocol::BatchError::kTooShort)
                || bytes->size() < L::kLogOverhead) {
                return fail(Errc::corruption, "invalid batch at position "
                                                  + std::to_string(position) + " of "
                                                  + segment.log_path().string() + ": "
                                                  + std::string(protocol::to_string(e)));
            }
            const uint32_t length = (uint32_t{(*bytes)[8]} << 24) | (uint32_t{(*bytes)[9]} << 16)
                                    | (uint32_t{(*bytes)[10]} << 8) | uint32_t{(*bytes)[11]};
            const uint64_t need = uint64_t{length} + L::kLogOverhead;
            if (length > static_cast<uint32_t>(std::numeric_limits<int32_t>::max())
                || need > end - position) {
                return fail(Errc::corruption, "batch at position " + std::to_string(position)
                                                  + " of " + segment.log_path().string()
                                                  + " runs past the segment");
            }
            bytes = segment.read_bytes(position, static_cast<uint32_t>(need));
            if (!bytes) {
                return unexpected<Error>(bytes.error());
            }
            whole = bytes->size();
            if (whole != need) {
                return fail(Errc::corruption, "short read in " + segment.log_path().string());
            }
        }
        auto more = fn(std::span<const uint8_t>(bytes->data(), whole));
        if (!more) {
            return more;
        }
        if (!*more) {
            return false;
        }
        position += whole;
    }
    return true;
}

// The producers of every batch in `segments` (header reads only).
Result<compaction::ProducerBatches> scan_producers(
    const std::vector<std::shared_ptr<Segment>>& segments) {
    compaction::ProducerBatches producers;
    uint8_t header[L::kHeaderSize];
    for (const auto& segment : segments) {
        auto handle = segment->handle();
        if (!handle) {
            return unexpected<Error>(handle.error());
        }
        const int fd = (*handle)->fd();
        const auto end = static_cast<uint64_t>(segment->size_bytes());
        uint64_t position = 0;
        while (position + L::kHeaderSize <= end) {
            const ssize_t n = ::pread(fd, header, sizeof(header), static_cast<off_t>(position));
            if (n != static_cast<ssize_t>(sizeof(header))) {
                return fail(Errc::io_error,
                            "reading batch headers of " + segment->log_path().string() + " failed");
            }
            RecordBatchView view(std::span<const uint8_t>(header, sizeof(header)));
            const int32_t length =
                static_cast<int32_t>((uint32_t{header[8]} << 24) | (uint32_t{header[9]} << 16)
                                     | (uint32_t{header[10]} << 8) | uint32_t{header[11]});
            if (length < static_cast<int32_t>(L::kHeaderSize - L::kLogOverhead)) {
                return fail(Errc::corruption,
                            "invalid batch length in " + segment->log_path().string());
            }
            if (view.producer_id() >= 0) {
                auto& p = producers[view.producer_id()];
                p.last_timestamp = std::max(p.last_timestamp, view.max_timestamp());
                if (!view.is_control()) {
                    p.last_data_offset = view.base_offset() + view.last_offset_delta();
                }
            }
            position += static_cast<uint64_t>(length) + L::kLogOverhead;
        }
    }
    return producers;
}

}  // namespace

struct LogCleaner::Entry {
    std::shared_ptr<Log> log;
    StableOffsetFn stable_offset;
    bool in_progress = false;
    bool uncleanable = false;  // a cleaning failed; skipped until re-added
    int32_t paused = 0;
    std::atomic<bool> abort{false};
};

LogCleaner::LogCleaner(LogCleanerConfig config, Clock clock)
    : config_(config),
      clock_(std::move(clock)),
      offset_map_(static_cast<size_t>(std::max<int64_t>(
                      config.dedupe_buffer_size / std::max(config.threads, 1), 0)),
                  config.io_buffer_load_factor) {
    GREGOR_ASSERT(clock_ != nullptr, "the cleaner needs a clock");
}

LogCleaner::~LogCleaner() {
    stop();
}

void LogCleaner::start() {
    std::lock_guard lock(mu_);
    if (!config_.enable || thread_.joinable()) {
        return;
    }
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void LogCleaner::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
        for (auto& [tp, entry] : logs_) {
            if (entry->in_progress) {
                entry->abort = true;
            }
        }
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void LogCleaner::run() {
    logger()->info("log cleaner started (backoff {} ms, dedupe buffer {} bytes)",
                   config_.backoff_ms, config_.dedupe_buffer_size);
    while (true) {
        {
            std::lock_guard lock(mu_);
            if (stopping_) {
                break;
            }
        }
        auto cleaned = clean_once();
        if (!cleaned) {
            logger()->error("log cleaner pass failed: {}", cleaned.error().message);
        }
        if (cleaned && *cleaned) {
            continue;  // there may be more dirty logs: no backoff (as Kafka)
        }
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(config_.backoff_ms, 1)),
                     [this] { return stopping_; });
        if (stopping_) {
            break;
        }
    }
    logger()->info("log cleaner stopped");
}

void LogCleaner::add_log(std::shared_ptr<Log> log, StableOffsetFn stable_offset) {
    GREGOR_ASSERT(log != nullptr, "add_log needs a log");
    auto entry = std::make_shared<Entry>();
    entry->log = std::move(log);
    entry->stable_offset = std::move(stable_offset);
    const TopicPartition tp = entry->log->topic_partition();
    std::unique_lock lock(mu_);
    auto it = logs_.find(tp);
    if (it != logs_.end()) {
        auto old = it->second;
        old->abort = true;
        cv_.wait(lock, [&] { return !old->in_progress; });
        entry->paused = old->paused;
    }
    logs_[tp] = std::move(entry);
}

void LogCleaner::remove_log(const TopicPartition& tp, bool drop_checkpoint) {
    std::shared_ptr<Entry> entry;
    {
        std::unique_lock lock(mu_);
        auto it = logs_.find(tp);
        if (it == logs_.end()) {
            return;
        }
        entry = it->second;
        logs_.erase(it);
        entry->abort = true;
        cv_.wait(lock, [&] { return !entry->in_progress; });
    }
    if (drop_checkpoint) {
        std::lock_guard clean_lock(clean_mu_);
        auto r = write_checkpoint(*entry->log, std::nullopt);
        if (!r) {
            logger()->warn("{}: dropping the cleaner checkpoint failed: {}", tp.dir_name(),
                           r.error().message);
        }
    }
}

void LogCleaner::pause(const TopicPartition& tp) {
    std::unique_lock lock(mu_);
    auto it = logs_.find(tp);
    if (it == logs_.end()) {
        return;
    }
    auto entry = it->second;
    ++entry->paused;
    entry->abort = true;
    cv_.wait(lock, [&] { return !entry->in_progress; });
}

void LogCleaner::resume(const TopicPartition& tp) {
    std::lock_guard lock(mu_);
    auto it = logs_.find(tp);
    if (it != logs_.end() && it->second->paused > 0) {
        --it->second->paused;
    }
}

void LogCleaner::truncate_checkpoint(const TopicPartition& tp, int64_t offset) {
    std::shared_ptr<Log> log;
    {
        std::lock_guard lock(mu_);
        auto it = logs_.find(tp);
        if (it == logs_.end()) {
            return;
        }
        log = it->second->log;
    }
    std::lock_guard clean_lock(clean_mu_);
    if (read_checkpoint(*log) > offset) {
        auto r = write_checkpoint(*log, offset);
        if (!r) {
            logger()->warn("{}: truncating the cleaner checkpoint failed: {}", tp.dir_name(),
                           r.error().message);
        }
    }
}

std::optional<int64_t> LogCleaner::first_dirty_offset(const TopicPartition& tp) const {
    std::shared_ptr<Log> log;
    {
        std::lock_guard lock(mu_);
        auto it = logs_.find(tp);
        if (it == logs_.end()) {
            return std::nullopt;
        }
        log = it->second->log;
    }
    std::lock_guard clean_lock(clean_mu_);
    const int64_t offset = read_checkpoint(*log);
    if (offset < 0) {
        return std::nullopt;
    }
    return offset;
}

LogCleanerStats LogCleaner::stats() const {
    std::lock_guard lock(mu_);
    return stats_;
}

// ---- Checkpoints (cleaner-offset-checkpoint per log dir); callers hold clean_mu_ ----

std::map<TopicPartition, int64_t>& LogCleaner::checkpoint_cache(
    const std::filesystem::path& log_dir) const {
    auto it = checkpoints_.find(log_dir);
    if (it != checkpoints_.end()) {
        return it->second;
    }
    auto& cache = checkpoints_[log_dir];
    auto read = read_offset_checkpoint(log_dir / kCleanerOffsetCheckpointFile);
    if (read) {
        cache = std::move(*read);
    } else {
        // A corrupt checkpoint only costs a full re-clean (Kafka logs and starts over too).
        logger()->warn("{}: unreadable {}, cleaning from the log start: {}", log_dir.string(),
                       kCleanerOffsetCheckpointFile, read.error().message);
    }
    return cache;
}

int64_t LogCleaner::read_checkpoint(const Log& log) const {
    auto& cache = checkpoint_cache(log.dir().parent_path());
    auto it = cache.find(log.topic_partition());
    return it == cache.end() ? -1 : it->second;
}

Result<bool> LogCleaner::write_checkpoint(const Log& log, std::optional<int64_t> offset) {
    const auto log_dir = log.dir().parent_path();
    auto& cache = checkpoint_cache(log_dir);
    if (offset) {
        cache[log.topic_partition()] = *offset;
    } else if (cache.erase(log.topic_partition()) == 0) {
        return true;
    }
    return write_offset_checkpoint(log_dir / kCleanerOffsetCheckpointFile, cache);
}

// ---- Choosing a log (LogCleanerManager) ----

Result<LogCleaner::Dirtiness> LogCleaner::measure(Entry& entry, int64_t now_ms) {
    const Log& log = *entry.log;
    const LogConfig config = log.config();
    const auto segs = log.segments();
    Dirtiness d;
    if (segs.empty()) {
        return d;
    }
    const int64_t log_start = log.log_start_offset();
    const int64_t log_end = log.log_end_offset();

    // cleanableOffsets: a checkpoint outside [log start, log end] is stale (retention or
    // truncation moved the log): start over from the log start.
    int64_t first_dirty = read_checkpoint(log);
    if (first_dirty < log_start || first_dirty > log_end) {
        first_dirty = log_start;
    }
    d.first_dirty_offset = first_dirty;

    const int64_t active_base = segs.back()->base_offset();
    int64_t uncleanable = std::min(active_base, log_end);
    if (entry.stable_offset) {
        uncleanable = std::min(uncleanable, entry.stable_offset());
    }
    const int64_t min_lag = std::max<int64_t>(config.min_compaction_lag_ms, 0);
    const int64_t max_lag = std::max<int64_t>(config.max_compaction_lag_ms, 0);
    int64_t earliest_dirty_timestamp = std::numeric_limits<int64_t>::max();
    for (size_t i = 0; i + 1 < segs.size(); ++i) {
        if (next_base(segs, i, log_end) <= first_dirty) {
            continue;  // entirely clean
        }
        if (min_lag > 0 && segs[i]->largest_timestamp() > now_ms - min_lag) {
            uncleanable = std::min(uncleanable, segs[i]->base_offset());
        }
        if (max_lag < std::numeric_limits<int64_t>::max()) {
            auto first = segs[i]->find_batch(segs[i]->base_offset());
            if (first && *first && (*first)->max_timestamp > 0) {
                earliest_dirty_timestamp =
                    std::min(earliest_dirty_timestamp, (*first)->max_timestamp);
            }
        }
    }
    // Round down to the base of the segment holding it: segments are cleaned whole.
    int64_t first_uncleanable = active_base;
    for (size_t i = 0; i + 1 < segs.size(); ++i) {
        if (next_base(segs, i, log_end) > uncleanable) {
            first_uncleanable = segs[i]->base_offset();
            break;
        }
    }
    d.first_uncleanable_offset = first_uncleanable;

    const int64_t cleanable_end = std::max(first_dirty, first_uncleanable);
    for (size_t i = 0; i < segs.size(); ++i) {
        const int64_t base = segs[i]->base_offset();
        const int64_t next = next_base(segs, i, log_end);
        if (base < first_dirty) {
            d.clean_bytes += segs[i]->size_bytes();
        }
        // Segments overlapping [first dirty, cleanable end).
        if (base < cleanable_end && (next > first_dirty || (base >= first_dirty))) {
            d.cleanable_bytes += segs[i]->size_bytes();
        }
    }
    const int64_t total = d.clean_bytes + d.cleanable_bytes;
    d.ratio = total > 0 ? static_cast<double>(d.cleanable_bytes) / static_cast<double>(total) : 0;

    const int64_t clean_until = now_ms - max_lag;
    if (max_lag < std::numeric_limits<int64_t>::max() && earliest_dirty_timestamp < clean_until) {
        d.max_compaction_delay_ms = clean_until - earliest_dirty_timestamp;
    }
    return d;
}

std::optional<LogCleaner::Dirtiness> LogCleaner::dirtiness(const TopicPartition& tp) {
    std::shared_ptr<Entry> entry;
    {
        std::lock_guard lock(mu_);
        auto it = logs_.find(tp);
        if (it == logs_.end()) {
            return std::nullopt;
        }
        entry = it->second;
    }
    std::lock_guard clean_lock(clean_mu_);
    auto d = measure(*entry, clock_());
    if (!d) {
        return std::nullopt;
    }
    return *d;
}

Result<bool> LogCleaner::clean_once() {
    std::lock_guard clean_lock(clean_mu_);
    const int64_t now = clock_();
    std::vector<std::shared_ptr<Entry>> entries;
    {
        std::lock_guard lock(mu_);
        ++stats_.passes;
        for (const auto& [tp, entry] : logs_) {
            if (!entry->uncleanable && entry->paused == 0) {
                entries.push_back(entry);
            }
        }
    }
    std::optional<Candidate> best;
    double max_ratio = 0;
    int64_t max_delay = 0;
    for (const auto& entry : entries) {
        if (!entry->log->config().cleanup_compact) {
            continue;
        }
        auto d = measure(*entry, now);
        if (!d) {
            logger()->warn("{}: cannot measure dirtiness: {}", name_of(*entry->log),
                           d.error().message);
            continue;
        }
        max_ratio = std::max(max_ratio, d->ratio);
        max_delay = std::max(max_delay, d->max_compaction_delay_ms);
        const bool due = d->max_compaction_delay_ms > 0 && d->cleanable_bytes > 0;
        if (!due && !(d->ratio > entry->log->config().min_cleanable_dirty_ratio)) {
            continue;
        }
        if (!best || d->ratio > best->dirt.ratio) {
            best = Candidate{entry, *d};
        }
    }
    {
        std::lock_guard lock(mu_);
        stats_.max_dirty_ratio = max_ratio;
        stats_.max_compaction_delay_ms = max_delay;
    }
    if (!best) {
        return false;
    }
    return clean_candidate(*best);
}

Result<bool> LogCleaner::clean_log(const TopicPartition& tp) {
    std::lock_guard clean_lock(clean_mu_);
    std::shared_ptr<Entry> entry;
    {
        std::lock_guard lock(mu_);
        auto it = logs_.find(tp);
        if (it == logs_.end()) {
            return fail(Errc::not_found, "no log " + tp.dir_name() + " in the cleaner");
        }
        entry = it->second;
        if (entry->paused > 0) {
            return false;
        }
    }
    auto d = measure(*entry, clock_());
    if (!d) {
        return unexpected<Error>(d.error());
    }
    if (d->cleanable_bytes == 0) {
        return false;
    }
    Candidate c{entry, *d};
    return clean_candidate(c);
}

Result<bool> LogCleaner::clean_candidate(Candidate& candidate) {
    Entry& entry = *candidate.entry;
    {
        std::lock_guard lock(mu_);
        if (entry.paused > 0) {
            return false;
        }
        entry.in_progress = true;
        entry.abort = false;
    }
    CleanerStats stats;
    stats.start_ms = clock_();
    int64_t end_offset = -1;
    auto r = do_clean(candidate, stats, end_offset);
    stats.end_ms = clock_();
    const std::string name = name_of(*entry.log);
    {
        std::lock_guard lock(mu_);
        entry.in_progress = false;
        if (r && *r) {
            ++stats_.logs_cleaned;
            stats_.last_run_ms = stats.end_ms;
            stats_.last_log = entry.log->topic_partition();
            stats_.last = stats;
            stats_.total.add(stats);
        } else if (!r && r.error().code != Errc::closed) {
            ++stats_.failures;
            entry.uncleanable = true;
            ++stats_.uncleanable_logs;
        }
    }
    cv_.notify_all();
    if (!r && r.error().code == Errc::closed) {
        // Aborted (stop, pause, removal) or the log changed underneath: retried on a later pass.
        logger()->info("{}: cleaning abandoned: {}", name, r.error().message);
        return false;
    }
    if (!r) {
        logger()->error("{}: cleaning failed, log marked uncleanable: {}", name, r.error().message);
        return r;
    }
    if (*r) {
        logger()->info(
            "{}: cleaned [{}, {}): read {} bytes, wrote {} bytes, {} of {} records removed, "
            "offset map {:.1f}% full, {} ms",
            name, candidate.dirt.first_dirty_offset, end_offset, stats.bytes_read,
            stats.bytes_written, stats.records_removed, stats.records_read,
            stats.buffer_utilization * 100, stats.end_ms - stats.start_ms);
    }
    return r;
}

void LogCleaner::throttle(int64_t bytes) {
    if (!(config_.io_max_bytes_per_second < std::numeric_limits<double>::max())
        || config_.io_max_bytes_per_second <= 0) {
        return;
    }
    using namespace std::chrono;
    const int64_t now = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
    if (throttle_window_start_ns_ == 0 || now - throttle_window_start_ns_ > 1'000'000'000) {
        throttle_window_start_ns_ = now;
        throttle_bytes_ = 0;
    }
    throttle_bytes_ += bytes;
    const double allowed_ns =
        static_cast<double>(throttle_bytes_) / config_.io_max_bytes_per_second * 1e9;
    const double elapsed_ns = static_cast<double>(now - throttle_window_start_ns_);
    if (allowed_ns > elapsed_ns) {
        std::this_thread::sleep_for(nanoseconds(static_cast<int64_t>(allowed_ns - elapsed_ns)));
    }
}

// ---- One cleaning (Kafka's Cleaner.doClean) ----

Result<bool> LogCleaner::do_clean(const Candidate& candidate,
                                  CleanerStats& stats,
                                  int64_t& end_offset) {
    Entry& entry = *candidate.entry;
    Log& log = *entry.log;
    const LogConfig config = log.config();
    const int64_t first_dirty = candidate.dirt.first_dirty_offset;
    const int64_t first_uncleanable = candidate.dirt.first_uncleanable_offset;
    const int64_t now = clock_();
    const size_t io_buffer =
        std::max<size_t>(static_cast<size_t>(std::max(config_.io_buffer_size, 2)) / 2
                             / static_cast<size_t>(std::max(config_.threads, 1)),
                         L::kHeaderSize);
    auto aborted = [&] { return entry.abort.load(); };
    auto abort_error = [&] {
        return fail(Errc::closed, "cleaning of " + name_of(log) + " aborted");
    };

    const auto segs = log.segments();
    const int64_t log_end = log.log_end_offset();

    // 1. The offset map over [first dirty, first uncleanable), as far as it holds.
    offset_map_.clear();
    bool full = false;
    for (size_t i = 0; i < segs.size() && !full; ++i) {
        const int64_t base = segs[i]->base_offset();
        if (base >= first_uncleanable) {
            break;
        }
        if (next_base(segs, i, log_end) <= first_dirty) {
            continue;
        }
        uint64_t position = 0;
        if (base < first_dirty) {
            auto batch = segs[i]->find_batch(first_dirty);
            if (!batch) {
                return unexpected<Error>(batch.error());
            }
            if (!*batch) {
                continue;
            }
            position = (*batch)->position;
        }
        auto r = for_each_chunk(
            *segs[i], position, io_buffer, [&](std::span<const uint8_t> chunk) -> Result<bool> {
                if (aborted()) {
                    return abort_error();
                }
                throttle(static_cast<int64_t>(chunk.size()));
                auto f = compaction::map_batches(chunk, first_dirty, offset_map_, stats,
                                                 config_.max_uncompressed_batch_bytes);
                if (!f) {
                    return f;
                }
                full = *f;
                return !full;
            });
        if (!r) {
            return r;
        }
    }
    stats.buffer_utilization = offset_map_.utilization();
    if (offset_map_.latest_offset() < first_dirty) {
        if (full) {
            return fail(Errc::invalid_record,
                        "the offset map (log.cleaner.dedupe.buffer.size) cannot hold the keys of "
                        "one batch at offset "
                            + std::to_string(first_dirty));
        }
        // Nothing to map (empty segments): the dirty section is clean.
        end_offset = first_uncleanable;
        auto w = write_checkpoint(log, end_offset);
        if (!w) {
            return w;
        }
        return true;
    }
    end_offset = offset_map_.latest_offset() + 1;

    // 2. Live producers, whose last data batch must stay (at least as a header).
    auto producers = scan_producers(segs);
    if (!producers) {
        return unexpected<Error>(producers.error());
    }
    const auto live =
        compaction::live_producers(*producers, now, config_.producer_id_expiration_ms);

    // 3. Rewrite every segment below the mapped end, in groups.
    std::vector<std::shared_ptr<Segment>> to_clean;
    std::vector<compaction::SegmentSize> sizes;
    for (const auto& segment : segs) {
        if (segment->base_offset() >= end_offset || segment == segs.back()) {
            break;
        }
        auto index = segment->offset_index();
        auto time_index = segment->time_index();
        if (!index) {
            return unexpected<Error>(index.error());
        }
        if (!time_index) {
            return unexpected<Error>(time_index.error());
        }
        to_clean.push_back(segment);
        sizes.push_back(compaction::SegmentSize{
            segment->base_offset(), segment->size_bytes(),
            static_cast<int64_t>((*index)->entries() * OffsetIndex::kEntrySize),
            static_cast<int64_t>((*time_index)->entries() * TimeIndex::kEntrySize)});
    }
    const auto groups = compaction::group_segments_by_size(
        sizes, config.segment_bytes, config.segment_index_bytes, first_uncleanable);
    compaction::RetentionContext context;
    context.map = &offset_map_;
    context.now_ms = now;
    context.delete_retention_ms = config.delete_retention_ms;
    context.live_producers = &live;
    context.max_uncompressed_bytes = config_.max_uncompressed_batch_bytes;

    std::vector<uint8_t> out;
    for (const auto& group : groups) {
        std::vector<std::shared_ptr<Segment>> olds;
        for (size_t i : group) {
            olds.push_back(to_clean[i]);
        }
        auto cleaned = Segment::create(log.dir(), olds.front()->base_offset(), config,
                                       log.file_cache(), now, kCleanedFileSuffix);
        if (!cleaned) {
            return unexpected<Error>(cleaned.error());
        }
        auto discard = [&] {
            (*cleaned)->close();
            auto d = (*cleaned)->delete_files();
            if (!d) {
                logger()->warn("{}: removing {} failed: {}", name_of(log),
                               (*cleaned)->log_path().string(), d.error().message);
            }
        };
        out.clear();
        Result<bool> status = true;
        for (const auto& old : olds) {
            status = for_each_chunk(
                *old, 0, io_buffer, [&](std::span<const uint8_t> chunk) -> Result<bool> {
                    if (aborted()) {
                        return abort_error();
                    }
                    throttle(static_cast<int64_t>(chunk.size()));
                    auto c = compaction::clean_batches(chunk, context, out, nullptr, stats);
                    if (!c) {
                        return c;
                    }
                    if (out.size() >= io_buffer) {
                        auto a = (*cleaned)->append(out);
                        out.clear();
                        if (!a) {
                            return a;
                        }
                    }
                    return true;
                });
            if (!status) {
                break;
            }
        }
        if (status && !out.empty()) {
            status = (*cleaned)->append(out);
            out.clear();
        }
        if (status) {
            status = (*cleaned)->on_become_inactive();
        }
        if (status) {
            status = (*cleaned)->flush();
        }
        if (status && aborted()) {
            status = abort_error();
        }
        if (!status) {
            discard();
            return status;
        }
        // Keep the last segment's modification time (retention falls back to it).
        std::error_code ec;
        const auto mtime = std::filesystem::last_write_time(olds.back()->log_path(), ec);
        if (!ec) {
            std::filesystem::last_write_time((*cleaned)->log_path(), mtime, ec);
        }
        auto swapped = log.replace_segments({*cleaned}, olds);
        if (!swapped) {
            // Still .cleaned: the swap never started, the output is ours to remove. Past that
            // point the files belong to the swap, which Log::open completes after a crash.
            if ((*cleaned)->suffix() == kCleanedFileSuffix) {
                discard();
            }
            if (swapped.error().code == Errc::not_found) {
                // Retention or truncation replaced segments meanwhile: not a failure of the log,
                // the next pass starts over from the checkpoint.
                return fail(Errc::closed,
                            "segments of " + name_of(log)
                                + " changed while cleaning: " + swapped.error().message);
            }
            return unexpected<Error>(swapped.error());
        }
    }

    // 4. Progress.
    auto w = write_checkpoint(log, end_offset);
    if (!w) {
        return w;
    }
    return true;
}

}  // namespace gregor::storage
