#pragma once

// One segment of a partition log (Kafka's LogSegment; docs/formats.md): `<base>.log` holding
// batches verbatim, its sparse `.index` and its `.timeindex`. Files may carry a transient suffix
// (`.cleaned`, `.swap`, `.deleted`) after the usual extension, as Kafka names them.
//
// Owns: the index mappings (loaded lazily, no descriptor kept) and either a pinned `.log`
// descriptor (no FileCache) or a registration in the FileCache (the descriptor is opened on
// demand and may be closed while idle).
//
// Threads: mutations (append, truncate_to, roll, suffix changes, recovery, close) must be
// serialised by the caller (the Log's exclusive lock); const methods may run concurrently with each
// other (the Log's shared lock). Lazy index loading is guarded internally.
//
// Invariants: every batch's offsets lie in [base_offset, base_offset + 2^31 - 1] and increase;
// size_bytes() is the end of the last whole batch written; index entries point at batch starts.

#include "gregor/common/file_handle.h"
#include "gregor/storage/errors.h"
#include "gregor/storage/log_config.h"
#include "gregor/storage/offset_index.h"
#include "gregor/storage/time_index.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gregor::storage {

class FileCache;
class LeaderEpochCache;

inline constexpr std::string_view kLogFileSuffix = ".log";
inline constexpr std::string_view kIndexFileSuffix = ".index";
inline constexpr std::string_view kTimeIndexFileSuffix = ".timeindex";
inline constexpr std::string_view kCleanedFileSuffix = ".cleaned";
inline constexpr std::string_view kSwapFileSuffix = ".swap";
inline constexpr std::string_view kDeletedFileSuffix = ".deleted";

// "00000000000000000042" (Kafka's LogFileUtils.filenamePrefixFromOffset).
std::string segment_file_prefix(int64_t base_offset);
// The base offset of a name that starts with 20 digits and a '.', else nullopt.
std::optional<int64_t> segment_base_offset_from_name(std::string_view file_name);

// One batch header as found in a `.log`.
struct BatchInfo {
    int64_t base_offset = 0;
    int64_t last_offset = 0;
    int64_t max_timestamp = -1;
    int32_t partition_leader_epoch = -1;
    uint32_t position = 0;  // in the .log
    uint32_t size = 0;      // whole batch, LOG_OVERHEAD included
    // For producer state (idempotence, transactions).
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    int32_t base_sequence = -1;
    bool transactional = false;
    bool control = false;
};

// What recover() found.
struct SegmentRecovery {
    int64_t bytes_truncated = 0;
    int64_t batches_validated = 0;
    int64_t bytes_validated = 0;
    int64_t next_offset = 0;  // after the last valid batch (base offset when none)
    std::string error;        // why the first invalid batch was invalid ("" when none)
};

// Segment::read's result: whole batches as one slice of the .log.
struct SegmentRead {
    FileSlice slice;
    int64_t first_batch_offset = -1;
    int64_t last_offset = -1;  // of the last batch returned
};

// Kafka's RollParams: what the append about to happen would add.
struct RollParams {
    int64_t messages_size = 0;
    int64_t max_timestamp_in_messages = -1;
    int64_t max_offset_in_messages = 0;
    int64_t now_ms = 0;
};

class Segment {
public:
    // Creates an empty segment, truncating files that exist. `suffix` is "" for a live segment,
    // kCleanedFileSuffix for a cleaner's output. The indexes are preallocated (active segment).
    static Result<std::shared_ptr<Segment>> create(const std::filesystem::path& dir,
                                                   int64_t base_offset,
                                                   const LogConfig& config,
                                                   FileCache* files,
                                                   int64_t now_ms,
                                                   std::string_view suffix = "");
    // Opens an existing `.log` (plus suffix). A missing `.index`/`.timeindex` is created empty and
    // reported by indexes_missing() so the caller rebuilds it.
    static Result<std::shared_ptr<Segment>> open(const std::filesystem::path& dir,
                                                 int64_t base_offset,
                                                 const LogConfig& config,
                                                 FileCache* files,
                                                 int64_t now_ms,
                                                 std::string_view suffix = "");
    ~Segment();
    Segment(const Segment&) = delete;
    Segment& operator=(const Segment&) = delete;

    int64_t base_offset() const { return base_offset_; }
    int64_t size_bytes() const { return size_.load(std::memory_order_acquire); }
    bool empty() const { return size_bytes() == 0; }
    const std::string& suffix() const { return suffix_; }
    // Cached: built on every append and read it would cost more than the write itself.
    const std::filesystem::path& log_path() const;
    std::filesystem::path index_path() const;
    std::filesystem::path time_index_path() const;
    bool indexes_missing() const { return indexes_missing_; }
    void update_config(const LogConfig& config);

    // Appends batches that are valid, have offsets assigned within this segment and increasing,
    // with one write; then updates the indexes. On a failed write the file is cut back and
    // io_error returned.
    Result<bool> append(std::span<const uint8_t> batches);

    // The first batch whose last offset is >= `offset` (index floor, then a header scan); nullopt
    // when the segment ends before it.
    Result<std::optional<BatchInfo>> find_batch(int64_t offset) const;
    // Whole batches from the one holding `offset`: at most `max_bytes` (but the first one whatever
    // its size when `min_one_batch`), only batches whose last offset is below `max_offset`.
    // nullopt when no batch qualifies.
    Result<std::optional<SegmentRead>> read(int64_t offset,
                                            int64_t max_bytes,
                                            int64_t max_offset,
                                            bool min_one_batch) const;
    // Raw bytes of the .log (cleaner, tools, tests).
    Result<std::vector<uint8_t>> read_bytes(uint64_t position, uint32_t size) const;
    // Calls `fn` for each batch header from `position` until it returns false or the data ends.
    Result<bool> for_each_batch(uint64_t position,
                                const std::function<bool(const BatchInfo&)>& fn) const;
    // The .log descriptor (for a caller that reads whole batches itself).
    Result<std::shared_ptr<const FileHandle>> handle() const;

    // The first record at or after `starting_offset` with a timestamp >= `timestamp`.
    Result<std::optional<TimeIndexEntry>> find_offset_by_timestamp(int64_t timestamp,
                                                                   int64_t starting_offset) const;
    // The record holding max_timestamp_so_far() (ListOffsets MAX_TIMESTAMP).
    Result<TimeIndexEntry> find_max_timestamp_record() const;
    int64_t max_timestamp_so_far() const { return max_timestamp_; }
    int64_t offset_of_max_timestamp_so_far() const { return offset_of_max_timestamp_; }
    // The largest timestamp, or the .log's modification time when no batch has one.
    int64_t largest_timestamp() const;
    // The offset after the last batch (base offset when empty).
    Result<int64_t> read_next_offset() const;

    // Kafka's LogSegment.shouldRoll.
    bool should_roll(const LogConfig& config, const RollParams& params) const;
    // On roll: a last time-index entry for the largest timestamp, indexes and .log trimmed.
    Result<bool> on_become_inactive();
    // When this segment becomes the active one again: indexes resized to segment.index.bytes.
    Result<bool> on_become_active();

    // Kafka's LogSegment.recover: rescans the .log, validating every batch (CRC-32C, framing,
    // offsets increasing, >= max(base, `min_offset`), fitting the segment) and rebuilding both
    // indexes; cuts the file at the first invalid byte. When `epochs` is set, assigns each batch's
    // partition leader epoch to it.
    Result<SegmentRecovery> recover(int64_t min_offset, LeaderEpochCache* epochs);
    // Loads the indexes and checks them (Kafka's sanityCheck plus monotonicity, entries inside
    // the .log): "" when sane. Also sets the max timestamp from the time index.
    Result<std::string> sanity_check_indexes();

    // Removes every batch from the one holding `offset` on (and their index entries); returns the
    // bytes removed.
    Result<int64_t> truncate_to(int64_t offset, int64_t now_ms);
    // fdatasync of the .log, msync of the indexes.
    Result<bool> flush();
    // msync of the indexes only (the Log fsyncs descriptors outside its lock).
    Result<bool> flush_indexes();
    // Unmaps the indexes of an inactive segment; they load again on the next use. Only while no
    // other thread uses the segment (log loading).
    void release_indexes();
    // Renames the three files from the current suffix to `suffix` ("" = live).
    Result<bool> change_suffix(std::string_view suffix);
    // Unlinks the three files (under their current names). Open slices stay readable.
    Result<bool> delete_files();
    // Moves the descriptor under `files` (nullptr = pinned).
    void set_file_cache(FileCache* files);
    // Writes the last time-index entry, trims indexes (and a preallocated .log), unmaps, drops the
    // descriptor. Idempotent.
    void close();

    // Index access for tools and tests (loads lazily).
    Result<const OffsetIndex*> offset_index() const;
    Result<const TimeIndex*> time_index() const;

private:
    Segment(std::filesystem::path dir,
            int64_t base_offset,
            const LogConfig& config,
            FileCache* files,
            int64_t now_ms,
            std::string suffix);
    std::filesystem::path file_path(std::string_view extension) const;
    Result<bool> load_indexes() const;
    Result<bool> init_log(bool create);
    void index_batch(const BatchInfo& batch);
    Result<bool> recompute_max_timestamp();
    Result<bool> trim_log_file();

    const std::filesystem::path dir_;
    const int64_t base_offset_;
    LogConfig config_;
    FileCache* files_;
    uint64_t file_id_ = 0;
    std::shared_ptr<const FileHandle> pinned_;  // when files_ == nullptr
    std::string suffix_;
    std::filesystem::path log_path_;  // file_path(".log"), kept in step with suffix_

    std::atomic<int64_t> size_{0};
    int64_t created_ms_;
    int64_t roll_jitter_ms_ = 0;
    mutable std::optional<int64_t> rolling_based_timestamp_;  // first batch's max timestamp
    int64_t max_timestamp_ = -1;
    int64_t offset_of_max_timestamp_ = -1;
    int64_t bytes_since_last_index_entry_ = 0;
    bool indexes_missing_ = false;
    bool active_ = false;  // indexes preallocated
    bool closed_ = false;

    mutable std::mutex index_mutex_;  // guards lazy loading of the two indexes
    mutable std::unique_ptr<OffsetIndex> offset_index_;
    mutable std::unique_ptr<TimeIndex> time_index_;
};

}  // namespace gregor::storage
