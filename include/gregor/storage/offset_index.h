#pragma once

// A segment's sparse offset index (`.index`, Kafka's OffsetIndex; docs/formats.md): 8-byte
// entries of (offset - base offset: int32, .log position: int32), strictly increasing, looked up
// by binary search for the floor entry of an offset.
//
// Owns its IndexFile. Threads: not synchronised; the owning Segment serialises access.
// Invariants: entry offsets and positions strictly increase; every relative offset fits int32.

#include "gregor/storage/errors.h"
#include "gregor/storage/index_file.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace gregor::storage {

struct OffsetPosition {
    int64_t offset = 0;
    uint32_t position = 0;
};

class OffsetIndex {
public:
    static constexpr size_t kEntrySize = 8;

    // See IndexFile::open. `max_bytes` is segment.index.bytes.
    static Result<std::unique_ptr<OffsetIndex>> open(const std::filesystem::path& path,
                                                     int64_t base_offset,
                                                     int64_t max_bytes,
                                                     bool writable);

    int64_t base_offset() const { return base_offset_; }
    size_t entries() const { return file_->entries(); }
    size_t max_entries() const { return file_->max_entries(); }
    bool is_full() const { return entries() >= max_entries(); }
    OffsetPosition entry(size_t i) const;
    // The last entry, or (base offset, 0) when empty.
    OffsetPosition last_entry() const;

    // Appends (offset, position) when the index has room and `offset` is above the last entry's.
    // Returns whether it did.
    bool append(int64_t offset, uint32_t position);
    // The last entry with offset <= target, or (base offset, 0) when none.
    OffsetPosition lookup(int64_t target) const;
    // Removes every entry with offset >= `offset`.
    void truncate_to(int64_t offset);
    void reset() { file_->truncate_to_entries(0); }

    // Kafka's sanityCheck plus a check that entries strictly increase: "" when sane, else why not.
    std::string sanity_check() const;

    IndexFile& file() { return *file_; }
    const IndexFile& file() const { return *file_; }

private:
    OffsetIndex(std::unique_ptr<IndexFile> file, int64_t base_offset)
        : file_(std::move(file)), base_offset_(base_offset) {}

    std::unique_ptr<IndexFile> file_;
    int64_t base_offset_;
};

}  // namespace gregor::storage
