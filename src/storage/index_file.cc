#include "gregor/storage/index_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gregor::storage {

unexpected<Error> io_failure(const char* what, const std::filesystem::path& path, int err) {
    return fail(Errc::io_error,
                std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

namespace {

size_t round_down(int64_t bytes, size_t unit) {
    if (bytes <= 0) {
        return 0;
    }
    return static_cast<size_t>(bytes) / unit * unit;
}

// Closes a descriptor on scope exit.
struct FdGuard {
    int fd;
    ~FdGuard() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

}  // namespace

IndexFile::IndexFile(std::filesystem::path path, size_t entry_size)
    : path_(std::move(path)), entry_size_(entry_size) {}

IndexFile::~IndexFile() {
    unmap();
}

Result<std::unique_ptr<IndexFile>> IndexFile::open(const std::filesystem::path& path,
                                                   size_t entry_size,
                                                   int64_t max_bytes,
                                                   bool writable) {
    std::unique_ptr<IndexFile> index(new IndexFile(path, entry_size));
    FdGuard fd{::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)};
    if (fd.fd < 0) {
        return io_failure("open", path, errno);
    }
    struct stat st {};
    if (::fstat(fd.fd, &st) != 0) {
        return io_failure("fstat", path, errno);
    }
    const bool newly_created = st.st_size == 0;
    const size_t existing = round_down(st.st_size, entry_size);
    index->entries_ = existing / entry_size;
    size_t bytes = existing;
    if (newly_created || writable) {
        bytes = std::max(existing, round_down(max_bytes, entry_size));
    }
    index->initial_file_bytes_ = static_cast<int64_t>(st.st_size);
    if ((newly_created || writable) && static_cast<int64_t>(bytes) != st.st_size) {
        if (::ftruncate(fd.fd, static_cast<off_t>(bytes)) != 0) {
            return io_failure("ftruncate", path, errno);
        }
    }
    if (bytes > 0) {
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd.fd, 0);
        if (p == MAP_FAILED) {
            return io_failure("mmap", path, errno);
        }
        index->data_ = static_cast<uint8_t*>(p);
    }
    index->mapped_bytes_ = bytes;
    return index;
}

std::span<const uint8_t> IndexFile::entry(size_t i) const {
    GREGOR_ASSERT(i < entries_, "index entry out of range");
    return {data_ + i * entry_size_, entry_size_};
}

bool IndexFile::append(std::span<const uint8_t> entry) {
    GREGOR_ASSERT(entry.size() == entry_size_, "index entry of the wrong size");
    if (entries_ >= max_entries()) {
        return false;
    }
    std::memcpy(data_ + entries_ * entry_size_, entry.data(), entry_size_);
    ++entries_;
    return true;
}

void IndexFile::truncate_to_entries(size_t n) {
    if (n >= entries_) {
        return;
    }
    std::memset(data_ + n * entry_size_, 0, (entries_ - n) * entry_size_);
    entries_ = n;
}

void IndexFile::unmap() {
    if (data_ != nullptr) {
        ::munmap(data_, mapped_bytes_);
        data_ = nullptr;
    }
}

Result<bool> IndexFile::resize(int64_t bytes) {
    const size_t wanted = std::max(round_down(bytes, entry_size_), entries_ * entry_size_);
    if (wanted == mapped_bytes_) {
        return true;
    }
    FdGuard fd{::open(path_.c_str(), O_RDWR | O_CLOEXEC)};
    if (fd.fd < 0) {
        return io_failure("open", path_, errno);
    }
    unmap();
    mapped_bytes_ = 0;
    if (::ftruncate(fd.fd, static_cast<off_t>(wanted)) != 0) {
        return io_failure("ftruncate", path_, errno);
    }
    if (wanted > 0) {
        void* p = ::mmap(nullptr, wanted, PROT_READ | PROT_WRITE, MAP_SHARED, fd.fd, 0);
        if (p == MAP_FAILED) {
            entries_ = 0;
            return io_failure("mmap", path_, errno);
        }
        data_ = static_cast<uint8_t*>(p);
    }
    mapped_bytes_ = wanted;
    return true;
}

Result<bool> IndexFile::flush() {
    if (data_ != nullptr && ::msync(data_, mapped_bytes_, MS_SYNC) != 0) {
        return io_failure("msync", path_, errno);
    }
    return true;
}

Result<bool> IndexFile::rename(const std::filesystem::path& to) {
    if (::rename(path_.c_str(), to.c_str()) != 0) {
        return io_failure("rename", path_, errno);
    }
    path_ = to;
    return true;
}

void IndexFile::close() {
    unmap();
    mapped_bytes_ = 0;
    entries_ = 0;
}

}  // namespace gregor::storage
