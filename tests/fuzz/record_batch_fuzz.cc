// libFuzzer target: a buffer of concatenated RecordBatch v2 as a Produce request or a .log segment
// would hold. Splits it, validates each batch, then reads every record (decompressing with a
// small cap) and every header. Any crash, sanitizer report or assertion is a bug: malformed input
// must only ever produce error values.
//
// Seeds: tests/fuzz/corpus/record_batch/ (written by the unit test RecordBatchSeeds).

#include "gregor/protocol/record_batch.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace {

using namespace gregor::protocol;

// Small enough that bombs hit it quickly, large enough for the seeds.
constexpr size_t kMaxUncompressed = 256 * 1024;

void read_records(const RecordBatchView& batch, std::vector<uint8_t>& scratch) {
    auto records = batch.records(scratch, kMaxUncompressed);
    if (!records) {
        return;
    }
    while (auto r = records->next()) {
        (void)batch.record_offset(*r);
        (void)batch.record_timestamp(*r);
        auto headers = r->headers();
        while (headers.next()) {
        }
        if (batch.is_control() && r->key) {
            if (auto key = parse_control_record_key(*r->key); key && r->value) {
                (void)key->type();
                (void)parse_end_txn_marker(*r->value);
            }
        }
    }
    (void)records->error();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span<const uint8_t> input(data, size);
    std::vector<uint8_t> scratch;

    // Framing-only first, so batches with a wrong CRC still reach the record parser.
    BatchSplitter framing(input, BatchSplitter::Check::kFraming);
    while (auto batch = framing.next()) {
        (void)batch->validate();
        read_records(*batch, scratch);
    }

    BatchSplitter full(input);
    while (full.next()) {
    }
    if (full.consumed() > framing.consumed()) {
        __builtin_trap();  // the CRC check can only stop the splitter earlier
    }

    // Any prefix is also a single-batch view; validate() must not read past it.
    (void)RecordBatchView(input).validate();
    return 0;
}
