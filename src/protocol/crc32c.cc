#include "gregor/protocol/crc32c.h"

#include "gregor/common/assert.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define GREGOR_CRC32C_X86 1
#endif

namespace gregor::protocol {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78;  // Castagnoli, bit-reversed

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// tables[k][b] is the CRC of byte b followed by k zero bytes, which lets slicing-by-8 fold eight
// input bytes per step with eight independent lookups.
constexpr Tables make_tables() {
    Tables t{};
    for (uint32_t b = 0; b < 256; ++b) {
        uint32_t crc = b;
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
        }
        t[0][b] = crc;
    }
    for (size_t k = 1; k < 8; ++k) {
        for (size_t b = 0; b < 256; ++b) {
            const uint32_t prev = t[k - 1][b];
            t[k][b] = (prev >> 8) ^ t[0][prev & 0xff];
        }
    }
    return t;
}

constexpr Tables kTables = make_tables();
static_assert(kTables[0][1] == 0xF26B8303, "CRC-32C table");

uint32_t load_le32(const uint8_t* p) {
    return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

}  // namespace

uint32_t crc32c_extend_portable(uint32_t crc, const uint8_t* data, size_t size) {
    uint32_t c = ~crc;
    while (size >= 8) {
        const uint32_t lo = c ^ load_le32(data);
        const uint32_t hi = load_le32(data + 4);
        c = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff]
            ^ kTables[4][lo >> 24] ^ kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff]
            ^ kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
        data += 8;
        size -= 8;
    }
    while (size > 0) {
        c = (c >> 8) ^ kTables[0][(c ^ *data) & 0xff];
        ++data;
        --size;
    }
    return ~c;
}

#ifdef GREGOR_CRC32C_X86

bool crc32c_hardware_available() {
    // Run-time detection keeps the binary usable on CPUs without SSE4.2 (some VMs hide it).
    static const bool available = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("sse4.2") != 0;
    }();
    return available;
}

namespace {

// Shifting a CRC register over n zero bytes is linear over GF(2): a 32x32 bit matrix, applied
// byte-wise through four 256-entry tables. It lets three independent crc32 streams over adjacent
// blocks be combined into one (the crc32 instruction has a latency of three cycles but a
// throughput of one, so three streams run about three times faster than one).
using Matrix = std::array<uint32_t, 32>;
using ShiftTable = std::array<std::array<uint32_t, 256>, 4>;

uint32_t matrix_times(const Matrix& m, uint32_t v) {
    uint32_t sum = 0;
    for (size_t i = 0; v != 0; ++i, v >>= 1) {
        if (v & 1) {
            sum ^= m[i];
        }
    }
    return sum;
}

Matrix matrix_square(const Matrix& m) {
    Matrix sq{};
    for (size_t n = 0; n < 32; ++n) {
        sq[n] = matrix_times(m, m[n]);
    }
    return sq;
}

// The operator that appends `bytes` zero bytes to a register; `bytes` is a power of two.
Matrix zeros_operator(size_t bytes) {
    Matrix op{};
    op[0] = kPolynomial;  // one zero bit
    for (size_t n = 1; n < 32; ++n) {
        op[n] = uint32_t{1} << (n - 1);
    }
    for (size_t bits = 1; bits < bytes * 8; bits *= 2) {
        op = matrix_square(op);
    }
    return op;
}

ShiftTable make_shift_table(size_t bytes) {
    const Matrix op = zeros_operator(bytes);
    ShiftTable t{};
    for (uint32_t b = 0; b < 256; ++b) {
        for (size_t k = 0; k < 4; ++k) {
            t[k][b] = matrix_times(op, b << (8 * k));
        }
    }
    return t;
}

uint32_t shift(const ShiftTable& t, uint32_t crc) {
    return t[0][crc & 0xff] ^ t[1][(crc >> 8) & 0xff] ^ t[2][(crc >> 16) & 0xff] ^ t[3][crc >> 24];
}

constexpr size_t kLongBlock = 8192;
constexpr size_t kShortBlock = 256;

// Three interleaved streams over blocks of `block` bytes, combined by shifting.
__attribute__((target("sse4.2"))) uint64_t crc_three_way(
    uint64_t crc, const uint8_t*& data, size_t& size, size_t block, const ShiftTable& t) {
    while (size >= 3 * block) {
        uint64_t c1 = 0;
        uint64_t c2 = 0;
        for (size_t i = 0; i < block; i += 8) {
            uint64_t w0;
            uint64_t w1;
            uint64_t w2;
            std::memcpy(&w0, data + i, 8);
            std::memcpy(&w1, data + block + i, 8);
            std::memcpy(&w2, data + 2 * block + i, 8);
            crc = _mm_crc32_u64(crc, w0);
            c1 = _mm_crc32_u64(c1, w1);
            c2 = _mm_crc32_u64(c2, w2);
        }
        crc = shift(t, static_cast<uint32_t>(crc)) ^ c1;
        crc = shift(t, static_cast<uint32_t>(crc)) ^ c2;
        data += 3 * block;
        size -= 3 * block;
    }
    return crc;
}

}  // namespace

__attribute__((target("sse4.2"))) uint32_t crc32c_extend_hardware(uint32_t crc,
                                                                  const uint8_t* data,
                                                                  size_t size) {
    GREGOR_DEBUG_ASSERT(crc32c_hardware_available(), "SSE4.2 path on a CPU without it");
    uint32_t c = ~crc;
#if defined(__x86_64__)
    static const ShiftTable long_shift = make_shift_table(kLongBlock);
    static const ShiftTable short_shift = make_shift_table(kShortBlock);
    uint64_t c64 = c;
    c64 = crc_three_way(c64, data, size, kLongBlock, long_shift);
    c64 = crc_three_way(c64, data, size, kShortBlock, short_shift);
    while (size >= 8) {
        uint64_t word;
        std::memcpy(&word, data, sizeof(word));
        c64 = _mm_crc32_u64(c64, word);
        data += 8;
        size -= 8;
    }
    c = static_cast<uint32_t>(c64);
#endif
    while (size >= 4) {
        uint32_t word;
        std::memcpy(&word, data, sizeof(word));
        c = _mm_crc32_u32(c, word);
        data += 4;
        size -= 4;
    }
    while (size > 0) {
        c = _mm_crc32_u8(c, *data);
        ++data;
        --size;
    }
    return ~c;
}

#else

bool crc32c_hardware_available() {
    return false;
}

uint32_t crc32c_extend_hardware(uint32_t crc, const uint8_t* data, size_t size) {
    GREGOR_ASSERT(false, "no hardware CRC-32C on this architecture");
    return crc32c_extend_portable(crc, data, size);
}

#endif

uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t size) {
    if (crc32c_hardware_available()) {
        return crc32c_extend_hardware(crc, data, size);
    }
    return crc32c_extend_portable(crc, data, size);
}

}  // namespace gregor::protocol
