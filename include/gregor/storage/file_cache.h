#pragma once

// Bounds the `.log` descriptors held open across every log of a broker (Kafka keeps one per
// segment; with 10,000 partitions that is too many). Segments register once and ask for their
// descriptor on each read, append or flush; the cache opens it on demand and closes the least
// recently used one when more than `max_open_files` are held. An idle segment therefore holds no
// descriptor. Descriptors are shared (FileHandle): one evicted while a read or a response slice
// still uses it stays open until that holder lets go, so the bound is on the cache's own
// references.
//
// Threads: every method may be called from any thread (one internal mutex; open(2) runs outside
// it). Invariant: open_files() <= max_open_files() after every call.

#include "gregor/common/file_handle.h"
#include "gregor/storage/errors.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace gregor::storage {

class FileCache {
public:
    explicit FileCache(size_t max_open_files);
    FileCache(const FileCache&) = delete;
    FileCache& operator=(const FileCache&) = delete;

    // A fresh id for a file; ids are never reused.
    uint64_t register_file();
    // The descriptor of file `id`, opening `path` read-write when the cache holds none.
    Result<std::shared_ptr<const FileHandle>> get(uint64_t id, const std::filesystem::path& path);
    // Drops the cache's reference to file `id` (renamed, deleted or closed).
    void forget(uint64_t id);

    size_t open_files() const;
    size_t max_open_files() const { return max_open_; }
    uint64_t opens() const;  // descriptors opened so far (tests, metrics)

private:
    struct Entry {
        std::shared_ptr<const FileHandle> handle;
        std::list<uint64_t>::iterator lru;
    };
    void insert_locked(uint64_t id, std::shared_ptr<const FileHandle> handle);

    const size_t max_open_;
    mutable std::mutex mutex_;
    std::unordered_map<uint64_t, Entry> entries_;  // guarded by mutex_
    std::list<uint64_t> lru_;                      // most recent first; guarded by mutex_
    uint64_t next_id_ = 1;                         // guarded by mutex_
    uint64_t opens_ = 0;                           // guarded by mutex_
};

// Opens `path` O_RDWR|O_CLOEXEC (creating it when `create`) as a shared handle.
Result<std::shared_ptr<const FileHandle>> open_file_handle(const std::filesystem::path& path,
                                                           bool create);

}  // namespace gregor::storage
