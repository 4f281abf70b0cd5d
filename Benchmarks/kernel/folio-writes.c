/* What one random 4 KB pwrite (plus a twentieth of an fdatasync) costs on this machine's
 * file system, depending on how the written pages came into the page cache. LMDB without
 * MDB_WRITEMAP commits exactly so: it pwrites each dirty 4 KB page (writev for runs of
 * adjacent pages) and fdatasyncs, and it writes mostly into pages it freed earlier.
 *
 * Linux (6.x, ext4 with large folios) keeps a file's cached pages in folios of 4 KB up to
 * 2 MB. A folio is made large by read-ahead (a read or an mmap fault without MADV_RANDOM)
 * or by one write of many pages. A later 4 KB write into a large folio walks every block of
 * the folio, in ext4_block_write_begin and again at writeback (mpage_process_page_bufs).
 *
 * Cases (a 256 MB file, 100,000 writes at random 4 KB offsets, fdatasync every 20):
 *   0  file cached by 4 KB preads with read-ahead (large folios)
 *   1  file cached by mmap faults with read-ahead (large folios)
 *   2  file cached by mmap faults under MADV_RANDOM, as LMDB's MDB_NORDAHEAD does (4 KB folios)
 *   3  appends at the end of the file instead (new 4 KB folios)
 *   4  file written in 256 KB writes and still cached (large folios, as LMDB's writev of a run)
 *   5  file written in 4 KB writes and still cached (4 KB folios)
 *
 * Build and run: Benchmarks/kernel/run.sh [DIRECTORY]  (the file goes in DIRECTORY, default
 * the repository root, on the disk a store would use; cases 0-2 need root to drop the cache
 * with posix_fadvise, which they do for their own file only).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double clock_seconds(clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: folio-writes CASE FILE\n"); return 2; }
    int mode = atoi(argv[1]);
    const char *path = argv[2];
    const size_t size = 256u << 20, chunk = 256u << 10;
    const int writes = 100000;
    unlink(path);
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    if (fd < 0) { perror(path); return 1; }
    char *buf = aligned_alloc(4096, 1u << 20);
    memset(buf, 1, 1u << 20);
    volatile long sink = 0;
    if (mode == 4 || mode == 5) {
        size_t step = mode == 4 ? chunk : 4096;
        for (size_t o = 0; o < size; o += step) pwrite(fd, buf, step, o);
        fsync(fd);
        char *map = mmap(0, size, PROT_READ, MAP_SHARED, fd, 0);
        madvise(map, size, MADV_RANDOM);
        for (size_t o = 0; o < size; o += 4096) sink += map[o];
    } else if (mode <= 2) {
        for (size_t o = 0; o < size; o += 1u << 20) pwrite(fd, buf, 1u << 20, o);
        fsync(fd);
        posix_fadvise(fd, 0, size, POSIX_FADV_DONTNEED);
        if (mode == 0) {
            for (size_t o = 0; o < size; o += 4096) pread(fd, buf, 4096, o);
        } else {
            char *map = mmap(0, size, PROT_READ, MAP_SHARED, fd, 0);
            if (mode == 2) madvise(map, size, MADV_RANDOM);
            for (size_t o = 0; o < size; o += 4096) sink += map[o];
        }
    }
    srand(1);
    double wall = clock_seconds(CLOCK_MONOTONIC), cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < writes; i++) {
        size_t page = mode == 3 ? (size_t)i : (size_t)rand() % (size / 4096);
        if (pwrite(fd, buf, 4096, page * 4096) != 4096) { perror("pwrite"); return 1; }
        if (i % 20 == 19) fdatasync(fd);
    }
    wall = clock_seconds(CLOCK_MONOTONIC) - wall;
    cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu;
    static const char *names[] = {
        "cached by preads with read-ahead", "cached by mmap faults with read-ahead",
        "cached by mmap faults, MADV_RANDOM", "appends at the end",
        "written in 256 KB writes", "written in 4 KB writes"};
    printf("case %d  %-38s %7.1f us CPU, %7.1f us wall per 4 KB write\n", mode, names[mode],
           cpu * 1e6 / writes, wall * 1e6 / writes);
    unlink(path);
    return 0;
}
