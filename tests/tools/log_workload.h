#pragma once

// The deterministic workload shared by gregor-log-tool and storage_bench: batch number i of a
// seed is always the same bytes (same records, same codec, same compressed output), so a reader
// can check that a log is exactly a prefix of what a writer appended without any side channel.

#include "gregor/protocol/compression.h"
#include "gregor/protocol/record_batch.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gregor::tools {

// splitmix64: tiny, seedable, good enough for workloads.
class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n).
    uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }

private:
    uint64_t state_;
};

struct GenHeader {
    std::string key;
    std::optional<std::string> value;
};

struct GenRecord {
    int64_t timestamp = 0;
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<GenHeader> headers;
};

struct GenBatch {
    uint64_t index = 0;
    protocol::CompressionType codec = protocol::CompressionType::kNone;
    std::vector<GenRecord> records;
};

struct WorkloadSpec {
    uint64_t seed = 1;
    int32_t records_per_batch = 10;  // exact, or the maximum when vary_records
    bool vary_records = true;
    std::optional<protocol::CompressionType> codec;  // nullopt: chosen per batch from the seed
    int32_t key_every = 3;          // every Kth record of a batch has a key; 0 = none
    bool headers = true;            // some records carry 1-3 headers
    int32_t max_value_bytes = 200;  // value filler length in [0, max]
};

inline constexpr int64_t kBaseTimestampMs = 1750000000000;  // 2025-06-15, in the past

// Batch number `index` of the workload.
GenBatch generate_batch(const WorkloadSpec& spec, uint64_t index);
// Only the record count of batch `index` (cheap: no record bodies).
int32_t batch_record_count(const WorkloadSpec& spec, uint64_t index);

// The batch's bytes as a producer would send them: base offset 0, no leader epoch, create time.
std::vector<uint8_t> encode_batch(const GenBatch& batch);

// CRC-32C chained over every record's key bytes then value bytes (nulls contribute nothing).
uint32_t payload_crc(uint32_t crc, const GenBatch& batch);

const char* codec_name(protocol::CompressionType codec);
std::optional<protocol::CompressionType> parse_codec(const std::string& name);

}  // namespace gregor::tools
