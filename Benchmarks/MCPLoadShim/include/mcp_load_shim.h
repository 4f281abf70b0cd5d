// GNU extensions that Swift's Glibc module does not expose (it is built without _GNU_SOURCE).
#pragma once
#include <stddef.h>
#include <sys/epoll.h> // not in Swift's Glibc module: epoll_create1, epoll_ctl, epoll_pwait2

#ifdef __cplusplus
extern "C" {
#endif

/// ppoll(2) with a nanosecond timeout: open-loop sends are due every ~100 µs, finer than poll's ms.
int mcp_load_poll(int readFD, int writeFD, long long timeoutNanos);

/// prctl(PR_SET_TIMERSLACK, 1): ppoll may otherwise wake up to 50 µs late, which an
/// open-loop run would charge to the server.
void mcp_load_tight_timers(void);

/// pipe2(fds, O_CLOEXEC): our ends must not leak into the server we spawn.
int mcp_load_pipe_cloexec(int fds[2]);

/// fcntl(fd, F_SETPIPE_SZ, bytes); returns the new size or -1.
int mcp_load_set_pipe_size(int fd, int bytes);

/// memmem(3).
const void *mcp_load_find(const void *haystack, size_t haystackLength, const void *needle, size_t needleLength);

#ifdef __cplusplus
}
#endif
