// QuorumController's snapshot side (Kafka's SnapshotGenerator and the metadata loader's snapshot
// path): at start, the newest usable snapshot and the log records after it rebuild the image; after
// commits, a snapshot of the image is written once enough record bytes or time have passed.

#include "gregor/common/logging.h"
#include "gregor/controller/quorum_controller.h"
#include "gregor/metadata/image_writer.h"
#include "gregor/storage/log.h"

#include <fmt/format.h>

#include <chrono>
#include <future>

namespace gregor::controller {

using metadata::ApiMessageAndVersion;

namespace {

using Image = std::shared_ptr<const metadata::MetadataImage>;

// After a failed snapshot write (a full disk), commits do not retry it for this long.
constexpr int64_t kSnapshotRetryBackoffMs = 10000;

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

int64_t record_bytes(const ApiMessageAndVersion& record) {
    return static_cast<int64_t>(metadata::serialize(record).size());
}

// The image a snapshot holds; records replay at the snapshot's last contained offset, as Kafka's
// loader stamps a snapshot's provenance.
result<Image, std::string> image_of_snapshot(const MetadataLog& log,
                                             SnapshotId id,
                                             size_t* records) {
    if (id.end_offset > log.end_offset()) {
        return unexpected<std::string>(
            fmt::format("it ends at {}, past the log end {}", id.end_offset, log.end_offset()));
    }
    auto decoded = log.read_snapshot(id);
    if (!decoded) {
        return unexpected<std::string>(decoded.error());
    }
    metadata::MetadataDelta delta(metadata::MetadataImage::empty());
    std::string error;
    for (const auto& r : decoded->records) {
        if (!delta.replay(id.end_offset - 1, r, &error)) {
            return unexpected<std::string>("inconsistent records: " + error);
        }
    }
    *records = decoded->records.size();
    return delta.apply();
}

}  // namespace

result<bool, std::string> QuorumController::load_image() {
    const auto& log = log::get("controller");
    const auto started = std::chrono::steady_clock::now();
    Image base = metadata::MetadataImage::empty();
    int64_t from = 0;
    size_t snapshot_records = 0;
    const auto ids = log_->snapshots();
    for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
        auto image = image_of_snapshot(*log_, *it, &snapshot_records);
        if (!image) {
            log->warn("skipping the metadata snapshot {}: {}", snapshot_file_name(*it),
                      image.error());
            continue;
        }
        base = std::move(*image);
        from = it->end_offset;
        last_snapshot_ = *it;
        break;
    }
    if (!ids.empty() && !last_snapshot_) {
        log->warn("none of the {} metadata snapshots is usable: replaying the whole log",
                  ids.size());
    }
    metadata::MetadataDelta delta(base);
    std::string error;
    int64_t records = 0;
    int64_t bytes = 0;
    auto replayed = log_->replay_from(from, [&](int64_t offset, const ApiMessageAndVersion& r) {
        ++records;
        bytes += record_bytes(r);
        return delta.replay(offset, r, &error);
    });
    if (!replayed) {
        return unexpected<std::string>(replayed.error());
    }
    if (!error.empty()) {
        return unexpected<std::string>("metadata log replay failed: " + error);
    }
    {
        std::lock_guard lock(image_mutex_);
        image_ = delta.apply();
    }
    bytes_since_snapshot_ = bytes;
    last_snapshot_ms_ = storage::system_clock_ms();
    if (last_snapshot_) {
        log->info(
            "loaded the metadata snapshot {} ({} records) and replayed {} log records after it in "
            "{:.1f} ms: offset {}, {} topics, {} brokers",
            snapshot_file_name(*last_snapshot_), snapshot_records, records, ms_since(started),
            image_->offset(), image_->topics_by_name().size(), image_->brokers().size());
    } else {
        log->info("replayed {} metadata records in {:.1f} ms: offset {}, {} topics, {} brokers",
                  records, ms_since(started), image_->offset(), image_->topics_by_name().size(),
                  image_->brokers().size());
    }
    return true;
}

void QuorumController::maybe_snapshot(const std::vector<ApiMessageAndVersion>& records) {
    const int64_t now = storage::system_clock_ms();
    last_commit_ms_ = now;
    for (const auto& r : records) {
        bytes_since_snapshot_ += record_bytes(r);
    }
    const auto& policy = config_.snapshots;
    const bool by_bytes = bytes_since_snapshot_ >= policy.max_bytes_between;
    const bool by_time =
        policy.max_interval_ms > 0 && now - last_snapshot_ms_ >= policy.max_interval_ms;
    if ((by_bytes || by_time) && now >= snapshot_retry_ms_) {
        (void)write_snapshot();  // logged; retried at a later commit
    }
}

result<SnapshotId, std::string> QuorumController::write_snapshot() {
    const auto& log = log::get("controller");
    const auto started = std::chrono::steady_clock::now();
    const Image image = image_;
    if (image->offset() < 0) {
        return unexpected<std::string>("the metadata log is empty");
    }
    const int64_t end = image->offset() + 1;
    if (last_snapshot_ && last_snapshot_->end_offset >= end) {
        return *last_snapshot_;
    }
    const auto records = metadata::write_image(*image);
    const int64_t timestamp = last_commit_ms_ >= 0 ? last_commit_ms_ : storage::system_clock_ms();
    auto id = log_->write_snapshot(end, timestamp, records, config_.snapshots);
    last_snapshot_ms_ = storage::system_clock_ms();
    if (!id) {
        snapshot_retry_ms_ = last_snapshot_ms_ + kSnapshotRetryBackoffMs;
        log->error("cannot write a metadata snapshot at offset {}: {}", end, id.error());
        return unexpected<std::string>(id.error());
    }
    last_snapshot_ = *id;
    bytes_since_snapshot_ = 0;
    log->info("wrote the metadata snapshot {} ({} records, {} topics) in {:.1f} ms",
              snapshot_file_name(*id), records.size(), image->topics_by_name().size(),
              ms_since(started));
    return id;
}

result<SnapshotId, std::string> QuorumController::take_snapshot() {
    bool running = false;
    {
        std::lock_guard lock(mutex_);
        running = running_ && !stopping_;
    }
    if (!running) {
        return write_snapshot();
    }
    std::promise<result<SnapshotId, std::string>> promise;
    auto future = promise.get_future();
    if (!enqueue([this, &promise] { promise.set_value(write_snapshot()); })) {
        return unexpected<std::string>("The controller is busy or stopping");
    }
    return future.get();
}

}  // namespace gregor::controller
