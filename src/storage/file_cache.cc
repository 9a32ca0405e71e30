#include "gregor/storage/file_cache.h"

#include "gregor/storage/index_file.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace gregor::storage {

Result<std::shared_ptr<const FileHandle>> open_file_handle(const std::filesystem::path& path,
                                                           bool create) {
    const int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
    const int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) {
        if (errno == ENOENT) {
            return fail(Errc::not_found, "open " + path.string() + ": no such file");
        }
        return io_failure("open", path, errno);
    }
    return std::shared_ptr<const FileHandle>(std::make_shared<FileHandle>(fd));
}

FileCache::FileCache(size_t max_open_files) : max_open_(max_open_files == 0 ? 1 : max_open_files) {}

uint64_t FileCache::register_file() {
    std::lock_guard lock(mutex_);
    return next_id_++;
}

Result<std::shared_ptr<const FileHandle>> FileCache::get(uint64_t id,
                                                         const std::filesystem::path& path) {
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(id);
        if (it != entries_.end()) {
            lru_.splice(lru_.begin(), lru_, it->second.lru);
            return it->second.handle;
        }
    }
    auto handle = open_file_handle(path, false);
    if (!handle) {
        return handle;
    }
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it != entries_.end()) {
        // Another thread opened it meanwhile; keep theirs, ours closes here.
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        return it->second.handle;
    }
    ++opens_;
    insert_locked(id, *handle);
    return handle;
}

void FileCache::insert_locked(uint64_t id, std::shared_ptr<const FileHandle> handle) {
    lru_.push_front(id);
    Entry entry;
    entry.handle = std::move(handle);
    entry.lru = lru_.begin();
    entries_.emplace(id, std::move(entry));
    while (entries_.size() > max_open_) {
        const uint64_t victim = lru_.back();
        lru_.pop_back();
        entries_.erase(victim);
    }
}

void FileCache::forget(uint64_t id) {
    std::shared_ptr<const FileHandle> dropped;  // closed outside the lock
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) {
        return;
    }
    dropped = std::move(it->second.handle);
    lru_.erase(it->second.lru);
    entries_.erase(it);
}

size_t FileCache::open_files() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

uint64_t FileCache::opens() const {
    std::lock_guard lock(mutex_);
    return opens_;
}

}  // namespace gregor::storage
