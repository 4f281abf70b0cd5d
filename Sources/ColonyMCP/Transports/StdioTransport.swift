import Foundation
import LMDB
import Synchronization

/// MCP over stdio: one JSON-RPC message per line on stdin, answers one per line
/// on stdout, nothing else on stdout (logs go to stderr).
///
/// A reader thread blocks in read(2) and answers every read from the view at
/// once; answers to all the lines of one read are written with one write(2), so
/// a pipelining client is not held to one system call per message. Writes that
/// wait for durability answer from the writer's task when they are done.
public final class StdioTransport: Sendable {
    let server: MCPServer
    let input: Int32
    let output: OutputSink
    let session: MCPSession
    private let inFlight = Atomic<Int>(0)
    /// How long the reader polls for the next message before it blocks (0: never polls).
    let spinMicroseconds: Int

    /// The default poll before blocking: 50 µs, the value Linux's documentation suggests for
    /// its own socket busy polling (`net.core.busy_poll`).
    public static let defaultSpinMicroseconds = 50

    public init(server: MCPServer, input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO,
                spinMicroseconds: Int = StdioTransport.defaultSpinMicroseconds) {
        self.server = server
        self.spinMicroseconds = max(spinMicroseconds, 0)
        self.input = input
        let sink = OutputSink(fd: output)
        self.output = sink
        self.session = MCPSession(id: "stdio") { bytes in sink.send(bytes, flush: true) }
    }

    /// Serves until stdin reaches end of file (the client went away), then waits
    /// up to `drainSeconds` for writes still in progress to be answered. Throws, having
    /// read nothing, if the reader thread cannot be started.
    public func run(drainSeconds: Double = 5) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            do {
                // 8 MB: room for the parser's recursion on deeply nested input.
                try DetachedThread.start(name: "colony-stdio", stackSize: 8 << 20) { [self] in
                    readLoop()
                    done.resume()
                }
            } catch {
                done.resume(throwing: error)
            }
        }
        let deadline = Date().addingTimeInterval(drainSeconds)
        while inFlight.load(ordering: .acquiring) > 0 && Date() < deadline {
            try? await Task.sleep(nanoseconds: 1_000_000)
        }
        output.flush()
        server.close(session)
    }

    private func readLoop() {
        let chunkSize = 256 << 10
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var pending: [UInt8] = []      // an incomplete line carried over to the next read
        var discarding = false          // inside a line over the size limit
        var discarded = 0
        let limit = server.maxMessageBytes
        let later: @Sendable ([UInt8]) -> Void = { [self] bytes in
            output.send(bytes, flush: true)
            inFlight.subtract(1, ordering: .releasing)
        }
        while true {
            spinUntilReadable()
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, chunkSize) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            buffer.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                var lineStart = 0
                while let newline = chunk[lineStart...].firstIndex(of: 0x0A) {
                    if discarding {
                        discarded += newline - lineStart
                        output.send(server.oversized(discarded), flush: false)
                        discarding = false
                        discarded = 0
                    } else if pending.isEmpty {
                        handleLine(UnsafeRawBufferPointer(rebasing: chunk[lineStart..<newline]), later: later)
                    } else {
                        pending.append(contentsOf: chunk[lineStart..<newline])
                        pending.withUnsafeBytes { handleLine($0, later: later) }
                        pending.removeAll(keepingCapacity: pending.count <= chunkSize)
                    }
                    lineStart = newline + 1
                }
                if lineStart < n {
                    if discarding {
                        discarded += n - lineStart
                    } else {
                        pending.append(contentsOf: chunk[lineStart..<n])
                        if pending.count > limit {
                            discarding = true
                            discarded = pending.count
                            pending = []
                        }
                    }
                }
            }
            output.flush()
        }
        // End of input: a last line without a newline is still a message.
        if !pending.isEmpty && !discarding { pending.withUnsafeBytes { handleLine($0, later: later) } }
        output.flush()
    }

    /// Polls stdin, without sleeping, for up to `spinMicroseconds` before the blocking read.
    ///
    /// A client that sends its next request as soon as it has an answer finds the reader
    /// awake, so a sequential call costs one thread wake-up (the client's) instead of two;
    /// on a virtual machine a wake-up is tens of microseconds, more than the call's own
    /// work. An idle server spins once, after its last answer, then blocks as before.
    private func spinUntilReadable() {
        guard spinMicroseconds > 0 else { return }
        var descriptor = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(spinMicroseconds) * 1_000
        repeat {
            // Readable, hung up or failed: read(2) says which.
            if poll(&descriptor, 1, 0) != 0 { return }
            // A client on this same CPU gets it at once (the test machine pins both to one).
            sched_yield()
        } while DispatchTime.now().uptimeNanoseconds < deadline
    }

    private func handleLine(_ line: UnsafeRawBufferPointer, later: @escaping @Sendable ([UInt8]) -> Void) {
        var line = line
        if line.last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        inFlight.add(1, ordering: .relaxed)
        switch server.handle(line, session: session, later: later) {
        case .now(let bytes):
            inFlight.subtract(1, ordering: .relaxed)
            output.send(bytes, flush: false)
        case .none, .stream:
            inFlight.subtract(1, ordering: .relaxed)
        case .later:
            break
        }
    }
}

/// Lines to a file descriptor: appended under a lock, written in as few
/// write(2) calls as the traffic allows, in the order they were sent.
///
/// Two buffers take turns (one filling while the other is written), so neither
/// is reallocated once grown: a pipelining client is answered without a fresh
/// allocation, or fresh pages, per batch.
final class OutputSink: Sendable {
    /// Pending bytes past this are written without waiting for the end of the read.
    static let flushThreshold = 256 << 10

    private let fd: Int32
    private let pending = Mutex<[UInt8]>([])
    private let writing = Mutex<[UInt8]>([])   // the spare buffer, held while writing

    init(fd: Int32) { self.fd = fd }

    func send(_ line: [UInt8], flush now: Bool) {
        let size = pending.withLock {
            $0.append(contentsOf: line)
            $0.append(0x0A)
            return $0.count
        }
        if now || size >= Self.flushThreshold { flush() }
    }

    func flush() {
        writing.withLock { spare in
            pending.withLock { swap(&$0, &spare) }
            guard !spare.isEmpty else { return }
            spare.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let w = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if w < 0 {
                        if errno == EINTR { continue }
                        return  // the client closed its end: nothing more can be delivered
                    }
                    offset += w
                }
            }
            spare.removeAll(keepingCapacity: true)
        }
    }
}
