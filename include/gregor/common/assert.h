#pragma once

// Always-on invariant checks. They guard against our own bugs, never against input: a client, a
// peer or a disk that sends bad bytes gets an error value, not an abort.

#include <cstdio>
#include <cstdlib>

namespace gregor::detail {

[[noreturn]] void assert_failed(const char* file, int line, const char* expr, const char* msg);

}  // namespace gregor::detail

#define GREGOR_ASSERT(cond, msg)                                             \
    do {                                                                     \
        if (!(cond)) [[unlikely]] {                                          \
            ::gregor::detail::assert_failed(__FILE__, __LINE__, #cond, msg); \
        }                                                                    \
    } while (0)

#ifdef NDEBUG
#define GREGOR_DEBUG_ASSERT(cond, msg) \
    do {                               \
    } while (0)
#else
#define GREGOR_DEBUG_ASSERT(cond, msg) GREGOR_ASSERT(cond, msg)
#endif
