#include "gregor/storage/offset_map.h"

#include "gregor/common/assert.h"

#include <algorithm>
#include <cstring>

namespace gregor::storage {

namespace {

uint64_t rotl64(uint64_t x, int r) {
    return (x << r) | (x >> (64 - r));
}

uint64_t fmix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

uint64_t load_le64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) {
        v = (v << 8) | p[i];
    }
    return v;
}

}  // namespace

CleanerOffsetMap::CleanerOffsetMap(size_t memory_bytes, double load_factor)
    : slots_(std::max<size_t>(2, memory_bytes / kBytesPerEntry)) {
    GREGOR_ASSERT(load_factor > 0.0 && load_factor <= 1.0, "load factor must be in (0, 1]");
    // Open addressing needs one free slot to terminate a probe.
    max_entries_ = std::clamp<size_t>(
        static_cast<size_t>(static_cast<double>(slots_) * load_factor), 1, slots_ - 1);
}

std::array<uint64_t, 2> CleanerOffsetMap::hash(std::span<const uint8_t> key) {
    // MurmurHash3_x64_128 (public domain, Austin Appleby), seed 0.
    const uint8_t* data = key.data();
    const size_t len = key.size();
    const size_t nblocks = len / 16;
    uint64_t h1 = 0;
    uint64_t h2 = 0;
    constexpr uint64_t c1 = 0x87c37b91114253d5ULL;
    constexpr uint64_t c2 = 0x4cf5ad432745937fULL;

    for (size_t i = 0; i < nblocks; ++i) {
        uint64_t k1 = load_le64(data + i * 16);
        uint64_t k2 = load_le64(data + i * 16 + 8);
        k1 *= c1;
        k1 = rotl64(k1, 31);
        k1 *= c2;
        h1 ^= k1;
        h1 = rotl64(h1, 27);
        h1 += h2;
        h1 = h1 * 5 + 0x52dce729;
        k2 *= c2;
        k2 = rotl64(k2, 33);
        k2 *= c1;
        h2 ^= k2;
        h2 = rotl64(h2, 31);
        h2 += h1;
        h2 = h2 * 5 + 0x38495ab5;
    }

    const uint8_t* tail = data + nblocks * 16;
    const size_t rest = len & 15;
    uint64_t k1 = 0;
    uint64_t k2 = 0;
    for (size_t i = rest; i > 8; --i) {
        k2 ^= static_cast<uint64_t>(tail[i - 1]) << ((i - 9) * 8);
    }
    if (rest > 8) {
        k2 *= c2;
        k2 = rotl64(k2, 33);
        k2 *= c1;
        h2 ^= k2;
    }
    for (size_t i = std::min<size_t>(rest, 8); i > 0; --i) {
        k1 ^= static_cast<uint64_t>(tail[i - 1]) << ((i - 1) * 8);
    }
    if (rest > 0) {
        k1 *= c1;
        k1 = rotl64(k1, 31);
        k1 *= c2;
        h1 ^= k1;
    }

    h1 ^= static_cast<uint64_t>(len);
    h2 ^= static_cast<uint64_t>(len);
    h1 += h2;
    h2 += h1;
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 += h2;
    h2 += h1;
    return {h1, h2};
}

void CleanerOffsetMap::ensure_allocated() const {
    if (entries_.empty()) {
        entries_.resize(slots_);
    }
}

size_t CleanerOffsetMap::find_slot(const std::array<uint64_t, 2>& h) const {
    // Linear probing from the first hash word; terminates because the map is never full.
    size_t i = static_cast<size_t>(h[0] % slots_);
    while (true) {
        const Entry& e = entries_[i];
        if (e.offset < 0 || (e.h1 == h[0] && e.h2 == h[1])) {
            return i;
        }
        i = (i + 1 == slots_) ? 0 : i + 1;
    }
}

bool CleanerOffsetMap::put(std::span<const uint8_t> key, int64_t offset) {
    GREGOR_ASSERT(offset >= 0, "offsets are non-negative");
    ensure_allocated();
    const auto h = hash(key);
    Entry& e = entries_[find_slot(h)];
    if (e.offset < 0) {
        if (full()) {
            return false;
        }
        e.h1 = h[0];
        e.h2 = h[1];
        ++size_;
    }
    e.offset = offset;
    return true;
}

int64_t CleanerOffsetMap::get(std::span<const uint8_t> key) const {
    if (size_ == 0) {
        return -1;
    }
    ensure_allocated();
    const Entry& e = entries_[find_slot(hash(key))];
    return e.offset;
}

void CleanerOffsetMap::clear() {
    if (!entries_.empty() && size_ > 0) {
        std::fill(entries_.begin(), entries_.end(), Entry{});
    }
    size_ = 0;
    latest_offset_ = -1;
}

}  // namespace gregor::storage
