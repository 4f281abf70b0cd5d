// An LD_PRELOAD shim that records, in order, every write to one file and every flush of it,
// so that Tests/e2e/test_power_loss.py can rebuild the file as a power cut at any moment
// could have left it: what a completed flush covered, the writes made on an O_DSYNC/O_SYNC
// descriptor, and any subset of the writes since.
//
//   POWERLOSS_LOG=/path/to/log      the record log (appended to, one write(2) per record)
//   POWERLOSS_MATCH=/store/data.mdb the file to record (a path suffix)
//
// Records: a 32-byte header {u8 type, 3 pad, u32 pid, u64 a, u64 b, u64 length} and `length`
// bytes of data. Types:
//   'W' a write that returned: a = offset, b = 1 if the descriptor is O_DSYNC/O_SYNC, data = bytes written
//   'B' a flush (fsync, fdatasync) begins: a = flush id
//   'S' that flush returned 0: a = flush id
//   'T' ftruncate: a = length
//   'N' the recorded file was created by an open (it did not exist before): data = its path
//   'M' a directory was created (mkdir returned 0): data = its path
//   'D' an fsync/fdatasync of a directory returned 0: data = the directory's path
//   'R' a rename returned 0: data = the new path
// Paths are absolute, as the kernel resolves them. Another process may append its own
// records (the test appends 'A', an acknowledgement).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FDS 65536
static volatile unsigned char tracked[MAX_FDS];  // 0 no, 1 yes, 2 yes and O_DSYNC/O_SYNC
static int log_fd = -1;
static uint64_t next_flush = 1;

struct header { uint8_t type; uint8_t pad[3]; uint32_t pid; uint64_t a, b, length; };

static void *real(const char *name) { return dlsym(RTLD_NEXT, name); }

static int open_log(void) {
    if (__atomic_load_n(&log_fd, __ATOMIC_ACQUIRE) >= 0) return log_fd;
    const char *path = getenv("POWERLOSS_LOG");
    if (!path) return -1;
    int (*o)(const char *, int, ...) = real("open");
    int fd = o(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    int expected = -1;
    if (!__atomic_compare_exchange_n(&log_fd, &expected, fd, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        int (*c)(int) = real("close");
        c(fd);
    }
    return log_fd;
}

static void record(uint8_t type, uint64_t a, uint64_t b, const struct iovec *iov, int iovcnt, size_t length) {
    int fd = open_log();
    if (fd < 0) return;
    size_t total = sizeof(struct header) + length;
    unsigned char *buf = malloc(total);
    if (!buf) abort();
    struct header h = { type, {0, 0, 0}, (uint32_t)getpid(), a, b, length };
    memcpy(buf, &h, sizeof h);
    size_t at = sizeof h, left = length;
    for (int i = 0; i < iovcnt && left > 0; i++) {
        size_t n = iov[i].iov_len < left ? iov[i].iov_len : left;
        memcpy(buf + at, iov[i].iov_base, n);
        at += n;
        left -= n;
    }
    ssize_t (*w)(int, const void *, size_t) = real("write");
    // O_APPEND: the kernel appends the whole record at once, so records of several threads and
    // processes never interleave.
    if (w(fd, buf, total) != (ssize_t)total) abort();
    free(buf);
}

static int matches(const char *path) {
    const char *suffix = getenv("POWERLOSS_MATCH");
    if (!suffix || !path) return 0;
    size_t n = strlen(path), m = strlen(suffix);
    return n >= m && strcmp(path + n - m, suffix) == 0;
}

static void track(int fd, const char *path, int flags) {
    if (fd < 0 || fd >= MAX_FDS) return;
    tracked[fd] = matches(path) ? ((flags & (O_DSYNC | O_SYNC)) ? 2 : 1) : 0;
}

static int is_tracked(int fd) { return fd >= 0 && fd < MAX_FDS && tracked[fd]; }

// Every entry point below has a twin for large files (open64, pwrite64, ...): glibc exports
// both, and a program built with _FILE_OFFSET_BITS=64 (as LMDB is) calls the second.
#define OPEN_MODE(flags, mode) \
    mode_t mode = 0; \
    if ((flags) & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }

// The absolute path of an open descriptor, as the kernel names it; 0 if unknown.
static size_t fd_path(int fd, char *out, size_t size) {
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, out, size - 1);
    if (n <= 0) return 0;
    out[n] = 0;
    return (size_t)n;
}

static void record_path(uint8_t type, const char *path, size_t length) {
    struct iovec v = { (void *)path, length };
    record(type, 0, 0, &v, 1, length);
}

// `existed`: whether the path was there before an O_CREAT open (1 when the open could not create it).
static int opened(int fd, const char *path, int flags, int existed) {
    track(fd, path, flags);
    if (fd >= 0 && !existed && matches(path)) {
        int saved = errno;
        char absolute[4096];
        size_t n = fd_path(fd, absolute, sizeof absolute);
        if (n) record_path('N', absolute, n);
        errno = saved;
    }
    return fd;
}

static int exists_at(int dir, const char *path, int flags) {
    if (!(flags & O_CREAT) || !matches(path)) return 1;
    struct stat st;
    int saved = errno;
    int r = fstatat(dir, path, &st, 0) == 0;
    errno = saved;
    return r;
}

#define OPEN(name) \
    int name(const char *path, int flags, ...) { \
        OPEN_MODE(flags, mode) \
        int (*o)(const char *, int, ...) = real(#name); \
        int existed = exists_at(AT_FDCWD, path, flags); \
        return opened(o(path, flags, mode), path, flags, existed); \
    }
#define OPENAT(name) \
    int name(int dir, const char *path, int flags, ...) { \
        OPEN_MODE(flags, mode) \
        int (*o)(int, const char *, int, ...) = real(#name); \
        int existed = exists_at(dir, path, flags); \
        return opened(o(dir, path, flags, mode), path, flags, existed); \
    }
OPEN(open)
OPEN(open64)
OPENAT(openat)
OPENAT(openat64)

int close(int fd) {
    if (fd >= 0 && fd < MAX_FDS) tracked[fd] = 0;
    int (*c)(int) = real("close");
    return c(fd);
}

// Records a write to a tracked descriptor that returned `n`, keeping errno for the caller.
static ssize_t wrote(int fd, ssize_t n, off_t offset, const struct iovec *iov, int iovcnt) {
    if (n > 0 && is_tracked(fd)) {
        int saved = errno;
        record('W', (uint64_t)offset, tracked[fd] == 2, iov, iovcnt, (size_t)n);
        errno = saved;
    }
    return n;
}

#define PWRITE(name) \
    ssize_t name(int fd, const void *data, size_t count, off_t offset) { \
        ssize_t (*p)(int, const void *, size_t, off_t) = real(#name); \
        struct iovec v = { (void *)data, count }; \
        return wrote(fd, p(fd, data, count, offset), offset, &v, 1); \
    }
#define PWRITEV(name) \
    ssize_t name(int fd, const struct iovec *iov, int iovcnt, off_t offset) { \
        ssize_t (*p)(int, const struct iovec *, int, off_t) = real(#name); \
        return wrote(fd, p(fd, iov, iovcnt, offset), offset, iov, iovcnt); \
    }
PWRITE(pwrite)
PWRITE(pwrite64)
PWRITEV(pwritev)
PWRITEV(pwritev64)

// write and writev go to the descriptor's current offset.
static off_t offset_of(int fd) {
    off_t (*l)(int, off_t, int) = real("lseek");
    return is_tracked(fd) ? l(fd, 0, SEEK_CUR) : 0;
}
ssize_t write(int fd, const void *data, size_t count) {
    ssize_t (*w)(int, const void *, size_t) = real("write");
    off_t offset = offset_of(fd);
    struct iovec v = { (void *)data, count };
    return wrote(fd, w(fd, data, count), offset, &v, 1);
}
ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
    ssize_t (*w)(int, const struct iovec *, int) = real("writev");
    off_t offset = offset_of(fd);
    return wrote(fd, w(fd, iov, iovcnt), offset, iov, iovcnt);
}

static int flushed(int fd, int (*f)(int)) {
    if (!is_tracked(fd)) {
        struct stat st;
        int r = f(fd);
        int saved = errno;
        if (r == 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            char absolute[4096];
            size_t n = fd_path(fd, absolute, sizeof absolute);
            if (n) record_path('D', absolute, n);
        }
        errno = saved;
        return r;
    }
    uint64_t id = __atomic_fetch_add(&next_flush, 1, __ATOMIC_RELAXED) | ((uint64_t)getpid() << 32);
    record('B', id, 0, NULL, 0, 0);
    int r = f(fd);
    int saved = errno;
    if (r == 0) record('S', id, 0, NULL, 0, 0);
    errno = saved;
    return r;
}
int fdatasync(int fd) { return flushed(fd, (int (*)(int))real("fdatasync")); }
int fsync(int fd) { return flushed(fd, (int (*)(int))real("fsync")); }

#define FTRUNCATE(name) \
    int name(int fd, off_t length) { \
        int (*t)(int, off_t) = real(#name); \
        int r = t(fd, length); \
        if (r == 0 && is_tracked(fd)) { int saved = errno; record('T', (uint64_t)length, 0, NULL, 0, 0); errno = saved; } \
        return r; \
    }
FTRUNCATE(ftruncate)
FTRUNCATE(ftruncate64)

// The _FORTIFY_SOURCE entry points of open without a mode.
#define OPEN2(name) \
    int name(const char *path, int flags) { \
        int (*o)(const char *, int) = real(#name); \
        int existed = exists_at(AT_FDCWD, path, flags); \
        return opened(o(path, flags), path, flags, existed); \
    }
OPEN2(__open_2)
OPEN2(__open64_2)

// A name this process just made (a directory) or renamed something to: `type` with the name's
// absolute path, as the kernel resolves it (O_PATH opens the name itself, file or directory).
static void record_name(uint8_t type, int dir, const char *path) {
    int saved = errno;
    int fd = openat(dir, path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        char absolute[4096];
        size_t n = fd_path(fd, absolute, sizeof absolute);
        if (n) record_path(type, absolute, n);
        close(fd);
    }
    errno = saved;
}
int mkdir(const char *path, mode_t mode) {
    int (*m)(const char *, mode_t) = real("mkdir");
    int r = m(path, mode);
    if (r == 0) record_name('M', AT_FDCWD, path);
    return r;
}
int mkdirat(int dir, const char *path, mode_t mode) {
    int (*m)(int, const char *, mode_t) = real("mkdirat");
    int r = m(dir, path, mode);
    if (r == 0) record_name('M', dir, path);
    return r;
}
int rename(const char *from, const char *to) {
    int (*f)(const char *, const char *) = real("rename");
    int r = f(from, to);
    if (r == 0) record_name('R', AT_FDCWD, to);
    return r;
}
int renameat(int fromdir, const char *from, int todir, const char *to) {
    int (*f)(int, const char *, int, const char *) = real("renameat");
    int r = f(fromdir, from, todir, to);
    if (r == 0) record_name('R', todir, to);
    return r;
}
