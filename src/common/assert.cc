#include "gregor/common/assert.h"

#include <spdlog/spdlog.h>

namespace gregor::detail {

void assert_failed(const char* file, int line, const char* expr, const char* msg) {
    spdlog::critical("assertion failed at {}:{}: {} ({})", file, line, expr, msg);
    spdlog::default_logger()->flush();
    std::fprintf(stderr, "assertion failed at %s:%d: %s (%s)\n", file, line, expr, msg);
    std::abort();
}

}  // namespace gregor::detail
