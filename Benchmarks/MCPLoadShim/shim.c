#define _GNU_SOURCE
#include "mcp_load_shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

int mcp_load_poll(int readFD, int writeFD, long long timeoutNanos) {
    struct pollfd fds[2] = {{.fd = readFD, .events = POLLIN}, {.fd = writeFD, .events = POLLOUT}};
    struct timespec ts = {.tv_sec = timeoutNanos / 1000000000LL, .tv_nsec = timeoutNanos % 1000000000LL};
    int r;
    do {
        r = ppoll(fds, writeFD >= 0 ? 2 : 1, &ts, NULL);
    } while (r < 0 && errno == EINTR);
    return r;
}

void mcp_load_tight_timers(void) {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
}

int mcp_load_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int mcp_load_set_pipe_size(int fd, int bytes) {
#ifdef F_SETPIPE_SZ
    return fcntl(fd, F_SETPIPE_SZ, bytes);
#else
    (void)fd; (void)bytes;
    return -1;
#endif
}

const void *mcp_load_find(const void *haystack, size_t haystackLength, const void *needle, size_t needleLength) {
    return memmem(haystack, haystackLength, needle, needleLength);
}
