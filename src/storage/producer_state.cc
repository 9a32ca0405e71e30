#include "gregor/storage/producer_state.h"

#include "gregor/common/file_handle.h"
#include "gregor/common/logging.h"
#include "gregor/protocol/crc32c.h"
#include "gregor/protocol/messages/storage_records.h"
#include "gregor/protocol/wire.h"
#include "gregor/storage/index_file.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <fcntl.h>
#include <limits>
#include <string>
#include <unistd.h>

namespace gregor::storage {

namespace fs = std::filesystem;

namespace {

constexpr int16_t kSnapshotVersion = 1;
constexpr size_t kCrcOffset = 2;              // after the version
constexpr size_t kProducerEntriesOffset = 6;  // after version and CRC: what the CRC covers
constexpr int32_t kMaxSeq = std::numeric_limits<int32_t>::max();

const log::Logger& logger() {
    return log::get("storage");
}

// Kafka's DefaultRecordBatch.incrementSequence / decrementSequence.
int32_t increment_sequence(int32_t seq, int32_t increment) {
    if (seq > kMaxSeq - increment) {
        return increment - (kMaxSeq - seq) - 1;
    }
    return seq + increment;
}

int32_t decrement_sequence(int32_t seq, int32_t decrement) {
    if (seq < decrement) {
        return kMaxSeq - (decrement - seq) + 1;
    }
    return seq - decrement;
}

bool in_sequence(int32_t last_seq, int32_t next_seq) {
    return static_cast<int64_t>(next_seq) == static_cast<int64_t>(last_seq) + 1
           || (next_seq == 0 && last_seq == kMaxSeq);
}

std::optional<int64_t> snapshot_offset_from_name(const std::string& name) {
    const std::string suffix = kProducerSnapshotSuffix;
    if (name.size() != 20 + suffix.size() || name.compare(20, suffix.size(), suffix) != 0) {
        return std::nullopt;
    }
    int64_t offset = 0;
    for (size_t i = 0; i < 20; ++i) {
        if (name[i] < '0' || name[i] > '9'
            || offset > std::numeric_limits<int64_t>::max() / 10 - 1) {
            return std::nullopt;
        }
        offset = offset * 10 + (name[i] - '0');
    }
    return offset;
}

Result<std::vector<uint8_t>> read_file(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return io_failure("open", path, errno);
    }
    FileHandle handle(fd);
    std::vector<uint8_t> out;
    uint8_t buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return io_failure("read", path, errno);
        }
        if (n == 0) {
            return out;
        }
        out.insert(out.end(), buf, buf + n);
    }
}

Result<bool> write_file(const fs::path& path, std::span<const uint8_t> bytes, bool sync) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return io_failure("open", path, errno);
    }
    FileHandle handle(fd);
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return io_failure("write", path, errno);
        }
        done += static_cast<size_t>(n);
    }
    if (sync && ::fsync(fd) != 0) {
        return io_failure("fsync", path, errno);
    }
    return true;
}

}  // namespace

int32_t ProducerBatch::last_sequence() const {
    return increment_sequence(base_sequence, static_cast<int32_t>(last_offset - first_offset));
}

void ProducerEntry::add_batch(int16_t batch_epoch, const BatchMetadata& batch) {
    if (batch_epoch != epoch) {
        batches.clear();
        epoch = batch_epoch;
    }
    batches.push_back(batch);
    if (batches.size() > kBatchesRetained) {
        batches.pop_front();
    }
    last_timestamp = batch.timestamp;
}

std::optional<BatchMetadata> ProducerEntry::find_duplicate(const ProducerBatch& batch) const {
    if (batch.epoch != epoch) {
        return std::nullopt;
    }
    const int32_t last_seq = batch.last_sequence();
    for (const BatchMetadata& b : batches) {
        if (b.first_seq == batch.base_sequence && b.last_seq == last_seq) {
            return b;
        }
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// ProducerAppend

ProducerEntry& ProducerAppend::entry_for(int64_t producer_id) {
    auto it = updated_.find(producer_id);
    if (it != updated_.end()) {
        return it->second;
    }
    ProducerEntry entry;
    if (const ProducerEntry* current = state_.find(producer_id)) {
        entry = *current;
    } else {
        entry.producer_id = producer_id;
    }
    return updated_.emplace(producer_id, std::move(entry)).first->second;
}

Result<bool> ProducerAppend::check(const ProducerEntry& current, const ProducerBatch& b) const {
    // Kafka's ProducerAppendInfo.checkProducerEpoch and checkSequence (client appends only).
    const std::string who = "producer " + std::to_string(b.producer_id) + " at offset "
                            + std::to_string(b.first_offset);
    if (b.epoch < current.epoch) {
        return fail(Errc::invalid_producer_epoch,
                    "epoch of " + who + " is " + std::to_string(b.epoch)
                        + ", which is smaller than the last seen epoch "
                        + std::to_string(current.epoch));
    }
    if (b.epoch != current.epoch) {
        // A new epoch restarts the sequence; an unknown producer (its state expired or removed
        // with the data) is accepted at any sequence, as Kafka 4.1 does.
        if (b.base_sequence != 0 && current.epoch != -1) {
            return fail(Errc::out_of_order_sequence,
                        "invalid sequence number for new epoch of " + who + ": "
                            + std::to_string(b.epoch) + " (request epoch), "
                            + std::to_string(b.base_sequence) + " (seq. number), "
                            + std::to_string(current.epoch) + " (current producer epoch)");
        }
        return true;
    }
    const int32_t last_seq = current.last_seq();
    if (current.epoch != -1 && !in_sequence(last_seq, b.base_sequence)) {
        return fail(Errc::out_of_order_sequence,
                    "out of order sequence number for " + who + ": "
                        + std::to_string(b.base_sequence) + " (incoming seq. number), "
                        + std::to_string(last_seq) + " (current end sequence number)");
    }
    return true;
}

Result<bool> ProducerAppend::append(const ProducerBatch& b) {
    if (b.producer_id < 0) {
        return true;
    }
    ProducerEntry& entry = entry_for(b.producer_id);
    if (b.control) {
        // A transaction marker ends the producer's transaction (transactions come later).
        if (b.epoch != entry.epoch) {
            entry.batches.clear();
            entry.epoch = b.epoch;
        }
        entry.current_txn_first_offset = -1;
        entry.last_timestamp = b.max_timestamp;
        return true;
    }
    if (client_) {
        auto ok = check(entry, b);
        if (!ok) {
            return ok;
        }
    }
    BatchMetadata meta;
    meta.first_seq = b.base_sequence;
    meta.last_seq = b.last_sequence();
    meta.first_offset = b.first_offset;
    meta.last_offset = b.last_offset;
    meta.timestamp = b.max_timestamp;
    entry.add_batch(b.epoch, meta);
    if (b.transactional && entry.current_txn_first_offset < 0) {
        entry.current_txn_first_offset = b.first_offset;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// ProducerStateManager

const ProducerEntry* ProducerStateManager::find(int64_t producer_id) const {
    auto it = producers_.find(producer_id);
    return it == producers_.end() ? nullptr : &it->second;
}

std::optional<BatchMetadata> ProducerStateManager::find_duplicate(const ProducerBatch& b) const {
    const ProducerEntry* entry = find(b.producer_id);
    return entry == nullptr ? std::nullopt : entry->find_duplicate(b);
}

void ProducerStateManager::commit(ProducerAppend&& append, int64_t map_end_offset) {
    for (auto& [id, entry] : append.updated_) {
        producers_[id] = std::move(entry);
    }
    append.updated_.clear();
    map_end_offset_ = std::max(map_end_offset_, map_end_offset);
}

void ProducerStateManager::replay(const ProducerBatch& batch) {
    ProducerAppend append(*this, false);
    (void)append.append(batch);  // never fails without the client checks
    commit(std::move(append), batch.last_offset + 1);
}

std::vector<ActiveProducer> ProducerStateManager::active_producers() const {
    std::vector<ActiveProducer> out;
    out.reserve(producers_.size());
    for (const auto& [id, e] : producers_) {
        ActiveProducer p;
        p.producer_id = id;
        p.epoch = e.epoch;
        p.last_sequence = e.last_seq();
        p.last_timestamp = e.last_timestamp;
        p.coordinator_epoch = e.coordinator_epoch;
        p.current_txn_start_offset = e.current_txn_first_offset;
        out.push_back(p);
    }
    return out;
}

size_t ProducerStateManager::remove_expired(int64_t now_ms, int64_t expiration_ms) {
    // Kafka's isProducerExpired: idle since its last batch's timestamp, no open transaction.
    return std::erase_if(producers_, [&](const auto& kv) {
        const ProducerEntry& e = kv.second;
        return e.current_txn_first_offset < 0 && now_ms - e.last_timestamp >= expiration_ms;
    });
}

// ---------------------------------------------------------------------------------------------
// Snapshots

fs::path ProducerStateManager::snapshot_path(int64_t offset) const {
    char name[40];
    std::snprintf(name, sizeof name, "%020" PRId64 "%s", offset, kProducerSnapshotSuffix);
    return dir_ / name;
}

std::vector<int64_t> ProducerStateManager::snapshot_offsets() const {
    std::vector<int64_t> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
        if (auto offset = snapshot_offset_from_name(entry.path().filename().string())) {
            out.push_back(*offset);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

void ProducerStateManager::delete_snapshot(int64_t offset) {
    std::error_code ec;
    fs::remove(snapshot_path(offset), ec);
}

void ProducerStateManager::delete_snapshots_above(int64_t offset) {
    for (int64_t o : snapshot_offsets()) {
        if (o > offset) {
            delete_snapshot(o);
        }
    }
}

void ProducerStateManager::delete_snapshots_below(int64_t offset) {
    for (int64_t o : snapshot_offsets()) {
        if (o < offset) {
            delete_snapshot(o);
        }
    }
}

std::vector<uint8_t> ProducerStateManager::encode_snapshot(
    const std::map<int64_t, ProducerEntry>& producers) {
    // Kafka's ProducerStateManager.writeSnapshot: version, CRC-32C of the rest, the entries
    // (only each producer's last batch survives a snapshot).
    protocol::ProducerSnapshot snapshot;
    for (const auto& [id, e] : producers) {
        auto& out = snapshot.producer_entries.emplace_back();
        out.producer_id = id;
        out.epoch = e.epoch;
        out.last_sequence = e.last_seq();
        out.last_offset = e.last_offset();
        out.offset_delta = e.batches.empty()
                               ? 0
                               : static_cast<int32_t>(e.batches.back().last_offset
                                                      - e.batches.back().first_offset);
        out.timestamp = e.last_timestamp;
        out.coordinator_epoch = e.coordinator_epoch;
        out.current_txn_first_offset = e.current_txn_first_offset;
    }
    std::vector<uint8_t> bytes;
    protocol::Writer w(bytes);
    w.write_int16(kSnapshotVersion);
    snapshot.write(w, kSnapshotVersion);
    const uint32_t crc = protocol::crc32c(bytes.data() + kProducerEntriesOffset,
                                          bytes.size() - kProducerEntriesOffset);
    for (size_t i = 0; i < 4; ++i) {
        bytes[kCrcOffset + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
    }
    return bytes;
}

Result<std::map<int64_t, ProducerEntry>> ProducerStateManager::decode_snapshot(
    std::span<const uint8_t> bytes) {
    if (bytes.size() < kProducerEntriesOffset) {
        return fail(Errc::corruption, "producer snapshot shorter than its header");
    }
    const int16_t version = static_cast<int16_t>((bytes[0] << 8) | bytes[1]);
    if (version != kSnapshotVersion) {
        return fail(Errc::corruption,
                    "producer snapshot version " + std::to_string(version) + ", expected 1");
    }
    protocol::Reader r(bytes.subspan(2));
    protocol::ProducerSnapshot snapshot;
    snapshot.read(r, kSnapshotVersion);
    if (!r.ok() || r.remaining() != 0) {
        return fail(Errc::corruption, "producer snapshot entries are malformed");
    }
    const uint32_t computed = protocol::crc32c(bytes.data() + kProducerEntriesOffset,
                                               bytes.size() - kProducerEntriesOffset);
    if (computed != snapshot.crc) {
        return fail(Errc::corruption, "producer snapshot CRC mismatch");
    }
    std::map<int64_t, ProducerEntry> out;
    for (const auto& in : snapshot.producer_entries) {
        ProducerEntry e;
        e.producer_id = in.producer_id;
        e.epoch = in.epoch;
        e.coordinator_epoch = in.coordinator_epoch;
        e.last_timestamp = in.timestamp;
        e.current_txn_first_offset = in.current_txn_first_offset;
        if (in.last_offset >= 0) {
            BatchMetadata b;
            b.last_seq = in.last_sequence;
            b.first_seq = decrement_sequence(in.last_sequence, in.offset_delta);
            b.last_offset = in.last_offset;
            b.first_offset = in.last_offset - in.offset_delta;
            b.timestamp = in.timestamp;
            e.batches.push_back(b);
        }
        out[e.producer_id] = std::move(e);
    }
    return out;
}

Result<bool> ProducerStateManager::write_snapshot(bool sync) {
    const fs::path path = snapshot_path(map_end_offset_);
    std::error_code ec;
    if (fs::exists(path, ec)) {
        return false;  // the state below that offset has not changed since
    }
    const std::vector<uint8_t> bytes = encode_snapshot(producers_);
    return write_file(path, bytes, sync);
}

Result<std::optional<int64_t>> ProducerStateManager::load_latest_snapshot(int64_t max_offset) {
    producers_.clear();
    map_end_offset_ = 0;
    std::vector<int64_t> offsets = snapshot_offsets();
    for (auto it = offsets.rbegin(); it != offsets.rend(); ++it) {
        if (*it > max_offset) {
            continue;
        }
        const fs::path path = snapshot_path(*it);
        auto bytes = read_file(path);
        if (!bytes) {
            return unexpected<Error>(bytes.error());
        }
        auto decoded = decode_snapshot(*bytes);
        if (!decoded) {
            // Kafka's CorruptSnapshotException: drop it and fall back to an earlier one.
            logger()->warn("{}: {}; deleting it", path.string(), decoded.error().message);
            delete_snapshot(*it);
            continue;
        }
        producers_ = std::move(*decoded);
        map_end_offset_ = *it;
        return std::optional<int64_t>(*it);
    }
    return std::optional<int64_t>();
}

}  // namespace gregor::storage
