/* The byte streams of the transfer tests: byte i of stream `seed` is a hash of (seed, i / 8),
 * so a lost, repeated or misplaced segment shows as a wrong byte at a known offset. */
#pragma once

#include <stddef.h>
#include <stdint.h>

static inline uint64_t lwip_test_mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static inline unsigned char lwip_test_byte(uint64_t seed, uint64_t i) {
  return (unsigned char)(lwip_test_mix(seed * 0x100000000ull + (i >> 3)) >> (8 * (i & 7)));
}

static inline void lwip_test_fill(uint64_t seed, uint64_t offset, unsigned char* out, size_t n) {
  for (size_t k = 0; k < n; ++k) out[k] = lwip_test_byte(seed, offset + k);
}

/* The offset of the first byte of `in` that differs from the stream, or -1. */
static inline long long lwip_test_check(uint64_t seed, uint64_t offset, const unsigned char* in, size_t n) {
  for (size_t k = 0; k < n; ++k)
    if (in[k] != lwip_test_byte(seed, offset + k)) return (long long)(offset + k);
  return -1;
}
