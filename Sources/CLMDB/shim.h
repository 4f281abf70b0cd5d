#ifndef COLONY_CLMDB_SHIM_H
#define COLONY_CLMDB_SHIM_H
#include <lmdb.h>
#include <stddef.h>

/* Asks the CPU to start loading every cache line of [p, p+n) (no fault, no wait):
   a reader about to copy a value out of the map overlaps its cache and TLB misses. */
static inline void colony_prefetch(const void *p, size_t n) {
    const char *c = (const char *)p;
    for (size_t i = 0; i < n; i += 64) __builtin_prefetch(c + i, 0, 3);
    if (n > 0) __builtin_prefetch(c + n - 1, 0, 3);
}
#endif
