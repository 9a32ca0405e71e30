#include "gregor/controller/snapshot.h"

#include "gregor/common/logging.h"
#include "gregor/protocol/messages/raft_records.h"
#include "gregor/protocol/record_batch.h"
#include "gregor/storage/checkpoint.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <unistd.h>

namespace gregor::controller {

namespace fs = std::filesystem;
namespace p = protocol;

namespace {

constexpr size_t kOffsetWidth = 20;
constexpr size_t kEpochWidth = 10;
// KafkaRaftClient.MAX_BATCH_SIZE_BYTES bounds a batch a reader has to hold.
constexpr size_t kMaxDecodedBatchBytes = 32 * 1024 * 1024;
constexpr int16_t kHeaderVersion = 0;  // ControlRecordUtils.SNAPSHOT_HEADER_CURRENT_VERSION
constexpr int16_t kFooterVersion = 0;  // ControlRecordUtils.SNAPSHOT_FOOTER_CURRENT_VERSION

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::optional<int64_t> parse_digits(std::string_view s) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < 0) {
        return std::nullopt;
    }
    return v;
}

// One control batch holding one control record of `type`.
bool append_control_batch(std::vector<uint8_t>& out,
                          int64_t base_offset,
                          int32_t epoch,
                          int64_t now_ms,
                          p::ControlRecordType type,
                          const std::vector<uint8_t>& value) {
    p::BatchOptions options;
    options.base_offset = base_offset;
    options.partition_leader_epoch = epoch;
    options.control = true;
    p::RecordBatchBuilder builder(options);
    const auto key = p::encode_control_record_key(type);
    p::RecordInput in;
    in.timestamp = now_ms;
    in.key = std::span<const uint8_t>(key);
    in.value = std::span<const uint8_t>(value);
    builder.append(in);
    return builder.build(out) == p::BuildError::kOk;
}

bool append_data_batch(std::vector<uint8_t>& out,
                       int64_t base_offset,
                       int32_t epoch,
                       int64_t now_ms,
                       const std::vector<std::vector<uint8_t>>& values) {
    p::BatchOptions options;
    options.base_offset = base_offset;
    options.partition_leader_epoch = epoch;
    p::RecordBatchBuilder builder(options);
    for (const auto& v : values) {
        p::RecordInput in;
        in.timestamp = now_ms;
        in.value = std::span<const uint8_t>(v);
        builder.append(in);
    }
    return builder.build(out) == p::BuildError::kOk;
}

template <typename M>
std::vector<uint8_t> encode_message(const M& m, int16_t version) {
    std::vector<uint8_t> out;
    p::Writer w(out);
    m.write(w, version);
    return out;
}

// The control record types in a control batch, in order, with the first header record's value.
struct ControlBatch {
    std::vector<p::ControlRecordType> types;
    std::optional<std::span<const uint8_t>> header_value;
};

result<ControlBatch, std::string> read_control_batch(const p::RecordBatchView& batch,
                                                     std::vector<uint8_t>& scratch) {
    ControlBatch out;
    auto records = batch.records(scratch, kMaxDecodedBatchBytes);
    if (!records) {
        return unexpected<std::string>(std::string(p::to_string(records.error())));
    }
    while (auto rec = records->next()) {
        auto key = rec->key ? p::parse_control_record_key(*rec->key) : std::nullopt;
        if (!key) {
            return unexpected<std::string>("a control record without a valid key");
        }
        out.types.push_back(key->type());
        if (key->type() == p::ControlRecordType::kSnapshotHeader && !out.header_value
            && rec->value) {
            out.header_value = *rec->value;
        }
    }
    if (records->error() != p::BatchError::kOk) {
        return unexpected<std::string>(std::string(p::to_string(records->error())));
    }
    return out;
}

result<bool, std::string> read_data_batch(const p::RecordBatchView& batch,
                                          std::vector<uint8_t>& scratch,
                                          std::vector<metadata::ApiMessageAndVersion>& out) {
    auto records = batch.records(scratch, kMaxDecodedBatchBytes);
    if (!records) {
        return unexpected<std::string>(std::string(p::to_string(records.error())));
    }
    while (auto rec = records->next()) {
        const int64_t offset = batch.record_offset(*rec);
        if (!rec->value) {
            return unexpected<std::string>(fmt::format("record {} has no value", offset));
        }
        auto decoded = metadata::deserialize(*rec->value);
        if (!decoded.ok) {
            return unexpected<std::string>(fmt::format("record {}: {}", offset, decoded.error));
        }
        out.push_back(std::move(decoded.record));
    }
    if (records->error() != p::BatchError::kOk) {
        return unexpected<std::string>(std::string(p::to_string(records->error())));
    }
    return true;
}

bool write_all(int fd, std::span<const uint8_t> bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        bytes = bytes.subspan(static_cast<size_t>(n));
    }
    return true;
}

}  // namespace

std::string snapshot_file_name(SnapshotId id) {
    return fmt::format("{:020d}-{:010d}{}", id.end_offset, id.epoch, kSnapshotSuffix);
}

std::optional<SnapshotId> parse_snapshot_file_name(std::string_view name) {
    if (name.size() != kOffsetWidth + 1 + kEpochWidth + kSnapshotSuffix.size()
        || !ends_with(name, kSnapshotSuffix) || name[kOffsetWidth] != '-') {
        return std::nullopt;
    }
    auto offset = parse_digits(name.substr(0, kOffsetWidth));
    auto epoch = parse_digits(name.substr(kOffsetWidth + 1, kEpochWidth));
    if (!offset || !epoch || *epoch > INT32_MAX) {
        return std::nullopt;
    }
    return SnapshotId{*offset, static_cast<int32_t>(*epoch)};
}

std::vector<uint8_t> encode_snapshot(SnapshotId id,
                                     int64_t last_contained_log_timestamp,
                                     int64_t now_ms,
                                     std::span<const metadata::ApiMessageAndVersion> records,
                                     size_t max_batch_bytes) {
    std::vector<uint8_t> out;
    int64_t next_offset = 0;
    p::SnapshotHeaderRecord header;
    header.version = kHeaderVersion;
    header.last_contained_log_timestamp = last_contained_log_timestamp;
    bool ok =
        append_control_batch(out, next_offset++, id.epoch, now_ms,
                             p::ControlRecordType::kSnapshotHeader, encode_message(header, 0));
    std::vector<std::vector<uint8_t>> values;
    size_t batch_bytes = 0;
    auto flush = [&] {
        if (values.empty()) {
            return;
        }
        ok = ok && append_data_batch(out, next_offset, id.epoch, now_ms, values);
        next_offset += static_cast<int64_t>(values.size());
        values.clear();
        batch_bytes = 0;
    };
    for (const auto& r : records) {
        values.push_back(metadata::serialize(r));
        batch_bytes += values.back().size();
        if (batch_bytes >= max_batch_bytes) {
            flush();
        }
    }
    flush();
    p::SnapshotFooterRecord footer;
    footer.version = kFooterVersion;
    ok = ok
         && append_control_batch(out, next_offset, id.epoch, now_ms,
                                 p::ControlRecordType::kSnapshotFooter, encode_message(footer, 0));
    if (!ok) {
        out.clear();  // a batch past the int32 length limit
    }
    return out;
}

result<DecodedSnapshot, std::string> decode_snapshot(std::span<const uint8_t> bytes) {
    p::BatchSplitter splitter(bytes);
    std::vector<p::RecordBatchView> batches;
    while (auto batch = splitter.next()) {
        batches.push_back(*batch);
    }
    if (splitter.error() != p::BatchError::kOk) {
        return unexpected<std::string>(fmt::format("bad batch at byte {}: {}", splitter.consumed(),
                                                   p::to_string(splitter.error())));
    }
    if (batches.size() < 2) {
        return unexpected<std::string>("no header and footer batches");
    }
    std::vector<uint8_t> scratch;
    DecodedSnapshot out;
    // The header: the first record of the first batch (KRaft version and voter records may
    // follow it in the same batch).
    if (!batches.front().is_control()) {
        return unexpected<std::string>("the first batch is not a control batch");
    }
    auto first = read_control_batch(batches.front(), scratch);
    if (!first) {
        return unexpected<std::string>("unreadable header batch: " + first.error());
    }
    if (first->types.empty() || first->types.front() != p::ControlRecordType::kSnapshotHeader
        || !first->header_value) {
        return unexpected<std::string>("no SnapshotHeaderRecord in the first batch");
    }
    p::Reader reader(*first->header_value);
    p::SnapshotHeaderRecord header;
    header.read(reader, kHeaderVersion);
    if (!reader.ok()) {
        return unexpected<std::string>("malformed SnapshotHeaderRecord");
    }
    out.last_contained_log_timestamp = header.last_contained_log_timestamp;
    // The footer: the last batch, and nothing after it.
    if (!batches.back().is_control()) {
        return unexpected<std::string>("the last batch is not a control batch");
    }
    auto last = read_control_batch(batches.back(), scratch);
    if (!last) {
        return unexpected<std::string>("unreadable footer batch: " + last.error());
    }
    if (last->types.empty() || last->types.back() != p::ControlRecordType::kSnapshotFooter) {
        return unexpected<std::string>("no SnapshotFooterRecord in the last batch");
    }
    for (size_t i = 1; i + 1 < batches.size(); ++i) {
        if (batches[i].is_control()) {
            continue;  // no state in control records
        }
        auto read = read_data_batch(batches[i], scratch, out.records);
        if (!read) {
            return unexpected<std::string>(
                fmt::format("batch at offset {}: {}", batches[i].base_offset(), read.error()));
        }
    }
    return out;
}

std::vector<SnapshotId> list_snapshots(const fs::path& dir) {
    std::vector<SnapshotId> ids;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (auto id = parse_snapshot_file_name(entry.path().filename().string())) {
            ids.push_back(*id);
        }
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

result<fs::path, std::string> write_snapshot_file(const fs::path& dir,
                                                  SnapshotId id,
                                                  std::span<const uint8_t> bytes) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    const std::string name = snapshot_file_name(id);
    const std::string stem = name.substr(0, name.size() - kSnapshotSuffix.size());
    // A unique part file per attempt, as Files.createTempFile gives Kafka.
    const fs::path part =
        dir / fmt::format("{}-{:016x}{}", stem, std::random_device{}(), kPartialSnapshotSuffix);
    const fs::path final_path = dir / name;
    const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        return unexpected<std::string>(
            fmt::format("cannot create {}: {}", part.string(), std::strerror(errno)));
    }
    const bool written = write_all(fd, bytes) && ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!written) {
        fs::remove(part, ec);
        return unexpected<std::string>(
            fmt::format("cannot write {}: {}", part.string(), std::strerror(err)));
    }
    if (::rename(part.c_str(), final_path.c_str()) != 0) {
        const int rename_err = errno;
        fs::remove(part, ec);
        return unexpected<std::string>(fmt::format("cannot rename {} to {}: {}", part.string(),
                                                   final_path.string(), std::strerror(rename_err)));
    }
    auto synced = storage::fsync_dir(dir);
    if (!synced) {
        return unexpected<std::string>(synced.error().message);
    }
    return final_path;
}

result<DecodedSnapshot, std::string> read_snapshot_file(const fs::path& dir, SnapshotId id) {
    const fs::path path = dir / snapshot_file_name(id);
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return unexpected<std::string>(fmt::format("cannot open {}", path.string()));
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    if (in.bad()) {
        return unexpected<std::string>(fmt::format("cannot read {}", path.string()));
    }
    auto decoded = decode_snapshot(bytes);
    if (!decoded) {
        return unexpected<std::string>(fmt::format("{}: {}", path.string(), decoded.error()));
    }
    return decoded;
}

int remove_partial_snapshots(const fs::path& dir) {
    const auto& log = log::get("controller");
    int removed = 0;
    std::error_code ec;
    std::vector<fs::path> leftovers;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (ends_with(name, kPartialSnapshotSuffix) || ends_with(name, kDeletedSnapshotSuffix)) {
            leftovers.push_back(entry.path());
        }
    }
    for (const auto& path : leftovers) {
        if (fs::remove(path, ec)) {
            log->info("deleted the unfinished snapshot file {}", path.string());
            ++removed;
        }
    }
    return removed;
}

std::vector<SnapshotId> delete_old_snapshots(const fs::path& dir, size_t keep) {
    const auto& log = log::get("controller");
    std::vector<SnapshotId> deleted;
    auto ids = list_snapshots(dir);
    if (ids.size() <= keep) {
        return deleted;
    }
    std::error_code ec;
    for (size_t i = 0; i + keep < ids.size(); ++i) {
        const fs::path path = dir / snapshot_file_name(ids[i]);
        if (fs::remove(path, ec)) {
            log->info("deleted the metadata snapshot {}", path.filename().string());
            deleted.push_back(ids[i]);
        } else if (ec) {
            log->warn("cannot delete the metadata snapshot {}: {}", path.string(), ec.message());
        }
    }
    if (!deleted.empty()) {
        (void)storage::fsync_dir(dir);
    }
    return deleted;
}

}  // namespace gregor::controller
