import Glibc
import MCPLoadShim

/// A server process with its standard input and output on pipes (standard error is inherited).
///
/// Our pipe ends are non-blocking and the pipes enlarged, so a pipelined run
/// neither stalls on a full 64 KiB pipe nor blocks in write(2) while responses wait.
final class Child {
    let pid: pid_t
    /// Our end of the child's standard input (-1 once closed).
    private(set) var input: Int32
    /// Our end of the child's standard output.
    let output: Int32

    init(command: [String]) {
        precondition(!command.isEmpty)
        var toChild: [Int32] = [-1, -1], fromChild: [Int32] = [-1, -1]
        guard mcp_load_pipe_cloexec(&toChild) == 0, mcp_load_pipe_cloexec(&fromChild) == 0 else {
            fail("pipe2: \(String(cString: strerror(errno)))")
        }
        for fd in [toChild[1], fromChild[0]] {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = mcp_load_set_pipe_size(fd, 1 << 20) // best effort: capped by /proc/sys/fs/pipe-max-size
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears O_CLOEXEC on the copies, so the child keeps exactly fds 0, 1 and 2.
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)

        pid = spawn(command, actions: &actions)
        close(toChild[0])
        close(fromChild[1])
        input = toChild[1]
        output = fromChild[0]
    }

    /// Closes the child's standard input (an MCP stdio server exits on EOF).
    func closeInput() {
        if input >= 0 { close(input); input = -1 }
    }

    /// Closes stdin and waits up to `graceSeconds` for the child to exit, then sends SIGTERM
    /// and, 2 s later, SIGKILL. Returns the wait status.
    @discardableResult
    func finish(graceSeconds: Double = 10) -> Int32 {
        closeInput()
        let status = reap(pid, graceSeconds: graceSeconds, signals: [SIGTERM, SIGKILL])
        close(output)
        return status
    }
}

/// Our side of a JSON-RPC-lines connection: a buffered writer and a line reader on raw fds.
final class LineChannel {
    let child: Child
    /// Bytes queued for the child's stdin, appended to directly; `outStart` is how far
    /// `flush` has written them.
    var out: [UInt8] = []
    private var outStart = 0
    /// Bytes read from the child's stdout; a partial last line stays at `inStart..<inEnd`.
    private var inBuffer: UnsafeMutableRawBufferPointer
    private var inStart = 0, inEnd = 0
    private(set) var eof = false
    /// When the last read(2) returned data: the receive time of every line it completed.
    private(set) var lastReadAt: UInt64 = 0

    init(child: Child, readBufferBytes: Int = 4 << 20) {
        self.child = child
        out.reserveCapacity(1 << 20)
        inBuffer = .allocate(byteCount: readBufferBytes, alignment: 16)
    }

    deinit { inBuffer.deallocate() }

    var hasPendingOutput: Bool { outStart < out.count }

    /// Writes as much of the queue as the pipe takes now. Returns false if the child is gone.
    @discardableResult
    func flush() -> Bool {
        while outStart < out.count {
            let n = out.withUnsafeBytes { write(child.input, $0.baseAddress! + outStart, $0.count - outStart) }
            if n > 0 { outStart += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return true }
            return false // EPIPE: the child closed its stdin or exited
        }
        out.removeAll(keepingCapacity: true)
        outStart = 0
        return true
    }

    /// Waits until the child's stdout is readable (or, with output pending, its stdin writable),
    /// at most `timeoutNanos`. Returns false on timeout.
    ///
    /// With `spin`, polls without sleeping instead: the loader's CPU never idles, so an answer
    /// does not wait for it to be woken (on a VM that wake-up is an IPI of tens of µs), at the
    /// price of a whole CPU.
    func wait(timeoutNanos: UInt64) -> Bool {
        let writeFD = hasPendingOutput ? child.input : -1
        guard spin else { return mcp_load_poll(child.output, writeFD, Int64(min(timeoutNanos, UInt64(Int64.max)))) > 0 }
        let deadline = monotonicNanos() &+ timeoutNanos
        repeat {
            if mcp_load_poll(child.output, writeFD, 0) > 0 { return true }
        } while monotonicNanos() < deadline
        return false
    }

    /// Busy-poll in `wait` (see there).
    var spin = false

    /// Reads what is available and calls `line` for each complete line (without its newline).
    /// Sets `eof` when the child closed its stdout.
    func readLines(_ line: (UnsafeRawBufferPointer) -> Void) {
        if inStart == inEnd { inStart = 0; inEnd = 0 }
        if inEnd == inBuffer.count {
            if inStart > 0 {
                // Move the partial line to the front to make room.
                let partial = inEnd - inStart
                memmove(inBuffer.baseAddress!, inBuffer.baseAddress! + inStart, partial)
                inStart = 0; inEnd = partial
            } else {
                // One line larger than the buffer: grow it.
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: inBuffer.count * 2, alignment: 16)
                bigger.copyMemory(from: UnsafeRawBufferPointer(inBuffer))
                inBuffer.deallocate()
                inBuffer = bigger
            }
        }
        let n = read(child.output, inBuffer.baseAddress! + inEnd, inBuffer.count - inEnd)
        if n == 0 { eof = true; return }
        if n < 0 {
            if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { eof = true }
            return
        }
        lastReadAt = monotonicNanos()
        inEnd += n
        let base = inBuffer.baseAddress!
        while inStart < inEnd {
            guard let nl = memchr(base + inStart, 0x0A, inEnd - inStart) else { break }
            let end = base.distance(to: nl)
            if end > inStart { line(UnsafeRawBufferPointer(start: base + inStart, count: end - inStart)) }
            inStart = end + 1
        }
    }
}
