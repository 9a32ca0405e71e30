#include "gregor/storage/segment.h"

#include "gregor/common/logging.h"
#include "gregor/protocol/record_batch.h"
#include "gregor/storage/file_cache.h"
#include "gregor/storage/index_file.h"
#include "gregor/storage/leader_epoch_cache.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <fcntl.h>
#include <limits>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace gregor::storage {

namespace L = protocol::batch_layout;

namespace {

constexpr size_t kScanChunk = 16 * 1024;
constexpr size_t kRecoveryChunk = 1 << 20;
// Records of one batch are decompressed up to this much when searching by timestamp.
constexpr size_t kMaxUncompressedBatch = size_t{1} << 30;

// Reads up to `n` bytes at `pos`; fewer only at end of file.
Result<size_t> pread_full(
    int fd, uint8_t* buf, size_t n, uint64_t pos, const std::filesystem::path& path) {
    size_t done = 0;
    while (done < n) {
        const ssize_t r = ::pread(fd, buf + done, n - done, static_cast<off_t>(pos + done));
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return io_failure("pread", path, errno);
        }
        if (r == 0) {
            break;
        }
        done += static_cast<size_t>(r);
    }
    return done;
}

Result<bool> pwrite_full(
    int fd, const uint8_t* buf, size_t n, uint64_t pos, const std::filesystem::path& path) {
    size_t done = 0;
    while (done < n) {
        const ssize_t r = ::pwrite(fd, buf + done, n - done, static_cast<off_t>(pos + done));
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return io_failure("pwrite", path, errno);
        }
        done += static_cast<size_t>(r);
    }
    return true;
}

int64_t be64_at(const uint8_t* p) {
    return static_cast<int64_t>(get_be64(p));
}
int32_t be32_at(const uint8_t* p) {
    return static_cast<int32_t>(get_be32(p));
}
uint16_t be16_at(const uint8_t* p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

// A batch header from its first 61 bytes; the caller has checked the length.
BatchInfo parse_header(const uint8_t* h, uint64_t position) {
    BatchInfo b;
    b.base_offset = be64_at(h + L::kBaseOffset);
    b.size = static_cast<uint32_t>(be32_at(h + L::kLength)) + L::kLogOverhead;
    b.partition_leader_epoch = be32_at(h + L::kPartitionLeaderEpoch);
    b.last_offset = b.base_offset + be32_at(h + L::kLastOffsetDelta);
    b.max_timestamp = be64_at(h + L::kMaxTimestamp);
    b.position = static_cast<uint32_t>(position);
    b.producer_id = be64_at(h + L::kProducerId);
    b.producer_epoch = static_cast<int16_t>(be16_at(h + L::kProducerEpoch));
    b.base_sequence = be32_at(h + L::kBaseSequence);
    const auto attributes = be16_at(h + L::kAttributes);
    b.transactional = (attributes & 0x10) != 0;
    b.control = (attributes & 0x20) != 0;
    return b;
}

// Reads a .log through a buffer: headers for scans, whole batches for recovery.
class ChunkReader {
public:
    ChunkReader(int fd, const std::filesystem::path& path, size_t chunk)
        : fd_(fd), path_(path), chunk_(chunk) {}

    // Exactly `n` bytes at `pos` (the caller knows they exist); corruption on a short read.
    Result<std::span<const uint8_t>> get(uint64_t pos, size_t n) {
        if (pos < start_ || pos + n > start_ + len_) {
            buf_.resize(std::max(n, chunk_));
            auto r = pread_full(fd_, buf_.data(), buf_.size(), pos, path_);
            if (!r) {
                return unexpected<Error>(r.error());
            }
            start_ = pos;
            len_ = *r;
            if (len_ < n) {
                return fail(Errc::corruption, path_.string() + ": file shorter than expected");
            }
        }
        return std::span<const uint8_t>(buf_.data() + (pos - start_), n);
    }

private:
    int fd_;
    const std::filesystem::path& path_;
    size_t chunk_;
    std::vector<uint8_t> buf_;
    uint64_t start_ = 0;
    size_t len_ = 0;
};

int64_t random_jitter(const LogConfig& config) {
    if (config.segment_jitter_ms <= 0) {
        return 0;
    }
    thread_local std::mt19937_64 rng{std::random_device{}()};
    const int64_t bound =
        std::max<int64_t>(1, std::min(config.segment_jitter_ms, config.segment_ms));
    return static_cast<int64_t>(rng() % static_cast<uint64_t>(bound));
}

bool fits_relative(int64_t offset, int64_t base) {
    const int64_t relative = offset - base;
    return relative >= 0 && relative <= std::numeric_limits<int32_t>::max();
}

}  // namespace

std::string segment_file_prefix(int64_t base_offset) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%020" PRId64, base_offset);
    return buf;
}

std::optional<int64_t> segment_base_offset_from_name(std::string_view file_name) {
    if (file_name.size() < 21 || file_name[20] != '.') {
        return std::nullopt;
    }
    int64_t value = 0;
    for (size_t i = 0; i < 20; ++i) {
        const char c = file_name[i];
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        if (value > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10) {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    return value;
}

Segment::Segment(std::filesystem::path dir,
                 int64_t base_offset,
                 const LogConfig& config,
                 FileCache* files,
                 int64_t now_ms,
                 std::string suffix)
    : dir_(std::move(dir)),
      base_offset_(base_offset),
      config_(config),
      files_(files),
      suffix_(std::move(suffix)),
      created_ms_(now_ms),
      roll_jitter_ms_(random_jitter(config)) {
    log_path_ = file_path(kLogFileSuffix);
}

Segment::~Segment() = default;

std::filesystem::path Segment::file_path(std::string_view extension) const {
    std::string name = segment_file_prefix(base_offset_);
    name += extension;
    name += suffix_;
    return dir_ / name;
}

const std::filesystem::path& Segment::log_path() const {
    return log_path_;
}
std::filesystem::path Segment::index_path() const {
    return file_path(kIndexFileSuffix);
}
std::filesystem::path Segment::time_index_path() const {
    return file_path(kTimeIndexFileSuffix);
}

void Segment::update_config(const LogConfig& config) {
    config_ = config;
}

Result<bool> Segment::init_log(bool create) {
    const std::filesystem::path path = log_path();
    if (create) {
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            return io_failure("create", path, errno);
        }
        FileHandle guard(fd);
        if (config_.preallocate && suffix_.empty()) {
            const int err = ::posix_fallocate(fd, 0, config_.segment_bytes);
            if (err != 0) {
                return io_failure("posix_fallocate", path, err);
            }
        }
    } else {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) {
            if (errno == ENOENT) {
                return fail(Errc::not_found, "no segment file " + path.string());
            }
            return io_failure("stat", path, errno);
        }
        size_.store(st.st_size, std::memory_order_release);
    }
    if (files_ != nullptr) {
        file_id_ = files_->register_file();
        return true;
    }
    auto handle = open_file_handle(path, false);
    if (!handle) {
        return unexpected<Error>(handle.error());
    }
    pinned_ = std::move(*handle);
    return true;
}

Result<std::shared_ptr<Segment>> Segment::create(const std::filesystem::path& dir,
                                                 int64_t base_offset,
                                                 const LogConfig& config,
                                                 FileCache* files,
                                                 int64_t now_ms,
                                                 std::string_view suffix) {
    std::shared_ptr<Segment> segment(
        new Segment(dir, base_offset, config, files, now_ms, std::string(suffix)));
    std::error_code ec;
    std::filesystem::remove(segment->index_path(), ec);
    std::filesystem::remove(segment->time_index_path(), ec);
    auto ok = segment->init_log(true);
    if (!ok) {
        return unexpected<Error>(ok.error());
    }
    segment->active_ = true;
    auto loaded = segment->load_indexes();
    if (!loaded) {
        return unexpected<Error>(loaded.error());
    }
    return segment;
}

Result<std::shared_ptr<Segment>> Segment::open(const std::filesystem::path& dir,
                                               int64_t base_offset,
                                               const LogConfig& config,
                                               FileCache* files,
                                               int64_t now_ms,
                                               std::string_view suffix) {
    std::shared_ptr<Segment> segment(
        new Segment(dir, base_offset, config, files, now_ms, std::string(suffix)));
    auto ok = segment->init_log(false);
    if (!ok) {
        return unexpected<Error>(ok.error());
    }
    std::error_code ec;
    segment->indexes_missing_ = !std::filesystem::exists(segment->index_path(), ec)
                                || !std::filesystem::exists(segment->time_index_path(), ec);
    return segment;
}

Result<std::shared_ptr<const FileHandle>> Segment::handle() const {
    if (files_ != nullptr) {
        return files_->get(file_id_, log_path());
    }
    if (pinned_ == nullptr) {
        return fail(Errc::closed, "segment " + log_path().string() + " is closed");
    }
    return pinned_;
}

void Segment::set_file_cache(FileCache* files) {
    if (files == files_) {
        return;
    }
    if (files_ != nullptr) {
        files_->forget(file_id_);
    }
    files_ = files;
    if (files_ != nullptr) {
        file_id_ = files_->register_file();
        pinned_.reset();
        return;
    }
    auto handle = open_file_handle(log_path(), false);
    if (handle) {
        pinned_ = std::move(*handle);
    }
}

Result<bool> Segment::load_indexes() const {
    std::lock_guard lock(index_mutex_);
    if (offset_index_ != nullptr && time_index_ != nullptr) {
        return true;
    }
    const int64_t max_bytes = config_.segment_index_bytes;
    auto offsets = OffsetIndex::open(index_path(), base_offset_, max_bytes, active_);
    if (!offsets) {
        return unexpected<Error>(offsets.error());
    }
    auto times = TimeIndex::open(time_index_path(), base_offset_, max_bytes, active_);
    if (!times) {
        return unexpected<Error>(times.error());
    }
    offset_index_ = std::move(*offsets);
    time_index_ = std::move(*times);
    return true;
}

Result<const OffsetIndex*> Segment::offset_index() const {
    auto ok = load_indexes();
    if (!ok) {
        return unexpected<Error>(ok.error());
    }
    return static_cast<const OffsetIndex*>(offset_index_.get());
}

Result<const TimeIndex*> Segment::time_index() const {
    auto ok = load_indexes();
    if (!ok) {
        return unexpected<Error>(ok.error());
    }
    return static_cast<const TimeIndex*>(time_index_.get());
}

void Segment::index_batch(const BatchInfo& batch) {
    if (batch.max_timestamp > max_timestamp_) {
        max_timestamp_ = batch.max_timestamp;
        offset_of_max_timestamp_ = batch.last_offset;
    }
    if (bytes_since_last_index_entry_ > config_.index_interval_bytes) {
        offset_index_->append(batch.last_offset, batch.position);
        time_index_->maybe_append(max_timestamp_, offset_of_max_timestamp_);
        bytes_since_last_index_entry_ = 0;
    }
    bytes_since_last_index_entry_ += batch.size;
}

Result<bool> Segment::append(std::span<const uint8_t> batches) {
    if (closed_) {
        return fail(Errc::closed, "append to closed segment " + log_path().string());
    }
    const int64_t start = size_bytes();
    std::vector<BatchInfo> infos;
    int64_t largest_timestamp = -1;
    int64_t next_offset = base_offset_;
    protocol::BatchSplitter splitter(batches, protocol::BatchSplitter::Check::kFraming);
    while (auto batch = splitter.next()) {
        const uint64_t position =
            static_cast<uint64_t>(start) + (batch->bytes().data() - batches.data());
        infos.push_back(parse_header(batch->bytes().data(), position));
        largest_timestamp = std::max(largest_timestamp, batch->max_timestamp());
        const BatchInfo& info = infos.back();
        if (info.base_offset < next_offset || info.last_offset < info.base_offset
            || !fits_relative(info.last_offset, base_offset_)) {
            return fail(Errc::invalid_offset, "batch offsets " + std::to_string(info.base_offset)
                                                  + ".." + std::to_string(info.last_offset)
                                                  + " do not fit segment " + log_path().string());
        }
        next_offset = info.last_offset + 1;
    }
    if (splitter.error() != protocol::BatchError::kOk || splitter.consumed() != batches.size()) {
        return fail(Errc::invalid_record, "append of malformed batches to " + log_path().string());
    }
    if (infos.empty()) {
        return true;
    }
    auto loaded = load_indexes();
    if (!loaded) {
        return loaded;
    }
    auto file = handle();
    if (!file) {
        return unexpected<Error>(file.error());
    }
    auto written = pwrite_full((*file)->fd(), batches.data(), batches.size(),
                               static_cast<uint64_t>(start), log_path());
    if (!written) {
        // Leave no partial batch behind: cut back to the last whole one.
        if (::ftruncate((*file)->fd(), start) != 0) {
            log::get("storage")->error("cannot cut {} back after a failed write",
                                       log_path().string());
        }
        return written;
    }
    if (start == 0) {
        rolling_based_timestamp_ = largest_timestamp;
    }
    for (const BatchInfo& info : infos) {
        index_batch(info);
    }
    size_.store(start + static_cast<int64_t>(batches.size()), std::memory_order_release);
    return true;
}

Result<bool> Segment::for_each_batch(uint64_t position,
                                     const std::function<bool(const BatchInfo&)>& fn) const {
    const uint64_t end = static_cast<uint64_t>(size_bytes());
    if (position >= end) {
        return true;
    }
    auto file = handle();
    if (!file) {
        return unexpected<Error>(file.error());
    }
    const std::filesystem::path path = log_path();
    ChunkReader reader((*file)->fd(), path, kScanChunk);
    uint64_t pos = position;
    while (pos + L::kLogOverhead <= end) {
        if (pos + L::kHeaderSize > end) {
            return fail(Errc::corruption,
                        path.string() + ": partial batch header at " + std::to_string(pos));
        }
        auto header = reader.get(pos, L::kHeaderSize);
        if (!header) {
            return unexpected<Error>(header.error());
        }
        const int32_t length = be32_at(header->data() + L::kLength);
        if (length < static_cast<int32_t>(L::kHeaderSize - L::kLogOverhead)
            || pos + L::kLogOverhead + static_cast<uint64_t>(length) > end) {
            return fail(Errc::corruption,
                        path.string() + ": bad batch length at " + std::to_string(pos));
        }
        const BatchInfo info = parse_header(header->data(), pos);
        if (!fn(info)) {
            return true;
        }
        pos += info.size;
    }
    return true;
}

Result<std::optional<BatchInfo>> Segment::find_batch(int64_t offset) const {
    auto index = offset_index();
    if (!index) {
        return unexpected<Error>(index.error());
    }
    std::optional<BatchInfo> found;
    auto ok = for_each_batch((*index)->lookup(offset).position, [&](const BatchInfo& b) {
        if (b.last_offset >= offset) {
            found = b;
            return false;
        }
        return true;
    });
    if (!ok) {
        return unexpected<Error>(ok.error());
    }
    return found;
}

Result<std::optional<SegmentRead>> Segment::read(int64_t offset,
                                                 int64_t max_bytes,
                                                 int64_t max_offset,
                                                 bool min_one_batch) const {
    auto index = offset_index();
    if (!index) {
        return unexpected<Error>(index.error());
    }
    std::optional<SegmentRead> out;
    int64_t total = 0;
    auto ok = for_each_batch((*index)->lookup(offset).position, [&](const BatchInfo& b) {
        if (b.last_offset < offset) {
            return true;  // before the requested offset
        }
        if (!out) {
            out.emplace();
            out->first_batch_offset = b.base_offset;
            out->slice.offset = b.position;
        }
        if (b.last_offset >= max_offset) {
            return false;
        }
        const bool first = total == 0;
        const int64_t limit =
            first && min_one_batch ? std::max<int64_t>(max_bytes, b.size) : max_bytes;
        if (total + b.size > limit) {
            return false;
        }
        total += b.size;
        out->last_offset = b.last_offset;
        return true;
    });
    if (!ok) {
        return unexpected<Error>(ok.error());
    }
    if (out && total > 0) {
        auto file = handle();
        if (!file) {
            return unexpected<Error>(file.error());
        }
        out->slice.file = std::move(*file);
        out->slice.length = static_cast<uint32_t>(total);
    }
    return out;
}

Result<std::vector<uint8_t>> Segment::read_bytes(uint64_t position, uint32_t size) const {
    auto file = handle();
    if (!file) {
        return unexpected<Error>(file.error());
    }
    std::vector<uint8_t> out(size);
    auto n = pread_full((*file)->fd(), out.data(), size, position, log_path());
    if (!n) {
        return unexpected<Error>(n.error());
    }
    out.resize(*n);
    return out;
}

Result<std::optional<TimeIndexEntry>> Segment::find_offset_by_timestamp(
    int64_t timestamp, int64_t starting_offset) const {
    auto loaded = load_indexes();
    if (!loaded) {
        return unexpected<Error>(loaded.error());
    }
    const TimeIndexEntry floor = time_index_->lookup(timestamp);
    const uint32_t start = offset_index_->lookup(std::max(floor.offset, starting_offset)).position;
    std::optional<BatchInfo> candidate;
    uint64_t position = start;
    while (true) {
        candidate.reset();
        auto ok = for_each_batch(position, [&](const BatchInfo& b) {
            if (b.max_timestamp >= timestamp && b.last_offset >= starting_offset) {
                candidate = b;
                return false;
            }
            return true;
        });
        if (!ok) {
            return unexpected<Error>(ok.error());
        }
        if (!candidate) {
            return std::optional<TimeIndexEntry>();
        }
        auto bytes = read_bytes(candidate->position, candidate->size);
        if (!bytes) {
            return unexpected<Error>(bytes.error());
        }
        protocol::RecordBatchView view(*bytes);
        if (view.validate_framing() != protocol::BatchError::kOk) {
            return fail(Errc::corruption, log_path().string() + ": bad batch at "
                                              + std::to_string(candidate->position));
        }
        std::vector<uint8_t> scratch;
        auto records = view.records(scratch, kMaxUncompressedBatch);
        if (!records) {
            // Unreadable records: answer at batch granularity rather than not at all.
            TimeIndexEntry te;
            te.timestamp = candidate->max_timestamp;
            te.offset = std::max(candidate->base_offset, starting_offset);
            return std::optional<TimeIndexEntry>(te);
        }
        while (auto record = records->next()) {
            const int64_t record_offset = view.record_offset(*record);
            const int64_t record_timestamp = view.record_timestamp(*record);
            if (record_timestamp >= timestamp && record_offset >= starting_offset) {
                TimeIndexEntry te;
                te.timestamp = record_timestamp;
                te.offset = record_offset;
                return std::optional<TimeIndexEntry>(te);
            }
        }
        position = candidate->position + candidate->size;
    }
}

Result<TimeIndexEntry> Segment::find_max_timestamp_record() const {
    TimeIndexEntry none;
    none.offset = -1;
    if (max_timestamp_ < 0) {
        return none;
    }
    auto found = find_offset_by_timestamp(max_timestamp_, base_offset_);
    if (!found) {
        return unexpected<Error>(found.error());
    }
    if (!*found) {
        TimeIndexEntry te;
        te.timestamp = max_timestamp_;
        te.offset = offset_of_max_timestamp_;
        return te;
    }
    return **found;
}

int64_t Segment::largest_timestamp() const {
    if (max_timestamp_ >= 0) {
        return max_timestamp_;
    }
    struct stat st {};
    if (::stat(log_path().c_str(), &st) != 0) {
        return created_ms_;
    }
    return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

Result<int64_t> Segment::read_next_offset() const {
    auto index = offset_index();
    if (!index) {
        return unexpected<Error>(index.error());
    }
    int64_t next = base_offset_;
    auto ok = for_each_batch((*index)->last_entry().position, [&](const BatchInfo& b) {
        next = b.last_offset + 1;
        return true;
    });
    if (!ok) {
        return unexpected<Error>(ok.error());
    }
    return next;
}

bool Segment::should_roll(const LogConfig& config, const RollParams& params) const {
    const int64_t size = size_bytes();
    if (!rolling_based_timestamp_ && size > 0) {
        // Kafka's loadFirstBatchTimestamp: the first batch's max timestamp.
        std::optional<int64_t> first;
        auto ok = for_each_batch(0, [&](const BatchInfo& b) {
            first = b.max_timestamp;
            return false;
        });
        if (ok && first) {
            rolling_based_timestamp_ = *first;
        }
    }
    const int64_t rolling = rolling_based_timestamp_.value_or(-1);
    const int64_t waited =
        rolling >= 0 ? params.max_timestamp_in_messages - rolling : params.now_ms - created_ms_;
    const bool reached_roll_ms = waited > config.segment_ms - roll_jitter_ms_;
    bool index_full = false;
    if (offset_index_ != nullptr && time_index_ != nullptr) {
        index_full = offset_index_->is_full() || time_index_->is_full();
    }
    return size > static_cast<int64_t>(config.segment_bytes) - params.messages_size
           || (size > 0 && reached_roll_ms) || index_full
           || !fits_relative(params.max_offset_in_messages, base_offset_);
}

Result<bool> Segment::trim_log_file() {
    if (!config_.preallocate) {
        return true;
    }
    auto file = handle();
    if (!file) {
        return unexpected<Error>(file.error());
    }
    if (::ftruncate((*file)->fd(), size_bytes()) != 0) {
        return io_failure("ftruncate", log_path(), errno);
    }
    return true;
}

Result<bool> Segment::on_become_inactive() {
    auto loaded = load_indexes();
    if (!loaded) {
        return loaded;
    }
    if (max_timestamp_ >= 0) {
        time_index_->maybe_append(max_timestamp_, offset_of_max_timestamp_, true);
    }
    auto ok = offset_index_->file().trim();
    if (ok) {
        ok = time_index_->file().trim();
    }
    if (ok) {
        ok = trim_log_file();
    }
    active_ = false;
    return ok;
}

Result<bool> Segment::on_become_active() {
    auto loaded = load_indexes();
    if (!loaded) {
        return loaded;
    }
    active_ = true;
    auto ok = offset_index_->file().resize(config_.segment_index_bytes);
    if (ok) {
        ok = time_index_->file().resize(config_.segment_index_bytes);
    }
    return ok;
}

Result<SegmentRecovery> Segment::recover(int64_t min_offset, LeaderEpochCache* epochs) {
    auto loaded = load_indexes();
    if (!loaded) {
        return unexpected<Error>(loaded.error());
    }
    // Room for every entry the rebuild may write, whatever the old files' sizes.
    auto resized = offset_index_->file().resize(config_.segment_index_bytes);
    if (resized) {
        resized = time_index_->file().resize(config_.segment_index_bytes);
    }
    if (!resized) {
        return unexpected<Error>(resized.error());
    }
    offset_index_->reset();
    time_index_->reset();
    max_timestamp_ = -1;
    offset_of_max_timestamp_ = -1;
    bytes_since_last_index_entry_ = 0;
    rolling_based_timestamp_.reset();

    auto file = handle();
    if (!file) {
        return unexpected<Error>(file.error());
    }
    const int fd = (*file)->fd();
    const std::filesystem::path path = log_path();
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return io_failure("fstat", path, errno);
    }
    const uint64_t file_size = static_cast<uint64_t>(st.st_size);
    ChunkReader reader(fd, path, kRecoveryChunk);
    SegmentRecovery result;
    uint64_t pos = 0;
    int64_t next_min = std::max(base_offset_, min_offset);
    int64_t next_offset = base_offset_;
    constexpr int32_t kMinLength = static_cast<int32_t>(L::kHeaderSize - L::kLogOverhead);
    while (pos < file_size) {
        const uint64_t remaining = file_size - pos;
        if (remaining < L::kLogOverhead) {
            result.error = "partial batch header (" + std::to_string(remaining) + " bytes)";
            break;
        }
        auto head = reader.get(pos, L::kLogOverhead);
        if (!head) {
            return unexpected<Error>(head.error());
        }
        const int32_t length = be32_at(head->data() + L::kLength);
        if (length < kMinLength) {
            result.error = "batch length " + std::to_string(length) + " below the header size";
            break;
        }
        const uint64_t size = L::kLogOverhead + static_cast<uint64_t>(length);
        if (size > remaining) {
            result.error =
                "batch length " + std::to_string(length) + " runs past the end of the file";
            break;
        }
        auto bytes = reader.get(pos, size);
        if (!bytes) {
            return unexpected<Error>(bytes.error());
        }
        protocol::RecordBatchView view(*bytes);
        const protocol::BatchError err = view.validate();
        if (err != protocol::BatchError::kOk) {
            result.error = std::string(protocol::to_string(err));
            break;
        }
        if (view.base_offset() < next_min) {
            result.error = "batch base offset " + std::to_string(view.base_offset()) + " below "
                           + std::to_string(next_min);
            break;
        }
        if (!fits_relative(view.last_offset(), base_offset_)) {
            result.error = "batch last offset " + std::to_string(view.last_offset())
                           + " does not fit the segment";
            break;
        }
        const BatchInfo info = parse_header(bytes->data(), pos);
        if (pos == 0) {
            rolling_based_timestamp_ = info.max_timestamp;
        }
        index_batch(info);
        if (epochs != nullptr && info.partition_leader_epoch >= 0) {
            const std::optional<int32_t> latest = epochs->latest_epoch();
            if (!latest || info.partition_leader_epoch > *latest) {
                epochs->assign(info.partition_leader_epoch, info.base_offset);
            }
        }
        pos += size;
        next_min = info.last_offset + 1;
        next_offset = next_min;
        result.batches_validated += 1;
        result.bytes_validated += static_cast<int64_t>(size);
    }
    if (pos < file_size) {
        if (::ftruncate(fd, static_cast<off_t>(pos)) != 0) {
            return io_failure("ftruncate", path, errno);
        }
        result.bytes_truncated = static_cast<int64_t>(file_size - pos);
    }
    size_.store(static_cast<int64_t>(pos), std::memory_order_release);
    result.next_offset = next_offset;
    indexes_missing_ = false;
    if (!active_) {
        auto trimmed = offset_index_->file().trim();
        if (trimmed) {
            time_index_->maybe_append(max_timestamp_, offset_of_max_timestamp_, true);
            trimmed = time_index_->file().trim();
        }
        if (!trimmed) {
            return unexpected<Error>(trimmed.error());
        }
    }
    return result;
}

Result<std::string> Segment::sanity_check_indexes() {
    auto loaded = load_indexes();
    if (!loaded) {
        return unexpected<Error>(loaded.error());
    }
    if (indexes_missing_) {
        return std::string("index files missing for ") + log_path().string();
    }
    std::string problem = offset_index_->sanity_check();
    if (problem.empty()) {
        problem = time_index_->sanity_check();
    }
    if (problem.empty() && offset_index_->entries() > 0
        && offset_index_->last_entry().position >= static_cast<uint64_t>(size_bytes())) {
        problem = "offset index " + index_path().string() + " points past the end of the log";
    }
    if (!problem.empty()) {
        return problem;
    }
    const TimeIndexEntry last = time_index_->last_entry();
    if (time_index_->entries() > 0) {
        max_timestamp_ = last.timestamp;
        offset_of_max_timestamp_ = last.offset;
    }
    return std::string();
}

Result<bool> Segment::recompute_max_timestamp() {
    const TimeIndexEntry last = time_index_->last_entry();
    max_timestamp_ = time_index_->entries() > 0 ? last.timestamp : -1;
    offset_of_max_timestamp_ = time_index_->entries() > 0 ? last.offset : -1;
    auto ok = for_each_batch(offset_index_->lookup(last.offset).position, [&](const BatchInfo& b) {
        if (b.max_timestamp > max_timestamp_) {
            max_timestamp_ = b.max_timestamp;
            offset_of_max_timestamp_ = b.last_offset;
        }
        return true;
    });
    return ok;
}

Result<int64_t> Segment::truncate_to(int64_t offset, int64_t now_ms) {
    auto found = find_batch(offset);
    if (!found) {
        return unexpected<Error>(found.error());
    }
    if (!*found) {
        return int64_t{0};
    }
    const uint32_t position = (*found)->position;
    offset_index_->truncate_to(offset);
    time_index_->truncate_to(offset);
    auto file = handle();
    if (!file) {
        return unexpected<Error>(file.error());
    }
    if (::ftruncate((*file)->fd(), position) != 0) {
        return io_failure("ftruncate", log_path(), errno);
    }
    const int64_t removed = size_bytes() - position;
    size_.store(position, std::memory_order_release);
    bytes_since_last_index_entry_ = 0;
    if (position == 0) {
        created_ms_ = now_ms;
        rolling_based_timestamp_.reset();
    }
    auto ok = recompute_max_timestamp();
    if (!ok) {
        return unexpected<Error>(ok.error());
    }
    return removed;
}

Result<bool> Segment::flush() {
    auto file = handle();
    if (!file) {
        return unexpected<Error>(file.error());
    }
    if (::fdatasync((*file)->fd()) != 0) {
        return io_failure("fdatasync", log_path(), errno);
    }
    return flush_indexes();
}

void Segment::release_indexes() {
    std::lock_guard lock(index_mutex_);
    if (!active_) {
        offset_index_.reset();
        time_index_.reset();
    }
}

Result<bool> Segment::flush_indexes() {
    std::lock_guard lock(index_mutex_);
    if (offset_index_ != nullptr) {
        auto ok = offset_index_->file().flush();
        if (!ok) {
            return ok;
        }
    }
    if (time_index_ != nullptr) {
        return time_index_->file().flush();
    }
    return true;
}

Result<bool> Segment::change_suffix(std::string_view suffix) {
    const std::filesystem::path old_log = log_path();
    const std::filesystem::path old_index = index_path();
    const std::filesystem::path old_time = time_index_path();
    const std::string old_suffix = suffix_;
    suffix_ = std::string(suffix);
    log_path_ = file_path(kLogFileSuffix);
    if (::rename(old_log.c_str(), log_path_.c_str()) != 0) {
        const int err = errno;
        suffix_ = old_suffix;
        log_path_ = old_log;
        return io_failure("rename", old_log, err);
    }
    std::lock_guard lock(index_mutex_);
    const auto rename_index = [](IndexFile* index, const std::filesystem::path& from,
                                 const std::filesystem::path& to) -> Result<bool> {
        if (index != nullptr) {
            return index->rename(to);
        }
        if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
            return io_failure("rename", from, errno);
        }
        return true;
    };
    auto ok =
        rename_index(offset_index_ ? &offset_index_->file() : nullptr, old_index, index_path());
    if (ok) {
        ok =
            rename_index(time_index_ ? &time_index_->file() : nullptr, old_time, time_index_path());
    }
    return ok;
}

Result<bool> Segment::delete_files() {
    for (const std::filesystem::path& path : {log_path(), index_path(), time_index_path()}) {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
            return io_failure("unlink", path, errno);
        }
    }
    if (files_ != nullptr) {
        files_->forget(file_id_);
    }
    closed_ = true;
    return true;
}

void Segment::close() {
    if (closed_) {
        return;
    }
    closed_ = true;
    {
        std::lock_guard lock(index_mutex_);
        if (offset_index_ != nullptr && time_index_ != nullptr) {
            if (max_timestamp_ >= 0) {
                time_index_->maybe_append(max_timestamp_, offset_of_max_timestamp_, true);
            }
            auto ok = offset_index_->file().trim();
            if (ok) {
                ok = time_index_->file().trim();
            }
            if (!ok) {
                log::get("storage")->warn("closing {}: {}", log_path().string(),
                                          ok.error().message);
            }
        }
    }
    auto trimmed = trim_log_file();
    if (!trimmed) {
        log::get("storage")->warn("closing {}: {}", log_path().string(), trimmed.error().message);
    }
    if (files_ != nullptr) {
        files_->forget(file_id_);
    }
    pinned_.reset();
}

}  // namespace gregor::storage
