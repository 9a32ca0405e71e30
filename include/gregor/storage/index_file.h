#pragma once

// A memory-mapped file of fixed-size entries: the storage shared by the offset index and the time
// index (Kafka's AbstractIndex). The file may be longer than its entries (preallocated); the
// mapping covers the whole file and entries() says how many are real.
//
// Owns one mapping; no descriptor is kept open (each resize reopens the file by path), so an index
// costs no fd. Threads: not synchronised; the owning Segment serialises access (appends happen
// under the log's exclusive lock, lookups under its shared lock).
//
// Invariants: entries_ * entry_size_ <= mapped_bytes_; mapped_bytes_ % entry_size_ == 0.

#include "gregor/storage/errors.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

namespace gregor::storage {

class IndexFile {
public:
    // Opens `path`, creating it when absent. A new file (or, when `writable`, an existing one) is
    // sized to `max_bytes` rounded down to a multiple of `entry_size`, but never below the entries
    // already present. An existing file's entries are its length / entry_size (rounded down).
    static Result<std::unique_ptr<IndexFile>> open(const std::filesystem::path& path,
                                                   size_t entry_size,
                                                   int64_t max_bytes,
                                                   bool writable);
    ~IndexFile();
    IndexFile(const IndexFile&) = delete;
    IndexFile& operator=(const IndexFile&) = delete;

    size_t entry_size() const { return entry_size_; }
    size_t entries() const { return entries_; }
    size_t max_entries() const { return mapped_bytes_ / entry_size_; }
    int64_t file_bytes() const { return static_cast<int64_t>(mapped_bytes_); }
    // The file's length when opened (before any resize): sanity checks want the raw size.
    int64_t initial_file_bytes() const { return initial_file_bytes_; }
    const std::filesystem::path& path() const { return path_; }

    std::span<const uint8_t> entry(size_t i) const;
    // Writes one entry after the last; false when the file is full.
    bool append(std::span<const uint8_t> entry);
    // Keeps the first `n` entries (n <= entries()); the rest of the file is zeroed.
    void truncate_to_entries(size_t n);
    // Resizes the file and mapping to `bytes` rounded down to the entry size (never below the
    // entries held).
    Result<bool> resize(int64_t bytes);
    // resize() to exactly the entries held (on roll and close).
    Result<bool> trim() { return resize(static_cast<int64_t>(entries_ * entry_size_)); }
    // msync of the mapping.
    Result<bool> flush();
    Result<bool> rename(const std::filesystem::path& to);
    // Unmaps; later calls other than the accessors are invalid.
    void close();

private:
    IndexFile(std::filesystem::path path, size_t entry_size);
    Result<bool> map(size_t bytes, bool writable);
    void unmap();

    std::filesystem::path path_;
    size_t entry_size_;
    uint8_t* data_ = nullptr;
    size_t mapped_bytes_ = 0;
    size_t entries_ = 0;
    int64_t initial_file_bytes_ = 0;
};

// Big-endian helpers for index entries.
inline void put_be32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}
inline uint32_t get_be32(const uint8_t* p) {
    return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16)
           | (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}
inline void put_be64(uint8_t* p, uint64_t v) {
    put_be32(p, static_cast<uint32_t>(v >> 32));
    put_be32(p + 4, static_cast<uint32_t>(v));
}
inline uint64_t get_be64(const uint8_t* p) {
    return (static_cast<uint64_t>(get_be32(p)) << 32) | get_be32(p + 4);
}

// "<what> <path>: <strerror(errno)>" as an io_error.
unexpected<Error> io_failure(const char* what, const std::filesystem::path& path, int err);

// Both indexes keep entries sorted by offset (the time index by timestamp too). The number of
// leading entries whose key(i) is <= target (upper) or < target (lower), by binary search.
template <typename KeyFn>
size_t count_entries_at_or_below(size_t count, int64_t target, KeyFn key) {
    size_t lo = 0;
    size_t hi = count;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (key(mid) <= target) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

template <typename KeyFn>
size_t count_entries_below(size_t count, int64_t target, KeyFn key) {
    return target == INT64_MIN ? 0 : count_entries_at_or_below(count, target - 1, key);
}

}  // namespace gregor::storage
