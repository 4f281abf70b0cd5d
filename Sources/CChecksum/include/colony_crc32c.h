#ifndef COLONY_CRC32C_H
#define COLONY_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU computes CRC-32C in hardware (x86-64 SSE 4.2, or AArch64's CRC
/// extension when the build targets it), else 0; then `colony_crc32c` must not be called.
int colony_crc32c_available(void);

/// Continues the CRC-32C (Castagnoli) `crc` (start with 0) over `n` bytes at `data`,
/// with the CPU's CRC instructions: the same value as Colony's table-driven CRC32C.
uint32_t colony_crc32c(uint32_t crc, const void *data, size_t n);

#endif
