#include "gregor/storage/time_index.h"

#include <array>
#include <limits>

namespace gregor::storage {

Result<std::unique_ptr<TimeIndex>> TimeIndex::open(const std::filesystem::path& path,
                                                   int64_t base_offset,
                                                   int64_t max_bytes,
                                                   bool writable) {
    auto file = IndexFile::open(path, kEntrySize, max_bytes, writable);
    if (!file) {
        return unexpected<Error>(file.error());
    }
    return std::unique_ptr<TimeIndex>(new TimeIndex(std::move(*file), base_offset));
}

TimeIndexEntry TimeIndex::entry(size_t i) const {
    const std::span<const uint8_t> e = file_->entry(i);
    TimeIndexEntry te;
    te.timestamp = static_cast<int64_t>(get_be64(e.data()));
    te.offset = base_offset_ + static_cast<int32_t>(get_be32(e.data() + 8));
    return te;
}

TimeIndexEntry TimeIndex::last_entry() const {
    if (entries() == 0) {
        TimeIndexEntry te;
        te.offset = base_offset_;
        return te;
    }
    return entry(entries() - 1);
}

bool TimeIndex::maybe_append(int64_t timestamp, int64_t offset, bool skip_full_check) {
    const int64_t relative = offset - base_offset_;
    if (relative < 0 || relative > std::numeric_limits<int32_t>::max()) {
        return false;
    }
    if (!skip_full_check && is_full()) {
        return false;
    }
    const TimeIndexEntry last = last_entry();
    if (entries() > 0 && offset < last.offset) {
        return false;
    }
    if (timestamp <= last.timestamp) {
        return false;
    }
    std::array<uint8_t, kEntrySize> e{};
    put_be64(e.data(), static_cast<uint64_t>(timestamp));
    put_be32(e.data() + 8, static_cast<uint32_t>(relative));
    return file_->append(e);
}

TimeIndexEntry TimeIndex::lookup(int64_t target_timestamp) const {
    const size_t lo = count_entries_at_or_below(entries(), target_timestamp,
                                                [this](size_t i) { return entry(i).timestamp; });
    if (lo == 0) {
        TimeIndexEntry te;
        te.offset = base_offset_;
        return te;
    }
    return entry(lo - 1);
}

void TimeIndex::truncate_to(int64_t offset) {
    const size_t keep =
        count_entries_below(entries(), offset, [this](size_t i) { return entry(i).offset; });
    file_->truncate_to_entries(keep);
}

std::string TimeIndex::sanity_check() const {
    const std::string name = "time index " + file_->path().string();
    if (file_->initial_file_bytes() % static_cast<int64_t>(kEntrySize) != 0) {
        return name + " has size " + std::to_string(file_->initial_file_bytes())
               + ", not a multiple of 12";
    }
    for (size_t i = 0; i < entries(); ++i) {
        const int32_t relative = static_cast<int32_t>(get_be32(file_->entry(i).data() + 8));
        if (relative < 0) {
            return name + " entry " + std::to_string(i) + " has a negative relative offset";
        }
        if (i > 0) {
            const TimeIndexEntry prev = entry(i - 1);
            const TimeIndexEntry cur = entry(i);
            if (cur.timestamp <= prev.timestamp || cur.offset < prev.offset) {
                return name + " entry " + std::to_string(i) + " is not monotonic";
            }
        }
    }
    return "";
}

}  // namespace gregor::storage
