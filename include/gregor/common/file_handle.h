#pragma once

// An open file descriptor shared by whoever opened the file (a storage segment) and every
// response slice sending from it: a segment closed, rolled away or deleted while a fetch response
// is still being written keeps its bytes readable until the last holder lets go.

#include <cstdint>
#include <memory>

namespace gregor {

// Owns one open file descriptor and closes it on destruction. Immutable; any thread.
class FileHandle {
public:
    explicit FileHandle(int fd) noexcept : fd_(fd) {}
    ~FileHandle();
    FileHandle(const FileHandle&) = delete;
    FileHandle& operator=(const FileHandle&) = delete;

    int fd() const { return fd_; }

private:
    int fd_;
};

// Bytes of a file, sent zero-copy (sendfile) on plaintext listeners.
struct FileSlice {
    std::shared_ptr<const FileHandle> file;
    uint64_t offset = 0;
    uint32_t length = 0;
};

}  // namespace gregor
