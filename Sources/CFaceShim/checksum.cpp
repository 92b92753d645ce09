// Checksums through zlib (a dependency already: libpng links it), so the model file's CRC-32 is
// zlib's well-tested one rather than a table of our own.
#include "common.hpp"
#include <zlib.h>

extern "C" uint32_t fsx_crc32(uint32_t crc, const uint8_t *data, size_t size) {
    if (!data || size == 0) return crc;
    // crc32_z takes a size_t length (crc32 takes a 32-bit one).
    return static_cast<uint32_t>(crc32_z(crc, data, size));
}
