#include "gregor/storage/errors.h"

namespace gregor::storage {

const char* to_string(Errc e) {
    switch (e) {
        case Errc::corruption:
            return "corruption";
        case Errc::io_error:
            return "io_error";
        case Errc::not_found:
            return "not_found";
        case Errc::offset_out_of_range:
            return "offset_out_of_range";
        case Errc::invalid_record:
            return "invalid_record";
        case Errc::record_too_large:
            return "record_too_large";
        case Errc::invalid_timestamp:
            return "invalid_timestamp";
        case Errc::invalid_offset:
            return "invalid_offset";
        case Errc::log_dir_offline:
            return "log_dir_offline";
        case Errc::closed:
            return "closed";
        case Errc::out_of_order_sequence:
            return "out_of_order_sequence";
        case Errc::invalid_producer_epoch:
            return "invalid_producer_epoch";
    }
    return "unknown";
}

}  // namespace gregor::storage
