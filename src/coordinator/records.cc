// Kafka's __consumer_offsets records: OffsetCommitKey (version 1) with OffsetCommitValue
// (version 3), GroupMetadataKey (version 2) with GroupMetadataValue (version 3). A key or value
// is its version (int16) followed by the struct, as Kafka's console consumer's offsets formatter
// expects.

#include "gregor/coordinator/group_coordinator.h"
#include "gregor/protocol/messages/group_records.h"
#include "gregor/protocol/wire.h"

#include <climits>

namespace gregor::coordinator {

namespace {

constexpr int16_t kOffsetCommitKeyVersion = 1;  // the record type
constexpr int16_t kOffsetCommitValueVersion = 3;

// The leading int16 of a key is its record type (Kafka's "key version"), and the struct after it
// is always version 0; a value's int16 is the version its struct is written in.
template <typename M>
Bytes encode(const M& m, int16_t prefix, int16_t version) {
    Bytes out;
    protocol::Writer w(out);
    w.write_int16(prefix);
    m.write(w, version);
    return out;
}

// The UTF-16 code units of a UTF-8 string, as Java's String holds them.
std::vector<uint16_t> utf16(const std::string& s) {
    std::vector<uint16_t> out;
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        uint32_t cp = c;
        size_t len = 1;
        if (c >= 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else if (c >= 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xC0) {
            len = 2;
            cp = c & 0x1F;
        }
        if (i + len > s.size()) {
            len = 1;
            cp = 0xFFFD;
        } else {
            for (size_t k = 1; k < len; ++k) {
                cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
            }
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            out.push_back(static_cast<uint16_t>(0xD800 + (cp >> 10)));
            out.push_back(static_cast<uint16_t>(0xDC00 + (cp & 0x3FF)));
        } else {
            out.push_back(static_cast<uint16_t>(cp));
        }
        i += len;
    }
    return out;
}

}  // namespace

int32_t offsets_partition_for(const std::string& group_id, int32_t partitions) {
    uint32_t h = 0;  // Java int arithmetic wraps
    for (uint16_t unit : utf16(group_id)) {
        h = 31 * h + unit;
    }
    const auto hash = static_cast<int32_t>(h);
    const int32_t abs = hash == INT_MIN ? 0 : (hash < 0 ? -hash : hash);  // Utils.abs
    return abs % partitions;
}

GroupStore::Record offset_commit_record(const std::string& group,
                                        const std::string& topic,
                                        int32_t partition,
                                        const std::optional<CommittedOffset>& committed) {
    protocol::OffsetCommitKey key;
    key.group = group;
    key.topic = topic;
    key.partition = partition;
    GroupStore::Record r;
    r.key = encode(key, kOffsetCommitKeyVersion, 0);
    if (committed) {
        protocol::OffsetCommitValue value;
        value.offset = committed->offset;
        value.leader_epoch = committed->leader_epoch;
        value.metadata = committed->metadata.value_or("");
        value.commit_timestamp = committed->commit_timestamp_ms;
        r.value = encode(value, kOffsetCommitValueVersion, kOffsetCommitValueVersion);
    }
    return r;
}

}  // namespace gregor::coordinator
