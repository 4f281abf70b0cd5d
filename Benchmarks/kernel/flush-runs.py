#!/usr/bin/env python3
"""What one fdatasync costs as a function of how the dirty pages lie in the file: N pages
scattered, N pages in one run, N pages in a few runs. A durable LMDB commit is pwrites of its
dirty pages (adjacent ones merged into one writev) and then fdatasync, so on a disk that
serves requests one at a time a commit costs about the number of separate runs it writes.

    python3 Benchmarks/kernel/flush-runs.py [DIR] [PAGES] [ROUNDS]

DIR holds a 64 MB scratch file (default: the current directory; use the disk the store is
on), PAGES the pages per flush (default 25, about what one durable single-event commit of
Colony writes on a 1,000,000-event store), ROUNDS the flushes per case (default 200).
Prints p50, p90 and p99 of the fdatasync alone, in microseconds.
"""
import os
import random
import sys
import time

directory = sys.argv[1] if len(sys.argv) > 1 else "."
pages = int(sys.argv[2]) if len(sys.argv) > 2 else 25
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 200
size = 64 << 20
path = os.path.join(directory, "flush-runs.dat")
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
try:
    # Written (not sparse) and flushed first, so each case overwrites allocated blocks,
    # as LMDB does inside its file.
    os.write(fd, b"\1" * size)
    os.fsync(fd)
    page = os.urandom(4096)
    total = size // 4096

    def case(label, offsets):
        times = []
        for _ in range(rounds):
            for p in offsets():
                os.pwrite(fd, page, p * 4096)
            start = time.perf_counter()
            os.fdatasync(fd)
            times.append((time.perf_counter() - start) * 1e6)
        times.sort()
        print(f"{label:<26} p50 {times[rounds // 2]:6.0f}  p90 {times[int(rounds * .9)]:6.0f}  "
              f"p99 {times[int(rounds * .99)]:6.0f} µs")

    def runs(count):
        # `count` runs of about pages/count adjacent pages each, at random places.
        length = max(1, pages // count)
        return lambda: [s + i for s in random.sample(range(total - length), count) for i in range(length)]

    case("1 page", lambda: [random.randrange(total)])
    case(f"{pages} pages scattered", lambda: random.sample(range(total), pages))
    case(f"{pages} pages in 5 runs", runs(5))
    case(f"{pages} pages in 1 run", runs(1))
finally:
    os.close(fd)
    os.unlink(path)
