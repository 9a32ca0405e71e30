#include "gregor/storage/leader_epoch_cache.h"

#include "gregor/common/logging.h"
#include "gregor/storage/checkpoint.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <system_error>

namespace gregor::storage {
namespace fs = std::filesystem;

namespace {

template <typename T>
std::optional<T> parse_number(std::string_view s) {
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
    }
    T value{};
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

LeaderEpochCache::LeaderEpochCache(fs::path file) : file_(std::move(file)) {}

Result<std::unique_ptr<LeaderEpochCache>> LeaderEpochCache::open(const fs::path& checkpoint_file) {
    auto lines = read_checkpoint_lines(checkpoint_file);
    if (!lines) {
        return unexpected<Error>(lines.error());
    }
    std::unique_ptr<LeaderEpochCache> cache(new LeaderEpochCache(checkpoint_file));
    std::lock_guard lock(cache->mutex_);
    cache->file_exists_ = lines->has_value();
    if (lines->has_value()) {
        for (const std::string& line : **lines) {
            auto parts = split_whitespace(line);
            std::optional<int32_t> epoch;
            std::optional<int64_t> offset;
            if (parts.size() == 2) {
                epoch = parse_number<int32_t>(parts[0]);
                offset = parse_number<int64_t>(parts[1]);
            }
            if (!epoch || !offset) {
                return unexpected<Error>(
                    Error{Errc::corruption, "Malformed line in checkpoint file ["
                                                + checkpoint_file.string() + "]: " + line});
            }
            if (*epoch < 0 || *offset < 0) {
                return unexpected<Error>(Error{
                    Errc::corruption,
                    "Invalid leader epoch entry in " + checkpoint_file.string() + ": " + line});
            }
            cache->assign_locked(*epoch, *offset);
        }
    }
    // What was just read is what the file holds (a repaired non-monotonic file is rewritten by
    // the next flush only if something else changes; recovery truncates the cache anyway).
    cache->flushed_version_ = cache->version_;
    return cache;
}

std::optional<EpochEntry> LeaderEpochCache::latest_locked() const {
    if (entries_.empty()) {
        return std::nullopt;
    }
    return entries_.back();
}

bool LeaderEpochCache::assign_locked(int32_t epoch, int64_t start_offset) {
    auto latest = latest_locked();
    bool needed = !latest || epoch != latest->epoch || start_offset < latest->start_offset;
    if (!needed) {
        return false;
    }
    // Remove, newest first, every entry that conflicts with the new one (Kafka's
    // maybeTruncateNonMonotonicEntries); stop at the first one that does not.
    size_t removed = 0;
    bool nontrivial = false;
    while (!entries_.empty()
           && (entries_.back().epoch >= epoch || entries_.back().start_offset >= start_offset)) {
        if (entries_.back().start_offset != start_offset) {
            nontrivial = true;
        }
        entries_.pop_back();
        ++removed;
    }
    if (removed > 1 || nontrivial) {
        log::get("storage")->warn("{}: new epoch entry {}:{} truncated {} conflicting entries",
                                  file_.string(), epoch, start_offset, removed);
    }
    entries_.push_back(EpochEntry{epoch, start_offset});
    ++version_;
    return true;
}

void LeaderEpochCache::assign(int32_t epoch, int64_t start_offset) {
    if (epoch < 0 || start_offset < 0) {
        log::get("storage")->debug("{}: ignoring invalid epoch entry {}:{}", file_.string(), epoch,
                                   start_offset);
        return;
    }
    std::lock_guard lock(mutex_);
    assign_locked(epoch, start_offset);
}

std::optional<int32_t> LeaderEpochCache::latest_epoch() const {
    std::lock_guard lock(mutex_);
    if (entries_.empty()) {
        return std::nullopt;
    }
    return entries_.back().epoch;
}

std::optional<EpochEntry> LeaderEpochCache::end_offset_for(int32_t requested_epoch,
                                                           int64_t log_end_offset) const {
    constexpr int32_t kUndefinedEpoch = -1;
    if (requested_epoch == kUndefinedEpoch) {
        return std::nullopt;
    }
    std::lock_guard lock(mutex_);
    if (!entries_.empty() && entries_.back().epoch == requested_epoch) {
        return EpochEntry{requested_epoch, log_end_offset};
    }
    // First entry with an epoch > requested.
    auto higher =
        std::upper_bound(entries_.begin(), entries_.end(), requested_epoch,
                         [](int32_t e, const EpochEntry& entry) { return e < entry.epoch; });
    if (higher == entries_.end()) {
        return std::nullopt;
    }
    if (higher == entries_.begin()) {
        // Below every known epoch: its data is gone; the follower restarts from our first epoch.
        return EpochEntry{requested_epoch, higher->start_offset};
    }
    auto floor = std::prev(higher);
    return EpochEntry{floor->epoch, higher->start_offset};
}

std::optional<int32_t> LeaderEpochCache::epoch_for_offset(int64_t offset) const {
    std::lock_guard lock(mutex_);
    std::optional<int32_t> previous;
    for (const EpochEntry& entry : entries_) {
        if (entry.start_offset == offset) {
            return entry.epoch;
        }
        if (entry.start_offset > offset) {
            return previous;
        }
        previous = entry.epoch;
    }
    return previous;
}

void LeaderEpochCache::truncate_from_end(int64_t end_offset) {
    std::lock_guard lock(mutex_);
    if (end_offset < 0 || entries_.empty() || entries_.back().start_offset < end_offset) {
        return;
    }
    while (!entries_.empty() && entries_.back().start_offset >= end_offset) {
        entries_.pop_back();
    }
    ++version_;
}

void LeaderEpochCache::truncate_from_start(int64_t start_offset) {
    std::lock_guard lock(mutex_);
    size_t removed = 0;
    while (removed < entries_.size() && entries_[removed].start_offset <= start_offset) {
        ++removed;
    }
    if (removed == 0) {
        return;
    }
    EpochEntry first{entries_[removed - 1].epoch, start_offset};
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(removed));
    entries_.insert(entries_.begin(), first);
    ++version_;
}

std::vector<EpochEntry> LeaderEpochCache::entries() const {
    std::lock_guard lock(mutex_);
    return entries_;
}

void LeaderEpochCache::clear() {
    std::lock_guard lock(mutex_);
    if (!entries_.empty()) {
        entries_.clear();
        ++version_;
    }
}

Result<bool> LeaderEpochCache::flush() {
    std::lock_guard flush_lock(flush_mutex_);
    std::vector<std::string> lines;
    uint64_t version = 0;
    {
        std::lock_guard lock(mutex_);
        if (version_ == flushed_version_ && file_exists_) {
            return true;
        }
        version = version_;
        lines.reserve(entries_.size());
        for (const EpochEntry& e : entries_) {
            lines.push_back(std::to_string(e.epoch) + " " + std::to_string(e.start_offset));
        }
    }
    auto written = write_checkpoint_lines(file_, lines);
    if (!written) {
        return written;
    }
    std::lock_guard lock(mutex_);
    file_exists_ = true;
    flushed_version_ = std::max(flushed_version_, version);
    return true;
}

}  // namespace gregor::storage
