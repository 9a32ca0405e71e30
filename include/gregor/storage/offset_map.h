#pragma once

// The cleaner's key → latest offset map (Kafka's OffsetMap / SkinnyOffsetMap; named
// CleanerOffsetMap here because checkpoint.h's OffsetMap is the per-partition offset map): a
// fixed-size open-addressing table of 24-byte entries (a 128-bit hash of the key + the offset),
// sized from log.cleaner.dedupe.buffer.size. Keys are never stored, only their hashes: two keys
// with the same 128-bit hash count as one key, as in Kafka (MD5 there, MurmurHash3 x64/128 here).
// The table is only ever filled to `load_factor` of its slots (log.cleaner.io.buffer.load.factor,
// 0.9); the cleaner stops mapping when full() and cleans the part of the log it mapped.
//
// Not thread-safe: one map per cleaner thread.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace gregor::storage {

class CleanerOffsetMap {
public:
    static constexpr size_t kBytesPerEntry = 24;  // 16-byte hash + 8-byte offset

    // `memory_bytes` / 24 slots (at least 2), allocated on first use and kept.
    explicit CleanerOffsetMap(size_t memory_bytes, double load_factor = 0.9);

    // Records `offset` as the latest offset of `key`. Returns false (and changes nothing) when
    // the key is new and the map already holds max_entries() keys.
    bool put(std::span<const uint8_t> key, int64_t offset);
    // The latest offset put for `key`, or -1.
    int64_t get(std::span<const uint8_t> key) const;

    // Whether another new key would exceed the load factor.
    bool full() const { return size_ >= max_entries_; }
    size_t size() const { return size_; }
    size_t slots() const { return slots_; }
    size_t max_entries() const { return max_entries_; }
    double utilization() const { return static_cast<double>(size_) / static_cast<double>(slots_); }

    // The last offset the map covers (every batch up to and including it was read), -1 if none.
    int64_t latest_offset() const { return latest_offset_; }
    void update_latest_offset(int64_t offset) { latest_offset_ = offset; }

    // Empties the map (keeps the memory).
    void clear();

    // MurmurHash3 x64/128 of `key` (seed 0): the 16 bytes stored per key.
    static std::array<uint64_t, 2> hash(std::span<const uint8_t> key);

private:
    struct Entry {
        uint64_t h1 = 0;
        uint64_t h2 = 0;
        int64_t offset = -1;  // -1 = empty slot
    };
    static_assert(sizeof(Entry) == kBytesPerEntry);

    size_t find_slot(const std::array<uint64_t, 2>& h) const;
    void ensure_allocated() const;

    size_t slots_;
    size_t max_entries_;
    size_t size_ = 0;
    int64_t latest_offset_ = -1;
    mutable std::vector<Entry> entries_;
};

}  // namespace gregor::storage
