#!/usr/bin/env python3
"""Shares of a `perf record -g` profile's samples, per thread, whose call stack contains each of
some named frames (inclusive: a sample counts for every pattern its stack matches).

    perf record -g -o perf.data COMMAND…
    perf script -i perf.data -F tid,ip,sym | Benchmarks/perf/stack-shares.py [THREADS] [NAME=SUBSTRING …]

THREADS: how many of the busiest threads to report (default 2). Without patterns, a set for
the store's writer is used (the group commit, the context projection, LMDB's commit calls into
the kernel). Samples whose stack could not be walked (liblmdb has no frame pointers, so its
internal frames end a stack early) match none of the Swift frames; `unwalked` counts the
samples of the thread that matched no pattern at all.
"""
import collections
import sys

DEFAULT = {
    "group commit": "GroupCommitWriterC6commit",
    "views (advance)": "ProjectionSetC7advance",
    "context apply": "ProjectionV0B7SessionV5apply",
    "context finish": "SessionV6finishyyKF",
    "log append": "AppenderV6append_8expected",
    "fdatasync": "fdatasync",
    "pwrite": "__libc_pwrite",
    "writev": "__GI___writev",
}


def stacks(lines):
    current = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if current:
                yield current
            current = []
        elif not line[0].isspace():
            current = [line.strip()]
        else:
            parts = line.strip().split(None, 1)
            current.append(parts[1] if len(parts) > 1 else parts[0])
    if current:
        yield current


def main():
    args = sys.argv[1:]
    threads = 2
    if args and args[0].isdigit():
        threads = int(args.pop(0))
    patterns = dict(a.split("=", 1) for a in args) if args else DEFAULT
    all_stacks = list(stacks(sys.stdin))
    if not all_stacks:
        sys.exit("no samples on standard input (perf script -F tid,ip,sym)")
    per_thread = collections.Counter(s[0] for s in all_stacks)
    for tid, n in per_thread.most_common(threads):
        print(f"thread {tid}: {n} samples, {100 * n / len(all_stacks):.1f}% of all")
        hits = collections.Counter()
        unwalked = 0
        for s in all_stacks:
            if s[0] != tid:
                continue
            text = " ".join(s[1:])
            matched = [name for name, p in patterns.items() if p in text]
            for name in matched:
                hits[name] += 1
            unwalked += not matched
        for name in patterns:
            print(f"  {name:20s} {100 * hits[name] / n:5.1f}%")
        print(f"  {'unwalked':20s} {100 * unwalked / n:5.1f}%")


if __name__ == "__main__":
    main()
