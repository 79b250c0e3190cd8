/* CRC-32 as zlib computes it (reflected polynomial 0xEDB88320, init and xor-out 0xFFFFFFFF).
 * Incremental: crc = reparo_crc32_update(REPARO_CRC32_INIT, ...) ... ; value = crc ^ 0xFFFFFFFF. */
#ifndef REPARO_CRC32_H
#define REPARO_CRC32_H
#include <stdint.h>

#define REPARO_CRC32_INIT 0xFFFFFFFFu

uint32_t reparo_crc32_update(uint32_t crc, const void *data, uint32_t n);
uint32_t reparo_crc32(const void *data, uint32_t n);

#endif
