#include "gregor/storage/offset_index.h"

#include <array>
#include <limits>

namespace gregor::storage {

Result<std::unique_ptr<OffsetIndex>> OffsetIndex::open(const std::filesystem::path& path,
                                                       int64_t base_offset,
                                                       int64_t max_bytes,
                                                       bool writable) {
    auto file = IndexFile::open(path, kEntrySize, max_bytes, writable);
    if (!file) {
        return unexpected<Error>(file.error());
    }
    return std::unique_ptr<OffsetIndex>(new OffsetIndex(std::move(*file), base_offset));
}

OffsetPosition OffsetIndex::entry(size_t i) const {
    const std::span<const uint8_t> e = file_->entry(i);
    OffsetPosition op;
    op.offset = base_offset_ + static_cast<int32_t>(get_be32(e.data()));
    op.position = get_be32(e.data() + 4);
    return op;
}

OffsetPosition OffsetIndex::last_entry() const {
    if (entries() == 0) {
        OffsetPosition op;
        op.offset = base_offset_;
        return op;
    }
    return entry(entries() - 1);
}

bool OffsetIndex::append(int64_t offset, uint32_t position) {
    const int64_t relative = offset - base_offset_;
    if (relative < 0 || relative > std::numeric_limits<int32_t>::max()) {
        return false;
    }
    if (entries() > 0) {
        const OffsetPosition last = last_entry();
        if (offset <= last.offset || position <= last.position) {
            return false;
        }
    }
    std::array<uint8_t, kEntrySize> e{};
    put_be32(e.data(), static_cast<uint32_t>(relative));
    put_be32(e.data() + 4, position);
    return file_->append(e);
}

OffsetPosition OffsetIndex::lookup(int64_t target) const {
    const size_t lo =
        count_entries_at_or_below(entries(), target, [this](size_t i) { return entry(i).offset; });
    if (lo == 0) {
        OffsetPosition op;
        op.offset = base_offset_;
        return op;
    }
    return entry(lo - 1);
}

void OffsetIndex::truncate_to(int64_t offset) {
    const size_t keep =
        count_entries_below(entries(), offset, [this](size_t i) { return entry(i).offset; });
    file_->truncate_to_entries(keep);
}

std::string OffsetIndex::sanity_check() const {
    if (file_->initial_file_bytes() % static_cast<int64_t>(kEntrySize) != 0) {
        return "offset index " + file_->path().string() + " has size "
               + std::to_string(file_->initial_file_bytes()) + ", not a multiple of 8";
    }
    for (size_t i = 0; i < entries(); ++i) {
        const int32_t relative = static_cast<int32_t>(get_be32(file_->entry(i).data()));
        if (relative < 0) {
            return "offset index " + file_->path().string() + " entry " + std::to_string(i)
                   + " has a negative relative offset";
        }
        if (i > 0) {
            const OffsetPosition prev = entry(i - 1);
            const OffsetPosition cur = entry(i);
            if (cur.offset <= prev.offset || cur.position <= prev.position) {
                return "offset index " + file_->path().string() + " entry " + std::to_string(i)
                       + " does not increase";
            }
        }
    }
    return "";
}

}  // namespace gregor::storage
