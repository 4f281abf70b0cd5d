/// One MCP session over a child's stdio, and the phases of calls run on it.
final class Session {
    let channel: LineChannel
    /// A run gives up when the server answers nothing for this long.
    let stallTimeoutNanos: UInt64
    private var nextID = 1

    init(command: [String], stallTimeoutSeconds: Double) {
        channel = LineChannel(child: Child(command: command))
        stallTimeoutNanos = UInt64(stallTimeoutSeconds * 1e9)
    }

    /// `initialize`, its answer, then `notifications/initialized`. Returns the answer line.
    func initialize(protocolVersion: String) -> String {
        let request = Requests.initialize(id: 0, protocolVersion: protocolVersion)
        channel.out.append(contentsOf: request)
        var answer: String?
        while answer == nil {
            guard channel.flush() else { fail("the server closed its stdin during initialize") }
            guard channel.wait(timeoutNanos: stallTimeoutNanos) else { fail("no answer to initialize") }
            channel.readLines { line in
                let scan = ResponseScan(line)
                guard scan.id == 0, !scan.hasMethod else { return }
                guard scan.hasResult else { fail("initialize failed: \(String(decoding: line, as: UTF8.self))") }
                answer = String(decoding: line, as: UTF8.self)
            }
            if channel.eof && answer == nil { fail("the server exited during initialize") }
        }
        channel.out.append(contentsOf: Requests.initialized)
        guard channel.flush() else { fail("the server closed its stdin after initialize") }
        return answer!
    }

    struct PhaseResult {
        var latenciesNanos: [UInt64] = []
        var errors = 0
        var firstSend: UInt64 = 0
        var lastReceive: UInt64 = 0
        var seconds: Double { Double(lastReceive &- firstSend) / 1e9 }
    }

    /// Runs `count` calls and records each one's latency.
    ///
    /// Closed loop (`rate == nil`): at most `window` requests in flight; a request is stamped
    /// just before the write(2) that hands it to the pipe. Open loop (`rate` calls/s): request
    /// `i` is due at start + i/rate and sent then whatever is still in flight; its latency runs
    /// from that scheduled time, so a stalled server is charged for the calls it delayed
    /// (no coordinated omission).
    func run(_ call: Requests.ToolCall, count: Int, window: Int, rate: Double?) -> PhaseResult {
        let firstID = nextID
        nextID += count
        var sentAt = [UInt64](repeating: 0, count: count)
        var done = [Bool](repeating: false, count: count)
        var result = PhaseResult()
        result.latenciesNanos.reserveCapacity(count)
        var sent = 0, received = 0
        let interval = rate.map { 1e9 / $0 } ?? 0
        var unexpected = 0

        let start = monotonicNanos()
        result.firstSend = start
        var lastProgress = start
        func due(_ index: Int) -> UInt64 { start &+ UInt64(Double(index) * interval) }

        while received < count {
            let now = monotonicNanos()
            if rate != nil {
                // Everything due by now goes out in one write, each stamped with its own schedule.
                while sent < count, due(sent) <= now {
                    call.append(to: &channel.out, id: firstID + sent, index: sent)
                    sentAt[sent] = due(sent)
                    sent += 1
                }
            } else {
                while sent - received < window && sent < count {
                    call.append(to: &channel.out, id: firstID + sent, index: sent)
                    sentAt[sent] = now
                    sent += 1
                }
            }
            if channel.hasPendingOutput && !channel.flush() {
                fail("the server closed its stdin after \(received) of \(count) calls")
            }

            // Sleep until an answer arrives, the next open-loop send is due, or the stall limit.
            let stallDeadline = lastProgress &+ stallTimeoutNanos
            var deadline = stallDeadline
            if rate != nil && sent < count { deadline = min(deadline, due(sent)) }
            if !channel.wait(timeoutNanos: deadline &- min(deadline, now)) {
                if monotonicNanos() >= stallDeadline {
                    fail("no answer for \(Double(stallTimeoutNanos) / 1e9) s after \(received) of \(count) calls (\(sent) sent)")
                }
                continue
            }
            channel.readLines { line in
                let t = channel.lastReadAt
                let scan = ResponseScan(line)
                if scan.hasMethod { return } // a notification or request from the server
                guard let id = scan.id, id >= firstID, id < firstID + count, !done[id - firstID] else {
                    result.errors += 1
                    unexpected += 1
                    if unexpected <= 5 { note("unexpected line: \(String(decoding: line.prefix(200), as: UTF8.self))") }
                    return
                }
                let index = id - firstID
                done[index] = true
                received += 1
                result.latenciesNanos.append(t &- sentAt[index])
                result.lastReceive = t
                lastProgress = t
                if !scan.hasResult || ResponseScan.isToolError(line) {
                    if result.errors - unexpected < 5 { note("error answer: \(String(decoding: line.prefix(300), as: UTF8.self))") }
                    result.errors += 1
                }
            }
            if channel.eof { fail("the server exited after \(received) of \(count) calls") }
        }
        return result
    }

    /// Closes the server's stdin and waits for it to exit.
    func close() -> Int32 { channel.child.finish() }
}
