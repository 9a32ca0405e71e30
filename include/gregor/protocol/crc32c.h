#pragma once

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of RecordBatch v2.
//
// Values are the finished CRC (pre- and post-inverted), so crc32c_extend(crc32c(a), b) ==
// crc32c(a + b) and crc32c_extend(0, data) == crc32c(data). The dispatching functions use the
// SSE4.2 crc32 instruction when the CPU has it and slicing-by-8 otherwise; both paths are
// exported so tests can check each one.

#include <cstddef>
#include <cstdint>
#include <span>

namespace gregor::protocol {

uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t size);

inline uint32_t crc32c(const uint8_t* data, size_t size) {
    return crc32c_extend(0, data, size);
}
inline uint32_t crc32c(std::span<const uint8_t> data) {
    return crc32c(data.data(), data.size());
}

// The portable table-driven path; runs on any CPU.
uint32_t crc32c_extend_portable(uint32_t crc, const uint8_t* data, size_t size);

// True when the running CPU has the SSE4.2 crc32 instruction.
bool crc32c_hardware_available();

// The SSE4.2 path. Only call it when crc32c_hardware_available() is true.
uint32_t crc32c_extend_hardware(uint32_t crc, const uint8_t* data, size_t size);

}  // namespace gregor::protocol
