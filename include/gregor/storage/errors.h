#pragma once

// Storage errors are values of three kinds (as in LevelDB's Status): corruption (cut off at
// recovery and logged), I/O errors (the log dir goes offline, as Kafka's log-dir failure) and
// not-found; plus the request-level refusals the broker maps to Kafka error codes.

#include "gregor/common/result.h"

#include <string>

namespace gregor::storage {

enum class Errc {
    corruption,             // bytes on disk failed validation
    io_error,               // a system call failed: the log dir is offline (KAFKA_STORAGE_ERROR)
    not_found,              // no such log, segment or file
    offset_out_of_range,    // OFFSET_OUT_OF_RANGE
    invalid_record,         // a batch failed validation on append: CORRUPT_MESSAGE / INVALID_RECORD
    record_too_large,       // a batch exceeds max.message.bytes: MESSAGE_TOO_LARGE
    invalid_timestamp,      // a batch timestamp outside message.timestamp.{before,after}.max.ms
    invalid_offset,         // follower append with offsets not above the log end
    log_dir_offline,        // the log's directory went offline earlier
    closed,                 // the log was closed or deleted
    out_of_order_sequence,  // idempotent producer sequence gap: OUT_OF_ORDER_SEQUENCE_NUMBER
    invalid_producer_epoch,  // a producer epoch older than the partition's: INVALID_PRODUCER_EPOCH
};

const char* to_string(Errc e);

struct Error {
    Errc code;
    std::string message;
};

template <typename T>
using Result = gregor::result<T, Error>;

inline unexpected<Error> fail(Errc code, std::string message) {
    return unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace gregor::storage
