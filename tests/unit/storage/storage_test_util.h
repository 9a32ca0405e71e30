#pragma once

// Helpers shared by the storage unit tests: temp dirs under /tmp, batch builders, file surgery.

#include "gregor/common/file_handle.h"
#include "gregor/protocol/record_batch.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace gregor::storage::testing {

using Bytes = std::vector<uint8_t>;

// A fresh directory under /tmp, removed with everything in it at the end of the test.
class TempDir {
public:
    TempDir() {
        std::string tmpl = "/tmp/gregor-storage-XXXXXX";
        char* made = ::mkdtemp(tmpl.data());
        EXPECT_NE(made, nullptr);
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// One uncompressed batch of `records` records at `timestamp` (each record one ms later), values
// of `value_size` bytes, base offset `base_offset`.
inline Bytes make_batch(int records,
                        int64_t timestamp = 1000,
                        size_t value_size = 16,
                        int64_t base_offset = 0,
                        int32_t leader_epoch = protocol::kNoPartitionLeaderEpoch) {
    protocol::BatchOptions options;
    options.base_offset = base_offset;
    options.partition_leader_epoch = leader_epoch;
    protocol::RecordBatchBuilder builder(options);
    const Bytes value(value_size, 'v');
    const std::string key = "key";
    for (int i = 0; i < records; ++i) {
        protocol::RecordInput r;
        r.timestamp = timestamp + i;
        r.key = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(key.data()), key.size());
        r.value = std::span<const uint8_t>(value);
        builder.append(r);
    }
    Bytes out;
    EXPECT_EQ(builder.build(out), protocol::BuildError::kOk);
    return out;
}

inline Bytes concat(const std::vector<Bytes>& parts) {
    Bytes out;
    for (const Bytes& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

inline Bytes read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void write_file(const std::filesystem::path& path, const Bytes& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

inline int64_t file_size(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? -1 : static_cast<int64_t>(size);
}

// The bytes a slice designates.
inline Bytes slice_bytes(const FileSlice& slice) {
    Bytes out(slice.length);
    const ssize_t n =
        ::pread(slice.file->fd(), out.data(), out.size(), static_cast<off_t>(slice.offset));
    EXPECT_EQ(n, static_cast<ssize_t>(slice.length));
    return out;
}

// Base offsets of the batches in `bytes`.
inline std::vector<int64_t> batch_offsets(const Bytes& bytes) {
    std::vector<int64_t> out;
    protocol::BatchSplitter splitter(bytes);
    while (auto batch = splitter.next()) {
        out.push_back(batch->base_offset());
    }
    return out;
}

}  // namespace gregor::storage::testing
