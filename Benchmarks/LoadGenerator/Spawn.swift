import Glibc

/// Starts `command` (found on PATH unless it has a slash) with `actions` applied to its
/// descriptors. We ignore SIGPIPE; the child gets the default disposition back, as a shell
/// would start it. A command that cannot start ends the run.
func spawn(_ command: [String], actions: inout posix_spawn_file_actions_t) -> pid_t {
    precondition(!command.isEmpty)
    let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGPIPE)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let status = posix_spawnp(&pid, command[0], &actions, &attributes, argv, environ)
    guard status == 0 else { fail("cannot start \(command[0]): \(String(cString: strerror(status)))") }
    return pid
}

/// Waits for `pid` to exit. Each time `graceSeconds` (then `gapSeconds`) pass without it,
/// sends the next of `signals`. Returns the wait status.
func reap(_ pid: pid_t, graceSeconds: Double, signals: [Int32], gapSeconds: Double = 2) -> Int32 {
    var status: Int32 = 0
    var deadline = monotonicNanos() + UInt64(graceSeconds * 1e9)
    var signals = signals
    while true {
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid || (r < 0 && errno != EINTR) { return status }
        if monotonicNanos() > deadline, !signals.isEmpty {
            let signal = signals.removeFirst()
            note("process \(pid) still running; sending signal \(signal)")
            kill(pid, signal)
            deadline = monotonicNanos() + UInt64(gapSeconds * 1e9)
        }
        usleep(2_000)
    }
}
