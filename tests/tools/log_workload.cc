#include "log_workload.h"

#include "gregor/protocol/crc32c.h"

#include <cstdlib>

namespace gregor::tools {

namespace {

constexpr uint64_t kBatchSalt = 0xd1b54a32d192ed03ULL;
constexpr char kFiller[] = "abcdefghijklmnopqrstuvwxyz0123456789";

Rng batch_rng(const WorkloadSpec& spec, uint64_t index) {
    return Rng(spec.seed * 0x9e3779b97f4a7c15ULL ^ (index + 1) * kBatchSalt);
}

// The first draws of a batch's generator, shared by generate_batch and batch_record_count.
struct BatchShape {
    int32_t records = 0;
    protocol::CompressionType codec = protocol::CompressionType::kNone;
};

BatchShape draw_shape(const WorkloadSpec& spec, Rng& rng) {
    BatchShape shape;
    uint64_t r = rng.next();
    int32_t max_records = spec.records_per_batch < 1 ? 1 : spec.records_per_batch;
    shape.records = spec.vary_records
                        ? 1 + static_cast<int32_t>(r % static_cast<uint64_t>(max_records))
                        : max_records;
    uint64_t c = rng.next();
    shape.codec = spec.codec ? *spec.codec : static_cast<protocol::CompressionType>(c % 5);
    return shape;
}

std::string filler(Rng& rng, size_t length) {
    std::string s;
    s.reserve(length);
    // Runs of one character make compressible data, as real payloads are.
    while (s.size() < length) {
        char ch = kFiller[rng.below(sizeof(kFiller) - 1)];
        size_t run = 1 + rng.below(8);
        for (size_t k = 0; k < run && s.size() < length; ++k) {
            s.push_back(ch);
        }
    }
    return s;
}

}  // namespace

int32_t batch_record_count(const WorkloadSpec& spec, uint64_t index) {
    Rng rng = batch_rng(spec, index);
    return draw_shape(spec, rng).records;
}

GenBatch generate_batch(const WorkloadSpec& spec, uint64_t index) {
    Rng rng = batch_rng(spec, index);
    BatchShape shape = draw_shape(spec, rng);
    GenBatch batch;
    batch.index = index;
    batch.codec = shape.codec;
    batch.records.reserve(static_cast<size_t>(shape.records));
    for (int32_t j = 0; j < shape.records; ++j) {
        GenRecord rec;
        rec.timestamp = kBaseTimestampMs + static_cast<int64_t>(index) * 1000 + j;
        if (spec.key_every > 0 && j % spec.key_every == 0) {
            rec.key = "k" + std::to_string(rng.below(100));
        }
        uint64_t v = rng.next();
        if (rec.key && v % 8 == 0) {
            // A tombstone: key with a null value.
        } else if (v % 17 == 1) {
            rec.value = std::string();
        } else {
            size_t len = spec.max_value_bytes > 0
                             ? rng.below(static_cast<uint64_t>(spec.max_value_bytes) + 1)
                             : 0;
            rec.value =
                "v" + std::to_string(index) + "." + std::to_string(j) + "." + filler(rng, len);
        }
        if (spec.headers && rng.below(3) == 0) {
            uint64_t count = 1 + rng.below(3);
            for (uint64_t h = 0; h < count; ++h) {
                GenHeader header;
                header.key = "h" + std::to_string(h);
                if (rng.below(5) != 0) {
                    header.value = "hv" + std::to_string(rng.below(1000));
                }
                rec.headers.push_back(std::move(header));
            }
        }
        batch.records.push_back(std::move(rec));
    }
    return batch;
}

namespace {

std::span<const uint8_t> bytes_of(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::vector<uint8_t> encode_batch(const GenBatch& batch) {
    protocol::BatchOptions options;
    options.compression = batch.codec;
    protocol::RecordBatchBuilder builder(options);
    std::vector<protocol::RecordHeader> headers;
    for (const GenRecord& rec : batch.records) {
        headers.clear();
        for (const GenHeader& h : rec.headers) {
            protocol::RecordHeader header;
            header.key = bytes_of(h.key);
            if (h.value) {
                header.value = bytes_of(*h.value);
            }
            headers.push_back(header);
        }
        protocol::RecordInput input;
        input.timestamp = rec.timestamp;
        if (rec.key) {
            input.key = bytes_of(*rec.key);
        }
        if (rec.value) {
            input.value = bytes_of(*rec.value);
        }
        input.headers = headers;
        builder.append(input);
    }
    std::vector<uint8_t> out;
    if (builder.build(out) != protocol::BuildError::kOk) {
        std::abort();  // the workload's batches are small; a failure here is a bug
    }
    return out;
}

uint32_t payload_crc(uint32_t crc, const GenBatch& batch) {
    for (const GenRecord& rec : batch.records) {
        if (rec.key) {
            crc = protocol::crc32c_extend(crc, reinterpret_cast<const uint8_t*>(rec.key->data()),
                                          rec.key->size());
        }
        if (rec.value) {
            crc = protocol::crc32c_extend(crc, reinterpret_cast<const uint8_t*>(rec.value->data()),
                                          rec.value->size());
        }
    }
    return crc;
}

const char* codec_name(protocol::CompressionType codec) {
    switch (codec) {
        case protocol::CompressionType::kNone:
            return "none";
        case protocol::CompressionType::kGzip:
            return "gzip";
        case protocol::CompressionType::kSnappy:
            return "snappy";
        case protocol::CompressionType::kLz4:
            return "lz4";
        case protocol::CompressionType::kZstd:
            return "zstd";
    }
    return "?";
}

std::optional<protocol::CompressionType> parse_codec(const std::string& name) {
    for (int id = 0; id <= 4; ++id) {
        auto codec = static_cast<protocol::CompressionType>(id);
        if (name == codec_name(codec)) {
            return codec;
        }
    }
    return std::nullopt;
}

}  // namespace gregor::tools
