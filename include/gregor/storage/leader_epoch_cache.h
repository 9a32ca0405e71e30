#pragma once

// A partition's leader epochs (KIP-101/279): for each epoch, the first offset written in it, kept
// in `<partition dir>/leader-epoch-checkpoint` (docs/formats.md) with Kafka's
// LeaderEpochFileCache semantics. Entries are ordered by epoch, and their start offsets strictly
// increase with the epoch.
//
// Persistence is explicit: assign, truncate_from_end, truncate_from_start and clear change the
// entries in memory only; flush() writes them (tmp, fsync, rename, fsync dir) so the caller sees
// the I/O error as a value. Kafka's assign writes synchronously, so a Log that wants Kafka's
// guarantee calls flush() after an assign that changed something (flush() is a no-op otherwise);
// truncations may be flushed lazily, as Kafka does, because recovery truncates the cache again.
//
// Threads: every method may be called from any thread (one internal mutex; flush() writes the file
// outside it, so readers are not held up by the fsync).

#include "gregor/storage/errors.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace gregor::storage {

struct EpochEntry {
    int32_t epoch;
    int64_t start_offset;
    bool operator==(const EpochEntry&) const = default;
};

class LeaderEpochCache {  // <partition dir>/leader-epoch-checkpoint
public:
    // Reads the checkpoint (a missing or empty file gives an empty cache). Entries are replayed
    // through assign(), as Kafka does, so a non-monotonic file is repaired on load. Corruption when
    // the file is malformed or holds a negative epoch or offset; io_error when it cannot be read.
    static Result<std::unique_ptr<LeaderEpochCache>> open(
        const std::filesystem::path& checkpoint_file);

    // Records that `epoch` starts at `start_offset`. A no-op when `epoch` is already the latest
    // epoch with a start offset <= `start_offset`. Otherwise every entry with an epoch >= `epoch`
    // or a start offset >= `start_offset` is removed first (they conflict with the new entry).
    // Negative epochs or offsets (a batch without a leader epoch) are ignored.
    void assign(int32_t epoch, int64_t start_offset);

    std::optional<int32_t> latest_epoch() const;

    // OffsetForLeaderEpoch (KIP-101/279): the largest epoch <= `requested_epoch` and the end of
    // that epoch: the start of the next larger epoch, or `log_end_offset` when `requested_epoch`
    // is the latest epoch. A requested epoch below the first one gives {requested_epoch, start of
    // the first epoch}. nullopt (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET) when `requested_epoch`
    // is -1, above every known epoch, or the cache is empty.
    std::optional<EpochEntry> end_offset_for(int32_t requested_epoch, int64_t log_end_offset) const;

    // The epoch of the batch at `offset`: the entry with the largest start offset <= `offset`.
    std::optional<int32_t> epoch_for_offset(int64_t offset) const;

    // Drops entries with start_offset >= end_offset (follower truncation, recovery). No-op for a
    // negative `end_offset`.
    void truncate_from_end(int64_t end_offset);
    // Drops entries with start_offset <= start_offset, then re-adds the last dropped one starting
    // at `start_offset` (the log start moved up: retention, DeleteRecords). An entry starting
    // exactly at `start_offset` is kept.
    void truncate_from_start(int64_t start_offset);

    std::vector<EpochEntry> entries() const;
    void clear();

    // Writes the entries when they changed since the last flush (or the file does not exist yet).
    Result<bool> flush();

    const std::filesystem::path& path() const { return file_; }

private:
    explicit LeaderEpochCache(std::filesystem::path file);
    // Both require mutex_ held.
    bool assign_locked(int32_t epoch, int64_t start_offset);
    std::optional<EpochEntry> latest_locked() const;

    const std::filesystem::path file_;
    mutable std::mutex mutex_;
    std::vector<EpochEntry> entries_;  // ordered by epoch; guarded by mutex_
    uint64_t version_ = 0;             // bumped on every change; guarded by mutex_
    uint64_t flushed_version_ = 0;     // version_ last written; guarded by mutex_
    bool file_exists_ = false;         // guarded by mutex_
    std::mutex flush_mutex_;           // serialises flush() so files are written in version order
};

}  // namespace gregor::storage
