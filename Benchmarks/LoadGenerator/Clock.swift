import Glibc

/// CLOCK_MONOTONIC in nanoseconds: one vDSO call, no allocation, comparable across the run.
@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// Writes a line to standard error (progress and diagnostics; standard output carries only results).
func note(_ message: String) {
    var line = Array(("[colony-load] " + message + "\n").utf8)
    line.withUnsafeMutableBytes { _ = write(2, $0.baseAddress, $0.count) }
}

/// Prints a message and exits with status 2 (a run that could not be carried out).
func fail(_ message: String) -> Never {
    note("error: " + message)
    exit(2)
}
