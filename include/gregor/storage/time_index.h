#pragma once

// A segment's time index (`.timeindex`, Kafka's TimeIndex; docs/formats.md): 12-byte entries of
// (max timestamp so far: int64, offset - base offset: int32), appended only when the timestamp
// grows, so both fields are monotonic. One slot is kept free for the entry written on roll.
//
// Owns its IndexFile. Threads: not synchronised; the owning Segment serialises access.
// Invariants: timestamps strictly increase and offsets never decrease along the entries.

#include "gregor/storage/errors.h"
#include "gregor/storage/index_file.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace gregor::storage {

struct TimeIndexEntry {
    int64_t timestamp = -1;
    int64_t offset = 0;
};

class TimeIndex {
public:
    static constexpr size_t kEntrySize = 12;

    static Result<std::unique_ptr<TimeIndex>> open(const std::filesystem::path& path,
                                                   int64_t base_offset,
                                                   int64_t max_bytes,
                                                   bool writable);

    int64_t base_offset() const { return base_offset_; }
    size_t entries() const { return file_->entries(); }
    size_t max_entries() const { return file_->max_entries(); }
    // Kafka reserves the last slot for the entry appended on roll.
    bool is_full() const { return entries() + 1 >= max_entries(); }
    TimeIndexEntry entry(size_t i) const;
    // The last entry, or (-1, base offset) when empty.
    TimeIndexEntry last_entry() const;

    // Kafka's maybeAppend: appends when `timestamp` is above the last entry's and `offset` is not
    // below it, and there is room (the reserved slot too when `skip_full_check`). Returns whether
    // it appended.
    bool maybe_append(int64_t timestamp, int64_t offset, bool skip_full_check = false);
    // The last entry with timestamp <= target, or (-1, base offset) when none.
    TimeIndexEntry lookup(int64_t target_timestamp) const;
    // Removes every entry with offset >= `offset`.
    void truncate_to(int64_t offset);
    void reset() { file_->truncate_to_entries(0); }

    // Kafka's sanityCheck plus monotonicity: "" when sane, else why not.
    std::string sanity_check() const;

    IndexFile& file() { return *file_; }
    const IndexFile& file() const { return *file_; }

private:
    TimeIndex(std::unique_ptr<IndexFile> file, int64_t base_offset)
        : file_(std::move(file)), base_offset_(base_offset) {}

    std::unique_ptr<IndexFile> file_;
    int64_t base_offset_;
};

}  // namespace gregor::storage
