#include "gregor/storage/log.h"

#include "gregor/common/logging.h"
#include "gregor/protocol/record_batch.h"
#include "gregor/storage/file_cache.h"
#include "gregor/storage/index_file.h"
#include "gregor/storage/leader_epoch_cache.h"
#include "gregor/storage/segment.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <limits>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unistd.h>

namespace gregor::storage {

namespace fs = std::filesystem;

namespace {

// The copy of a request's batches that an append patches (offsets, leader epoch) before writing.
// The buffer is reused by the thread's next append: a fresh multi-page allocation per append
// costs page faults that showed up as a third of the append time for 256 KiB batches. A buffer
// grown past kScratchKeepBytes by a large append is released afterwards.
struct AppendScratch {
    static constexpr size_t kScratchKeepBytes = 8u << 20;

    explicit AppendScratch(std::span<const uint8_t> batches) : bytes(buffer()) {
        bytes.assign(batches.begin(), batches.end());
    }
    ~AppendScratch() {
        if (bytes.capacity() > kScratchKeepBytes) {
            std::vector<uint8_t>().swap(bytes);
        }
    }
    AppendScratch(const AppendScratch&) = delete;
    AppendScratch& operator=(const AppendScratch&) = delete;

    static std::vector<uint8_t>& buffer() {
        thread_local std::vector<uint8_t> reused;
        return reused;
    }

    std::vector<uint8_t>& bytes;
};

const log::Logger& logger() {
    return log::get("storage");
}

constexpr const char* kLeaderEpochCheckpoint = "leader-epoch-checkpoint";

// One batch of an append, as validated.
struct ParsedBatch {
    size_t start = 0;
    size_t size = 0;
    int64_t base_offset = 0;
    int32_t last_offset_delta = 0;
    int64_t max_timestamp = -1;
    int32_t partition_leader_epoch = -1;
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    int32_t base_sequence = -1;
    bool transactional = false;
    bool control = false;
};

// The batch as producer state sees it, with the offsets it is written at.
ProducerBatch producer_batch(const ParsedBatch& p, int64_t first_offset, int64_t max_timestamp) {
    ProducerBatch b;
    b.producer_id = p.producer_id;
    b.epoch = p.producer_epoch;
    b.base_sequence = p.base_sequence;
    b.first_offset = first_offset;
    b.last_offset = first_offset + p.last_offset_delta;
    b.max_timestamp = max_timestamp;
    b.transactional = p.transactional;
    b.control = p.control;
    return b;
}

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size()
           && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Timestamps outside message.timestamp.{before,after}.max.ms of now (CreateTime only).
bool timestamp_out_of_bounds(int64_t ts, int64_t now, const LogConfig& config) {
    if (ts < 0) {
        return false;
    }
    if (config.timestamp_before_max_ms < now && ts < now - config.timestamp_before_max_ms) {
        return true;
    }
    return config.timestamp_after_max_ms < std::numeric_limits<int64_t>::max() - now
           && ts > now + config.timestamp_after_max_ms;
}

// Checks every batch before anything is written: framing, magic, CRC, counts, size, and for a
// leader (client) append the producer-side rules Kafka's LogValidator applies.
Result<std::vector<ParsedBatch>> validate_batches(std::span<const uint8_t> bytes,
                                                  const LogConfig& config,
                                                  bool leader,
                                                  int64_t now) {
    std::vector<ParsedBatch> out;
    protocol::BatchSplitter splitter(bytes);
    while (auto batch = splitter.next()) {
        ParsedBatch p;
        p.start = static_cast<size_t>(batch->bytes().data() - bytes.data());
        p.size = batch->size_bytes();
        p.base_offset = batch->base_offset();
        p.last_offset_delta = batch->last_offset_delta();
        p.max_timestamp = batch->max_timestamp();
        p.partition_leader_epoch = batch->partition_leader_epoch();
        p.producer_id = batch->producer_id();
        p.producer_epoch = batch->producer_epoch();
        p.base_sequence = batch->base_sequence();
        p.transactional = batch->is_transactional();
        p.control = batch->is_control();
        const std::string where = "batch " + std::to_string(out.size());
        if (p.size > static_cast<size_t>(config.max_message_bytes)) {
            return fail(Errc::record_too_large, where + " is " + std::to_string(p.size)
                                                    + " bytes, above max.message.bytes "
                                                    + std::to_string(config.max_message_bytes));
        }
        if (p.last_offset_delta < 0) {
            return fail(Errc::invalid_record, where + " has a negative last offset delta");
        }
        if (leader) {
            if (batch->records_count() <= 0 || batch->records_count() != p.last_offset_delta + 1) {
                return fail(Errc::invalid_record,
                            where + " has records count " + std::to_string(batch->records_count())
                                + " but last offset delta " + std::to_string(p.last_offset_delta));
            }
            if (p.base_offset != 0) {
                return fail(Errc::invalid_record, where + " has base offset "
                                                      + std::to_string(p.base_offset)
                                                      + "; a producer's batch must start at 0");
            }
            if (p.producer_id >= 0 && p.base_sequence < 0) {
                return fail(Errc::invalid_record, where + " has producer id "
                                                      + std::to_string(p.producer_id)
                                                      + " but invalid sequence number "
                                                      + std::to_string(p.base_sequence));
            }
            if (config.timestamp_type == TimestampType::create_time
                && batch->timestamp_type() == protocol::TimestampType::kCreateTime
                && (timestamp_out_of_bounds(batch->max_timestamp(), now, config)
                    || timestamp_out_of_bounds(batch->base_timestamp(), now, config))) {
                return fail(Errc::invalid_timestamp,
                            where + " has a timestamp outside message.timestamp.*.max.ms");
            }
        }
        out.push_back(p);
    }
    if (splitter.error() != protocol::BatchError::kOk) {
        return fail(Errc::invalid_record,
                    "batch " + std::to_string(out.size()) + " at byte "
                        + std::to_string(splitter.consumed())
                        + " is invalid: " + std::string(protocol::to_string(splitter.error())));
    }
    if (splitter.consumed() != bytes.size()) {
        return fail(Errc::invalid_record, "trailing bytes after the last batch");
    }
    return out;
}

Result<bool> fsync_dir(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return io_failure("open", dir, errno);
    }
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) {
        return io_failure("fsync", dir, err);
    }
    return true;
}

void remove_file(const fs::path& path, RecoveryReport& report) {
    std::error_code ec;
    if (fs::remove(path, ec)) {
        ++report.temp_files_deleted;
    }
}

}  // namespace

int64_t system_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

using SegmentPtr = std::shared_ptr<Segment>;

// The log's state. Every member is guarded by `mutex` (shared for reads, exclusive for changes);
// the segments themselves follow the same rule (see segment.h).
struct Log::Impl {
    fs::path dir;
    TopicPartition tp;
    LogConfig config;
    Clock clock;
    FileCache* files = nullptr;

    mutable std::shared_mutex mutex;
    std::map<int64_t, SegmentPtr> segments;
    int64_t log_start_offset = 0;
    int64_t recovery_point = 0;
    int64_t log_end_offset = 0;
    int64_t high_watermark = -1;  // -1: not set, the log end offset bounds retention
    uint64_t truncations = 0;     // bumped by every truncation (a flush racing one must not count)
    std::unique_ptr<LeaderEpochCache> epochs;
    std::unique_ptr<ProducerStateManager> producers;
    int64_t producer_id_expiration_ms = kDefaultProducerIdExpirationMs;
    bool closed = false;

    struct PendingDelete {
        int64_t due_ms;
        SegmentPtr segment;
    };
    std::vector<PendingDelete> pending_deletes;

    std::string name() const { return tp.dir_name(); }
    Segment& active() const { return *segments.rbegin()->second; }

    void check_invariants() const {
        GREGOR_ASSERT(!segments.empty(), "a log always has an active segment");
        GREGOR_ASSERT(log_start_offset <= log_end_offset, "log start above log end");
        GREGOR_ASSERT(recovery_point <= log_end_offset, "recovery point above log end");
    }

    // ---- loading (open) ----
    Result<bool> resolve_leftover_files(RecoveryReport& report);
    Result<bool> load_segments();
    Result<bool> recover_unclean(int64_t recovery_point_checkpoint, RecoveryReport& report);
    Result<bool> check_clean(RecoveryReport& report);
    Result<bool> rebuild_segment(Segment& segment, int64_t min_offset, RecoveryReport& report);
    Result<bool> finish_load(const LogOpenOptions& options, RecoveryReport& report);
    // Producer state for every batch below `end`: the latest snapshot at or below it, then the
    // batches after it replayed from the segments (Kafka's rebuildProducerState).
    Result<bool> rebuild_producer_state(int64_t end);
    void snapshot_producers(int64_t offset, bool sync);

    // ---- changes (exclusive lock held) ----
    Result<SegmentPtr> roll(int64_t expected_next_offset);
    Result<bool> maybe_roll_for(const RollParams& params, int64_t roll_offset);
    Result<bool> schedule_delete(const SegmentPtr& segment);
    Result<bool> delete_all_segments();
    Result<int32_t> delete_old_segments(
        const std::function<bool(const Segment&, const Segment*)>& predicate, const char* reason);
    LogConfig config_snapshot() const {
        std::shared_lock lock(mutex);
        return config;
    }
    Result<AppendInfo> write(std::span<const uint8_t> bytes,
                             const std::vector<ParsedBatch>& batches,
                             AppendInfo info,
                             int64_t roll_offset);
};

// ---------------------------------------------------------------------------------------------
// Loading

Result<bool> Log::Impl::resolve_leftover_files(RecoveryReport& report) {
    // Kafka's LogLoader.removeTempFilesAndCollectSwapFiles, then the swap completion passes.
    std::vector<fs::path> swaps;
    int64_t min_cleaned = std::numeric_limits<int64_t>::max();
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (ends_with(name, kDeletedFileSuffix)) {
            remove_file(entry.path(), report);
        } else if (ends_with(name, kCleanedFileSuffix)) {
            const auto base = segment_base_offset_from_name(name);
            min_cleaned = std::min(min_cleaned, base.value_or(min_cleaned));
            remove_file(entry.path(), report);
        } else if (ends_with(name, kSwapFileSuffix)) {
            swaps.push_back(entry.path());
        }
    }
    if (ec) {
        return io_failure("list", dir, ec.value());
    }
    // A .swap at or above a .cleaned file is part of an unfinished operation (KAFKA-6264).
    std::vector<fs::path> valid_swaps;
    for (const fs::path& swap : swaps) {
        const auto base = segment_base_offset_from_name(swap.filename().string());
        if (!base || *base >= min_cleaned) {
            remove_file(swap, report);
        } else {
            valid_swaps.push_back(swap);
        }
    }
    // The offsets the swapped-in segments cover: live segments there were compacted away.
    int64_t min_swap = std::numeric_limits<int64_t>::max();
    int64_t max_swap = std::numeric_limits<int64_t>::min();
    const std::string log_swap = std::string(kLogFileSuffix) + std::string(kSwapFileSuffix);
    for (const fs::path& swap : valid_swaps) {
        const std::string name = swap.filename().string();
        if (!ends_with(name, log_swap)) {
            continue;
        }
        const int64_t base = *segment_base_offset_from_name(name);
        auto segment = Segment::open(dir, base, config, nullptr, clock(), kSwapFileSuffix);
        if (!segment) {
            return unexpected<Error>(segment.error());
        }
        int64_t next = base;
        auto scanned = (*segment)->for_each_batch(0, [&](const BatchInfo& b) {
            next = b.last_offset + 1;
            return true;
        });
        (void)scanned;  // a damaged swap segment is recovered like any other after the rename
        min_swap = std::min(min_swap, base);
        max_swap = std::max(max_swap, next);
    }
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        const auto base = segment_base_offset_from_name(name);
        // Producer snapshots are not segment files: replay starts from any of them.
        if (base && !ends_with(name, kSwapFileSuffix) && !ends_with(name, kProducerSnapshotSuffix)
            && *base >= min_swap && *base < max_swap) {
            logger()->info("{}: deleting {}, replaced by an interrupted swap", name, name);
            remove_file(entry.path(), report);
        }
    }
    for (const fs::path& swap : valid_swaps) {
        std::string live = swap.string();
        live.resize(live.size() - kSwapFileSuffix.size());
        if (::rename(swap.c_str(), live.c_str()) != 0) {
            return io_failure("rename", swap, errno);
        }
        if (ends_with(live, kLogFileSuffix)) {
            ++report.swaps_completed;
        }
    }
    // Index files without a .log are orphans.
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (!segment_base_offset_from_name(name)) {
            continue;
        }
        if (ends_with(name, kIndexFileSuffix) || ends_with(name, kTimeIndexFileSuffix)) {
            fs::path log_file = entry.path();
            log_file.replace_extension(kLogFileSuffix);
            if (!fs::exists(log_file, ec)) {
                remove_file(entry.path(), report);
            }
        }
    }
    return true;
}

Result<bool> Log::Impl::load_segments() {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        const auto base = segment_base_offset_from_name(name);
        if (!base || name.size() != 20 + kLogFileSuffix.size()
            || !ends_with(name, kLogFileSuffix)) {
            continue;
        }
        auto segment = Segment::open(dir, *base, config, files, clock());
        if (!segment) {
            return unexpected<Error>(segment.error());
        }
        segments.emplace(*base, std::move(*segment));
    }
    if (ec) {
        return io_failure("list", dir, ec.value());
    }
    return true;
}

Result<bool> Log::Impl::rebuild_segment(Segment& segment,
                                        int64_t min_offset,
                                        RecoveryReport& report) {
    auto recovered = segment.recover(min_offset, nullptr);
    if (!recovered) {
        return unexpected<Error>(recovered.error());
    }
    report.indexes_rebuilt += 2;
    report.batches_validated += recovered->batches_validated;
    report.bytes_validated += recovered->bytes_validated;
    report.bytes_truncated += recovered->bytes_truncated;
    if (!recovered->error.empty() && report.first_error.empty()) {
        report.first_error = recovered->error;
    }
    return true;
}

Result<bool> Log::Impl::check_clean(RecoveryReport& report) {
    for (auto& [base, segment] : segments) {
        auto problem = segment->sanity_check_indexes();
        if (!problem) {
            return unexpected<Error>(problem.error());
        }
        if (!problem->empty()) {
            logger()->warn("{}: {}; rebuilding the indexes", name(), *problem);
            auto ok = rebuild_segment(*segment, base, report);
            if (!ok) {
                return ok;
            }
        }
    }
    return true;
}

Result<bool> Log::Impl::recover_unclean(int64_t recovery_point_checkpoint, RecoveryReport& report) {
    // Segments wholly below the recovery point were flushed: only their indexes are checked.
    auto first_unflushed = segments.upper_bound(recovery_point_checkpoint);
    if (first_unflushed != segments.begin()) {
        --first_unflushed;
    }
    int64_t next_offset = segments.begin()->first;
    for (auto it = segments.begin(); it != first_unflushed; ++it) {
        auto problem = it->second->sanity_check_indexes();
        if (!problem) {
            return unexpected<Error>(problem.error());
        }
        if (!problem->empty()) {
            logger()->warn("{}: {}; rebuilding the indexes", name(), *problem);
            auto ok = rebuild_segment(*it->second, it->first, report);
            if (!ok) {
                return ok;
            }
        }
        auto next = it->second->read_next_offset();
        next_offset = next ? *next : it->first;
    }
    epochs->truncate_from_end(first_unflushed->first);
    for (auto it = first_unflushed; it != segments.end(); ++it) {
        Segment& segment = *it->second;
        SegmentRecovery recovered;
        // A segment starting below the previous one's end overlaps it: drop it whole.
        const bool overlaps = segment.base_offset() < next_offset;
        if (overlaps) {
            recovered.error = "segment base offset " + std::to_string(segment.base_offset())
                              + " overlaps the previous segment (next offset "
                              + std::to_string(next_offset) + ")";
        } else {
            auto r = segment.recover(next_offset, epochs.get());
            if (!r) {
                return unexpected<Error>(r.error());
            }
            recovered = *r;
            report.indexes_rebuilt += 2;
            report.batches_validated += recovered.batches_validated;
            report.bytes_validated += recovered.bytes_validated;
            report.bytes_truncated += recovered.bytes_truncated;
            next_offset = recovered.next_offset;
        }
        if (recovered.error.empty()) {
            continue;
        }
        // The first invalid byte: everything after it goes.
        logger()->warn("{}: invalid data in {} ({}); truncated {} bytes", name(),
                       segment.log_path().string(), recovered.error, recovered.bytes_truncated);
        if (report.first_error.empty()) {
            report.first_error = recovered.error;
        }
        auto later = overlaps ? it : std::next(it);
        while (later != segments.end()) {
            auto removed = later->second->delete_files();
            if (!removed) {
                return removed;
            }
            ++report.segments_deleted;
            later = segments.erase(later);
        }
        break;
    }
    return true;
}

Result<bool> Log::Impl::finish_load(const LogOpenOptions& options, RecoveryReport& report) {
    (void)report;
    auto next = active().read_next_offset();
    if (!next) {
        return unexpected<Error>(next.error());
    }
    log_end_offset = *next;
    log_start_offset = std::max(options.log_start_offset, segments.begin()->first);
    if (log_end_offset < log_start_offset) {
        // Everything we hold lies below the log start (e.g. DeleteRecords then a crash).
        auto ok = delete_all_segments();
        if (!ok) {
            return ok;
        }
        auto fresh = Segment::create(dir, log_start_offset, config, files, clock());
        if (!fresh) {
            return unexpected<Error>(fresh.error());
        }
        segments.emplace(log_start_offset, std::move(*fresh));
        log_end_offset = log_start_offset;
    }
    recovery_point = options.had_clean_shutdown ? log_end_offset
                                                : std::min(options.recovery_point, log_end_offset);
    recovery_point = std::max(recovery_point, log_start_offset);
    epochs->truncate_from_end(log_end_offset);
    epochs->truncate_from_start(log_start_offset);
    auto flushed = epochs->flush();
    if (!flushed) {
        return flushed;
    }
    auto activated = active().on_become_active();
    if (!activated) {
        return activated;
    }
    producers->delete_snapshots_below(segments.begin()->first);  // strays of deleted segments
    auto rebuilt = rebuild_producer_state(log_end_offset);
    if (!rebuilt) {
        return rebuilt;
    }
    for (auto& [base, segment] : segments) {
        segment->release_indexes();  // inactive ones map again on first use
    }
    check_invariants();
    return true;
}

Result<std::unique_ptr<Log>> Log::open(const fs::path& dir,
                                       TopicPartition tp,
                                       LogOpenOptions options,
                                       RecoveryReport* report) {
    RecoveryReport local;
    RecoveryReport& rep = report != nullptr ? *report : local;
    rep = RecoveryReport{};
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        return io_failure("mkdir", dir, ec.value());
    }
    auto impl = std::make_unique<Impl>();
    impl->dir = dir;
    impl->tp = std::move(tp);
    impl->config = options.config;
    impl->clock = options.clock ? options.clock : system_clock_ms;
    impl->files = options.files;
    impl->producers = std::make_unique<ProducerStateManager>(dir);
    impl->producer_id_expiration_ms = options.producer_id_expiration_ms;

    auto epochs = LeaderEpochCache::open(dir / kLeaderEpochCheckpoint);
    if (!epochs) {
        return unexpected<Error>(epochs.error());
    }
    impl->epochs = std::move(*epochs);
    auto ok = impl->resolve_leftover_files(rep);
    if (ok) {
        ok = impl->load_segments();
    }
    if (ok && impl->segments.empty()) {
        const int64_t base = options.log_start_offset;
        auto fresh = Segment::create(dir, base, impl->config, impl->files, impl->clock());
        if (!fresh) {
            return unexpected<Error>(fresh.error());
        }
        impl->segments.emplace(base, std::move(*fresh));
    } else if (ok) {
        ok = options.had_clean_shutdown ? impl->check_clean(rep)
                                        : impl->recover_unclean(options.recovery_point, rep);
    }
    if (ok) {
        ok = impl->finish_load(options, rep);
    }
    if (!ok) {
        return unexpected<Error>(ok.error());
    }
    logger()->info(
        "{}: loaded {} segments, offsets [{}, {}), recovery point {}; validated {} batches "
        "({} bytes), truncated {} bytes, deleted {} segments, rebuilt {} indexes",
        impl->name(), impl->segments.size(), impl->log_start_offset, impl->log_end_offset,
        impl->recovery_point, rep.batches_validated, rep.bytes_validated, rep.bytes_truncated,
        rep.segments_deleted, rep.indexes_rebuilt);
    return std::unique_ptr<Log>(new Log(std::move(impl)));
}

Log::Log(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Log::~Log() {
    close();
}

// ---------------------------------------------------------------------------------------------
// Changes

Result<bool> Log::Impl::schedule_delete(const SegmentPtr& segment) {
    auto renamed = segment->change_suffix(kDeletedFileSuffix);
    if (!renamed) {
        return renamed;
    }
    PendingDelete pending;
    pending.due_ms = clock() + config.file_delete_delay_ms;
    pending.segment = segment;
    pending_deletes.push_back(std::move(pending));
    return true;
}

Result<bool> Log::Impl::delete_all_segments() {
    for (auto& [base, segment] : segments) {
        auto ok = schedule_delete(segment);
        if (!ok) {
            return ok;
        }
    }
    segments.clear();
    return true;
}

Result<SegmentPtr> Log::Impl::roll(int64_t expected_next_offset) {
    const int64_t new_offset = std::max(expected_next_offset, log_end_offset);
    Segment& current = active();
    if (current.base_offset() == new_offset && current.empty()) {
        return segments.rbegin()->second;  // already an empty segment there
    }
    GREGOR_ASSERT(new_offset > current.base_offset(), "roll below the active segment");
    auto inactive = current.on_become_inactive();
    if (!inactive) {
        return unexpected<Error>(inactive.error());
    }
    auto fresh = Segment::create(dir, new_offset, config, files, clock());
    if (!fresh) {
        return unexpected<Error>(fresh.error());
    }
    segments.emplace(new_offset, *fresh);
    snapshot_producers(new_offset, false);  // under the lock: no fsync
    logger()->info("{}: rolled a new segment at offset {}", name(), new_offset);
    return *fresh;
}

void Log::Impl::snapshot_producers(int64_t offset, bool sync) {
    // Batches below `offset` are all in the state (appends commit it after every write). A failed
    // snapshot only costs a longer replay at the next open.
    producers->set_map_end_offset(std::max(producers->map_end_offset(), offset));
    auto written = producers->write_snapshot(sync);
    if (!written) {
        logger()->warn("{}: producer snapshot not written: {}", name(), written.error().message);
    }
}

Result<bool> Log::Impl::rebuild_producer_state(int64_t end) {
    producers->delete_snapshots_above(end);
    auto loaded = producers->load_latest_snapshot(end);
    if (!loaded) {
        return unexpected<Error>(loaded.error());
    }
    const int64_t from = loaded->value_or(segments.begin()->first);
    auto it = segments.upper_bound(from);
    if (it != segments.begin()) {
        --it;
    }
    int64_t replayed = 0;
    for (; it != segments.end() && it->first < end; ++it) {
        // Start at the batch holding `from` (index lookup): a clean open after a close snapshot
        // reads no segment data at all.
        auto first = it->second->find_batch(from);
        if (!first) {
            return unexpected<Error>(first.error());
        }
        if (!*first) {
            continue;  // the segment ends below `from`
        }
        auto ok = it->second->for_each_batch((*first)->position, [&](const BatchInfo& b) {
            if (b.base_offset >= end) {
                return false;
            }
            if (b.base_offset >= from && b.producer_id >= 0) {
                ProducerBatch pb;
                pb.producer_id = b.producer_id;
                pb.epoch = b.producer_epoch;
                pb.base_sequence = b.base_sequence;
                pb.first_offset = b.base_offset;
                pb.last_offset = b.last_offset;
                pb.max_timestamp = b.max_timestamp;
                pb.transactional = b.transactional;
                pb.control = b.control;
                producers->replay(pb);
                ++replayed;
            }
            return true;
        });
        if (!ok) {
            return ok;
        }
    }
    producers->set_map_end_offset(end);
    if (replayed > 0) {
        logger()->info("{}: producer state rebuilt from {} ({} batches replayed, {} producers)",
                       name(),
                       loaded->has_value() ? "snapshot " + std::to_string(**loaded)
                                           : std::string("the log start"),
                       replayed, producers->size());
    }
    return true;
}

Result<bool> Log::Impl::maybe_roll_for(const RollParams& params, int64_t roll_offset) {
    if (!active().should_roll(config, params)) {
        return true;
    }
    auto rolled = roll(roll_offset);
    if (!rolled) {
        return unexpected<Error>(rolled.error());
    }
    return true;
}

Result<AppendInfo> Log::Impl::write(std::span<const uint8_t> bytes,
                                    const std::vector<ParsedBatch>& batches,
                                    AppendInfo info,
                                    int64_t roll_offset) {
    if (static_cast<int64_t>(bytes.size()) > config.segment_bytes) {
        return fail(Errc::record_too_large,
                    "append of " + std::to_string(bytes.size()) + " bytes exceeds segment.bytes");
    }
    RollParams params;
    params.messages_size = static_cast<int64_t>(bytes.size());
    params.max_timestamp_in_messages = info.max_timestamp;
    params.max_offset_in_messages = info.last_offset;
    params.now_ms = clock();
    auto rolled = maybe_roll_for(params, roll_offset);
    if (!rolled) {
        return unexpected<Error>(rolled.error());
    }
    auto appended = active().append(bytes);
    if (!appended) {
        return unexpected<Error>(appended.error());
    }
    log_end_offset = info.last_offset + 1;
    info.log_start_offset = log_start_offset;
    info.batches = static_cast<int32_t>(batches.size());
    info.bytes = static_cast<int64_t>(bytes.size());
    return info;
}

Result<AppendInfo> Log::append_as_leader(std::span<const uint8_t> batches, int32_t leader_epoch) {
    AppendScratch scratch(batches);
    return append_as_leader_in_place(scratch.bytes, leader_epoch);
}

Result<AppendInfo> Log::append_as_leader_in_place(std::span<uint8_t> bytes, int32_t leader_epoch) {
    const std::span<const uint8_t> batches = bytes;
    Impl& d = *impl_;
    const int64_t now = d.clock();
    const LogConfig config = d.config_snapshot();
    auto parsed = validate_batches(batches, config, true, now);
    if (!parsed) {
        return unexpected<Error>(parsed.error());
    }
    AppendInfo info;
    if (parsed->empty()) {
        return info;
    }
    const bool append_time = config.timestamp_type == TimestampType::log_append_time;
    Result<AppendInfo> result = info;
    {
        std::unique_lock lock(d.mutex);
        if (d.closed) {
            return fail(Errc::closed, d.name() + " is closed");
        }
        // Producer state first: a duplicate or a refused batch writes nothing.
        ProducerAppend staged(*d.producers, true);
        int64_t next = d.log_end_offset;
        for (const ParsedBatch& p : *parsed) {
            if (p.producer_id >= 0) {
                const ProducerBatch pb =
                    producer_batch(p, next, append_time ? now : p.max_timestamp);
                if (auto dup = d.producers->find_duplicate(pb)) {
                    AppendInfo duplicate;
                    duplicate.duplicate = true;
                    duplicate.first_offset = dup->first_offset;
                    duplicate.last_offset = dup->last_offset;
                    duplicate.log_append_time_ms = dup->timestamp;
                    duplicate.log_start_offset = d.log_start_offset;
                    return duplicate;
                }
                auto ok = staged.append(pb);
                if (!ok) {
                    return unexpected<Error>(
                        Error{ok.error().code, d.name() + ": " + ok.error().message});
                }
            }
            next += p.last_offset_delta + 1;
        }
        next = d.log_end_offset;
        info.first_offset = next;
        for (const ParsedBatch& p : *parsed) {
            protocol::MutableRecordBatchView batch(
                std::span<uint8_t>(bytes.data() + p.start, p.size));
            batch.set_base_offset(next);
            batch.set_partition_leader_epoch(leader_epoch);
            int64_t max_timestamp = p.max_timestamp;
            if (append_time) {
                batch.set_max_timestamp(protocol::TimestampType::kLogAppendTime, now);
                max_timestamp = now;
            }
            next += p.last_offset_delta + 1;
            if (max_timestamp > info.max_timestamp) {
                info.max_timestamp = max_timestamp;
                info.offset_of_max_timestamp = next - 1;
            }
        }
        info.last_offset = next - 1;
        if (append_time) {
            info.log_append_time_ms = now;
        }
        result = d.write(bytes, *parsed, info, info.first_offset);
        if (result) {
            d.producers->commit(std::move(staged), info.last_offset + 1);
        }
        if (result && leader_epoch >= 0) {
            d.epochs->assign(leader_epoch, info.first_offset);
        }
    }
    return after_append(std::move(result), config);
}

Result<AppendInfo> Log::after_append(Result<AppendInfo> result, const LogConfig& config) {
    if (!result) {
        return result;
    }
    auto epochs_flushed = impl_->epochs->flush();
    if (!epochs_flushed) {
        return unexpected<Error>(epochs_flushed.error());
    }
    // flush.messages: Kafka flushes once this many messages are past the recovery point.
    if (result->last_offset + 1 - recovery_point() >= config.flush_messages) {
        auto flushed = flush(result->last_offset + 1);
        if (!flushed) {
            return unexpected<Error>(flushed.error());
        }
    }
    return result;
}

Result<AppendInfo> Log::append_as_follower(std::span<const uint8_t> batches) {
    Impl& d = *impl_;
    const LogConfig config = d.config_snapshot();
    auto parsed = validate_batches(batches, config, false, d.clock());
    if (!parsed) {
        return unexpected<Error>(parsed.error());
    }
    AppendInfo info;
    if (parsed->empty()) {
        return info;
    }
    Result<AppendInfo> result = info;
    {
        std::unique_lock lock(d.mutex);
        if (d.closed) {
            return fail(Errc::closed, d.name() + " is closed");
        }
        int64_t next = d.log_end_offset;
        for (const ParsedBatch& p : *parsed) {
            if (p.base_offset < next) {
                return fail(Errc::invalid_offset,
                            d.name() + ": batch base offset " + std::to_string(p.base_offset)
                                + " is below the expected offset " + std::to_string(next));
            }
            const int64_t last = p.base_offset + p.last_offset_delta;
            if (p.max_timestamp > info.max_timestamp) {
                info.max_timestamp = p.max_timestamp;
                info.offset_of_max_timestamp = last;
            }
            next = last + 1;
        }
        info.first_offset = parsed->front().base_offset;
        info.last_offset = next - 1;
        if (info.last_offset - info.first_offset > std::numeric_limits<int32_t>::max()) {
            return fail(Errc::invalid_offset, d.name() + ": append spans too many offsets");
        }
        // Offsets are the leader's: the bytes go to disk as they came.
        result = d.write(batches, *parsed, info, info.first_offset);
        if (result) {
            ProducerAppend replicated(*d.producers, false);
            for (const ParsedBatch& p : *parsed) {
                if (p.producer_id >= 0) {
                    (void)replicated.append(producer_batch(p, p.base_offset, p.max_timestamp));
                }
            }
            d.producers->commit(std::move(replicated), info.last_offset + 1);
            for (const ParsedBatch& p : *parsed) {
                if (p.partition_leader_epoch >= 0) {
                    d.epochs->assign(p.partition_leader_epoch, p.base_offset);
                }
            }
        }
    }
    return after_append(std::move(result), config);
}

// ---------------------------------------------------------------------------------------------
// Reads

Result<ReadResult> Log::read(int64_t offset,
                             int32_t max_bytes,
                             int64_t max_offset,
                             bool min_one_batch) const {
    const Impl& d = *impl_;
    std::shared_lock lock(d.mutex);
    if (d.closed) {
        return fail(Errc::closed, d.name() + " is closed");
    }
    if (offset < d.log_start_offset || offset > d.log_end_offset) {
        return fail(Errc::offset_out_of_range, d.name() + ": offset " + std::to_string(offset)
                                                   + " outside ["
                                                   + std::to_string(d.log_start_offset) + ", "
                                                   + std::to_string(d.log_end_offset) + "]");
    }
    ReadResult result;
    result.start_offset = offset;
    if (offset == d.log_end_offset || offset >= max_offset) {
        return result;
    }
    auto it = d.segments.upper_bound(offset);
    if (it != d.segments.begin()) {
        --it;
    }
    for (; it != d.segments.end(); ++it) {
        auto read = it->second->read(offset, max_bytes, max_offset, min_one_batch);
        if (!read) {
            return unexpected<Error>(read.error());
        }
        if (!*read) {
            continue;  // the segment ends below `offset` (a compacted gap): try the next one
        }
        result.first_batch_offset = (*read)->first_batch_offset;
        if ((*read)->slice.length > 0) {
            result.bytes = (*read)->slice.length;
            result.slices.push_back(std::move((*read)->slice));
        }
        break;
    }
    return result;
}

Result<std::optional<TimestampOffset>> Log::offset_for_timestamp(int64_t timestamp) const {
    const Impl& d = *impl_;
    std::shared_lock lock(d.mutex);
    if (d.closed) {
        return fail(Errc::closed, d.name() + " is closed");
    }
    for (const auto& [base, segment] : d.segments) {
        auto next = d.segments.upper_bound(base);
        if (next != d.segments.end() && next->first <= d.log_start_offset) {
            continue;  // wholly below the log start
        }
        if (segment->largest_timestamp() < timestamp) {
            continue;
        }
        auto found = segment->find_offset_by_timestamp(timestamp, d.log_start_offset);
        if (!found) {
            return unexpected<Error>(found.error());
        }
        if (*found) {
            TimestampOffset to;
            to.timestamp = (*found)->timestamp;
            to.offset = (*found)->offset;
            return std::optional<TimestampOffset>(to);
        }
    }
    return std::optional<TimestampOffset>();
}

TimestampOffset Log::max_timestamp() const {
    const Impl& d = *impl_;
    std::shared_lock lock(d.mutex);
    TimestampOffset best;
    const Segment* holder = nullptr;
    for (const auto& [base, segment] : d.segments) {
        if (segment->max_timestamp_so_far() > best.timestamp) {
            best.timestamp = segment->max_timestamp_so_far();
            best.offset = segment->offset_of_max_timestamp_so_far();
            holder = segment.get();
        }
    }
    if (holder == nullptr || d.closed) {
        return best;
    }
    auto record = holder->find_max_timestamp_record();
    if (record && record->offset >= 0) {
        best.timestamp = record->timestamp;
        best.offset = record->offset;
    }
    return best;
}

int64_t Log::log_start_offset() const {
    std::shared_lock lock(impl_->mutex);
    return impl_->log_start_offset;
}

int64_t Log::log_end_offset() const {
    std::shared_lock lock(impl_->mutex);
    return impl_->log_end_offset;
}

int64_t Log::recovery_point() const {
    std::shared_lock lock(impl_->mutex);
    return impl_->recovery_point;
}

int64_t Log::size_bytes() const {
    std::shared_lock lock(impl_->mutex);
    int64_t total = 0;
    for (const auto& [base, segment] : impl_->segments) {
        total += segment->size_bytes();
    }
    return total;
}

int32_t Log::segment_count() const {
    std::shared_lock lock(impl_->mutex);
    return static_cast<int32_t>(impl_->segments.size());
}

const TopicPartition& Log::topic_partition() const {
    return impl_->tp;
}

const fs::path& Log::dir() const {
    return impl_->dir;
}

LogConfig Log::config() const {
    std::shared_lock lock(impl_->mutex);
    return impl_->config;
}

void Log::update_config(const LogConfig& config) {
    std::unique_lock lock(impl_->mutex);
    impl_->config = config;
    for (auto& [base, segment] : impl_->segments) {
        segment->update_config(config);
    }
}

LeaderEpochCache& Log::leader_epochs() {
    return *impl_->epochs;
}

FileCache* Log::file_cache() const {
    return impl_->files;
}

std::vector<ActiveProducer> Log::active_producers() const {
    std::shared_lock lock(impl_->mutex);
    return impl_->producers->active_producers();
}

size_t Log::remove_expired_producers() {
    std::unique_lock lock(impl_->mutex);
    return impl_->producers->remove_expired(impl_->clock(), impl_->producer_id_expiration_ms);
}

void Log::set_high_watermark(int64_t high_watermark) {
    std::unique_lock lock(impl_->mutex);
    impl_->high_watermark = high_watermark;
}

std::vector<std::shared_ptr<Segment>> Log::segments() const {
    std::shared_lock lock(impl_->mutex);
    std::vector<std::shared_ptr<Segment>> out;
    out.reserve(impl_->segments.size());
    for (const auto& [base, segment] : impl_->segments) {
        out.push_back(segment);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Flush, roll, retention, truncation

Result<int64_t> Log::flush(int64_t offset) {
    Impl& d = *impl_;
    std::vector<std::shared_ptr<const FileHandle>> handles;
    std::vector<fs::path> paths;  // for error messages: taken under the lock
    std::vector<SegmentPtr> to_flush;
    uint64_t truncations = 0;
    {
        std::shared_lock lock(d.mutex);
        if (d.closed) {
            return fail(Errc::closed, d.name() + " is closed");
        }
        offset = std::min(offset, d.log_end_offset);
        if (offset <= d.recovery_point) {
            return d.recovery_point;
        }
        truncations = d.truncations;
        auto it = d.segments.upper_bound(d.recovery_point);
        if (it != d.segments.begin()) {
            --it;
        }
        for (; it != d.segments.end() && it->first < offset; ++it) {
            auto handle = it->second->handle();
            if (!handle) {
                return unexpected<Error>(handle.error());
            }
            handles.push_back(std::move(*handle));
            paths.push_back(it->second->log_path());
            to_flush.push_back(it->second);
        }
    }
    // The fsyncs run outside the lock so appends continue meanwhile.
    for (size_t i = 0; i < handles.size(); ++i) {
        if (::fdatasync(handles[i]->fd()) != 0) {
            return io_failure("fdatasync", paths[i], errno);
        }
    }
    {
        std::shared_lock lock(d.mutex);
        for (const SegmentPtr& segment : to_flush) {
            auto ok = segment->flush_indexes();
            if (!ok) {
                return unexpected<Error>(ok.error());
            }
        }
    }
    auto epochs = d.epochs->flush();
    if (!epochs) {
        return unexpected<Error>(epochs.error());
    }
    std::unique_lock lock(d.mutex);
    if (d.truncations == truncations) {
        // A truncation meanwhile may have replaced the flushed bytes with unflushed ones.
        d.recovery_point = std::max(d.recovery_point, std::min(offset, d.log_end_offset));
    }
    return d.recovery_point;
}

Result<bool> Log::maybe_roll(bool force) {
    Impl& d = *impl_;
    std::unique_lock lock(d.mutex);
    if (d.closed) {
        return fail(Errc::closed, d.name() + " is closed");
    }
    if (force) {
        if (d.active().empty()) {
            return false;
        }
    } else {
        RollParams params;
        params.now_ms = d.clock();
        params.max_timestamp_in_messages = params.now_ms;
        params.max_offset_in_messages = d.log_end_offset;
        if (!d.active().should_roll(d.config, params) || d.active().empty()) {
            return false;
        }
    }
    auto rolled = d.roll(d.log_end_offset);
    if (!rolled) {
        return unexpected<Error>(rolled.error());
    }
    return true;
}

Result<int64_t> Log::increment_log_start_offset(int64_t new_start) {
    Impl& d = *impl_;
    std::unique_lock lock(d.mutex);
    if (d.closed) {
        return fail(Errc::closed, d.name() + " is closed");
    }
    if (new_start > d.log_end_offset) {
        return fail(Errc::offset_out_of_range, d.name() + ": log start " + std::to_string(new_start)
                                                   + " above the log end "
                                                   + std::to_string(d.log_end_offset));
    }
    if (new_start > d.log_start_offset) {
        d.log_start_offset = new_start;
        d.recovery_point = std::max(d.recovery_point, new_start);
        d.epochs->truncate_from_start(new_start);
    }
    return d.log_start_offset;
}

Result<int32_t> Log::Impl::delete_old_segments(
    const std::function<bool(const Segment&, const Segment*)>& predicate, const char* reason) {
    // Kafka's LocalLog.deletableSegments + UnifiedLog.deleteSegments.
    const int64_t hw = high_watermark >= 0 ? high_watermark : log_end_offset;
    std::vector<SegmentPtr> deletable;
    for (auto it = segments.begin(); it != segments.end(); ++it) {
        auto next = std::next(it);
        const Segment* next_segment = next == segments.end() ? nullptr : next->second.get();
        const int64_t upper_bound = next_segment != nullptr ? next->first : log_end_offset;
        const bool last_and_empty = next_segment == nullptr && it->second->empty();
        if (hw < upper_bound || last_and_empty || !predicate(*it->second, next_segment)) {
            break;
        }
        deletable.push_back(it->second);
    }
    if (deletable.empty()) {
        return 0;
    }
    if (deletable.size() == segments.size()) {
        // A log always keeps one segment: roll a fresh active one first.
        auto rolled = roll(log_end_offset);
        if (!rolled) {
            return unexpected<Error>(rolled.error());
        }
    }
    for (const SegmentPtr& segment : deletable) {
        segments.erase(segment->base_offset());
        producers->delete_snapshot(segment->base_offset());
        auto ok = schedule_delete(segment);
        if (!ok) {
            return unexpected<Error>(ok.error());
        }
        logger()->info("{}: deleting segment {} ({})", name(), segment->base_offset(), reason);
    }
    const int64_t first = segments.begin()->first;
    if (first > log_start_offset) {
        log_start_offset = first;
        recovery_point = std::max(recovery_point, first);
        epochs->truncate_from_start(first);
    }
    return static_cast<int32_t>(deletable.size());
}

Result<int32_t> Log::delete_retained_segments() {
    Impl& d = *impl_;
    std::unique_lock lock(d.mutex);
    if (d.closed) {
        return fail(Errc::closed, d.name() + " is closed");
    }
    const int64_t now = d.clock();
    int32_t deleted = 0;
    if (d.config.cleanup_delete) {
        if (d.config.retention_ms >= 0) {
            const int64_t retention_ms = d.config.retention_ms;
            auto n = d.delete_old_segments(
                [&](const Segment& s, const Segment*) {
                    return now - s.largest_timestamp() > retention_ms;
                },
                "retention.ms");
            if (!n) {
                return n;
            }
            deleted += *n;
        }
        int64_t total = 0;
        for (const auto& [base, segment] : d.segments) {
            total += segment->size_bytes();
        }
        if (d.config.retention_bytes >= 0 && total >= d.config.retention_bytes) {
            int64_t diff = total - d.config.retention_bytes;
            auto n = d.delete_old_segments(
                [&](const Segment& s, const Segment*) {
                    if (diff - s.size_bytes() >= 0) {
                        diff -= s.size_bytes();
                        return true;
                    }
                    return false;
                },
                "retention.bytes");
            if (!n) {
                return n;
            }
            deleted += *n;
        }
    }
    const int64_t start = d.log_start_offset;
    auto n = d.delete_old_segments(
        [&](const Segment&, const Segment* next) {
            return next != nullptr && next->base_offset() <= start;
        },
        "log start offset");
    if (!n) {
        return n;
    }
    deleted += *n;
    if (d.config.file_delete_delay_ms <= 0) {
        lock.unlock();
        purge_deleted_files();
    }
    return deleted;
}

void Log::purge_deleted_files() {
    Impl& d = *impl_;
    std::unique_lock lock(d.mutex);
    const int64_t now = d.clock();
    auto due = std::partition(d.pending_deletes.begin(), d.pending_deletes.end(),
                              [&](const Impl::PendingDelete& p) { return p.due_ms > now; });
    for (auto it = due; it != d.pending_deletes.end(); ++it) {
        auto ok = it->segment->delete_files();
        if (!ok) {
            logger()->error("{}: {}", d.name(), ok.error().message);
        }
    }
    d.pending_deletes.erase(due, d.pending_deletes.end());
}

Result<bool> Log::truncate_to(int64_t offset) {
    Impl& d = *impl_;
    std::unique_lock lock(d.mutex);
    if (d.closed) {
        return fail(Errc::closed, d.name() + " is closed");
    }
    if (offset < 0) {
        return fail(Errc::invalid_offset, d.name() + ": cannot truncate to a negative offset");
    }
    if (offset >= d.log_end_offset) {
        return false;
    }
    if (offset < d.segments.begin()->first) {
        lock.unlock();
        return truncate_fully_and_start_at(offset);
    }
    logger()->info("{}: truncating to offset {}", d.name(), offset);
    const bool active_changes = d.active().base_offset() > offset;
    while (d.segments.rbegin()->first > offset) {
        SegmentPtr doomed = d.segments.rbegin()->second;
        d.segments.erase(doomed->base_offset());
        auto ok = d.schedule_delete(doomed);
        if (!ok) {
            return ok;
        }
    }
    auto cut = d.active().truncate_to(offset, d.clock());
    if (!cut) {
        return unexpected<Error>(cut.error());
    }
    if (active_changes) {
        auto activated = d.active().on_become_active();
        if (!activated) {
            return activated;
        }
    }
    d.log_end_offset = offset;
    d.recovery_point = std::min(d.recovery_point, offset);
    d.log_start_offset = std::min(d.log_start_offset, offset);
    ++d.truncations;
    d.epochs->truncate_from_end(offset);
    auto rebuilt = d.rebuild_producer_state(offset);
    if (!rebuilt) {
        return rebuilt;
    }
    d.check_invariants();
    return true;
}

Result<bool> Log::truncate_fully_and_start_at(int64_t offset) {
    Impl& d = *impl_;
    std::unique_lock lock(d.mutex);
    if (d.closed) {
        return fail(Errc::closed, d.name() + " is closed");
    }
    logger()->info("{}: truncating fully, restarting at offset {}", d.name(), offset);
    auto ok = d.delete_all_segments();
    if (!ok) {
        return ok;
    }
    auto fresh = Segment::create(d.dir, offset, d.config, d.files, d.clock());
    if (!fresh) {
        return unexpected<Error>(fresh.error());
    }
    d.segments.emplace(offset, std::move(*fresh));
    d.log_end_offset = offset;
    d.log_start_offset = offset;
    d.recovery_point = offset;
    ++d.truncations;
    d.epochs->clear();
    d.producers->delete_snapshots_above(-1);
    d.producers->clear();
    d.producers->set_map_end_offset(offset);
    d.check_invariants();
    return true;
}

Result<bool> Log::replace_segments(std::vector<std::shared_ptr<Segment>> cleaned,
                                   const std::vector<std::shared_ptr<Segment>>& old_segments) {
    Impl& d = *impl_;
    std::unique_lock lock(d.mutex);
    if (d.closed) {
        return fail(Errc::closed, d.name() + " is closed");
    }
    if (cleaned.empty()) {
        return fail(Errc::invalid_offset, d.name() + ": nothing to swap in");
    }
    std::sort(cleaned.begin(), cleaned.end(), [](const SegmentPtr& a, const SegmentPtr& b) {
        return a->base_offset() < b->base_offset();
    });
    for (const SegmentPtr& old : old_segments) {
        auto it = d.segments.find(old->base_offset());
        if (it == d.segments.end() || it->second != old) {
            return fail(Errc::not_found, d.name() + ": segment "
                                             + std::to_string(old->base_offset())
                                             + " is no longer in the log");
        }
        if (old.get() == &d.active()) {
            return fail(Errc::invalid_offset, d.name() + ": the active segment cannot be replaced");
        }
    }
    // Kafka's LocalLog.replaceSegments: data durable, .cleaned -> .swap, old -> .deleted,
    // .swap -> live. A crash at any point is completed or undone by resolve_leftover_files.
    for (const SegmentPtr& segment : cleaned) {
        segment->set_file_cache(d.files);
        segment->update_config(d.config);
        auto ok = segment->on_become_inactive();  // trimmed indexes, final time-index entry
        if (ok) {
            ok = segment->flush();
        }
        if (ok) {
            ok = segment->change_suffix(kSwapFileSuffix);
        }
        if (!ok) {
            return ok;
        }
    }
    auto synced = fsync_dir(d.dir);
    if (!synced) {
        return synced;
    }
    for (const SegmentPtr& old : old_segments) {
        d.segments.erase(old->base_offset());
        auto ok = d.schedule_delete(old);
        if (!ok) {
            return ok;
        }
    }
    for (const SegmentPtr& segment : cleaned) {
        auto ok = segment->change_suffix("");
        if (!ok) {
            return ok;
        }
        d.segments[segment->base_offset()] = segment;
    }
    synced = fsync_dir(d.dir);
    if (!synced) {
        return synced;
    }
    d.check_invariants();
    return true;
}

void Log::close() {
    Impl& d = *impl_;
    std::unique_lock lock(d.mutex);
    if (d.closed) {
        return;
    }
    d.closed = true;
    d.snapshot_producers(d.log_end_offset, true);  // the next open replays nothing
    for (auto& [base, segment] : d.segments) {
        segment->close();
    }
    for (auto& pending : d.pending_deletes) {
        auto ok = pending.segment->delete_files();
        if (!ok) {
            logger()->warn("{}: {}", d.name(), ok.error().message);
        }
    }
    d.pending_deletes.clear();
    auto flushed = d.epochs->flush();
    if (!flushed) {
        logger()->warn("{}: {}", d.name(), flushed.error().message);
    }
}

Result<bool> Log::remove() {
    close();
    std::error_code ec;
    fs::remove_all(impl_->dir, ec);
    if (ec) {
        return io_failure("remove", impl_->dir, ec.value());
    }
    return true;
}

}  // namespace gregor::storage
