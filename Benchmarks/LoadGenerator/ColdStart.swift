/// Start-up cost as an agent's client sees it: from spawning the server to the answer
/// of its first get_context, with initialize, initialized and the call written at once.
struct ColdStart {
    var initializeNanos: [UInt64] = []
    var firstCallNanos: [UInt64] = []
    var errors = 0

    mutating func measure(command: [String], scope: String, protocolVersion: String, stallTimeoutSeconds: Double) {
        let call = Requests.ToolCall.getContext(scopes: [scope])
        let start = monotonicNanos()
        let channel = LineChannel(child: Child(command: command))
        channel.out.append(contentsOf: Requests.initialize(id: 0, protocolVersion: protocolVersion))
        channel.out.append(contentsOf: Requests.initialized)
        call.append(to: &channel.out, id: 1, index: 0)

        let stall = UInt64(stallTimeoutSeconds * 1e9)
        var initialized: UInt64?, answered: UInt64?
        while answered == nil {
            if channel.hasPendingOutput && !channel.flush() { fail("the server closed its stdin during start-up") }
            guard channel.wait(timeoutNanos: stall) else { fail("no answer \(stallTimeoutSeconds) s after start") }
            channel.readLines { line in
                let scan = ResponseScan(line)
                guard !scan.hasMethod, let id = scan.id else { return }
                if id == 0 {
                    initialized = channel.lastReadAt
                    if !scan.hasResult { errors += 1; note("initialize failed: \(String(decoding: line.prefix(300), as: UTF8.self))") }
                } else if id == 1 {
                    answered = channel.lastReadAt
                    if !scan.hasResult || ResponseScan.isToolError(line) {
                        errors += 1
                        note("get_context failed: \(String(decoding: line.prefix(300), as: UTF8.self))")
                    }
                }
            }
            if channel.eof && answered == nil { fail("the server exited during start-up") }
        }
        initializeNanos.append((initialized ?? answered!) &- start)
        firstCallNanos.append(answered! &- start)
        // Not timed: the next run must not overlap this one (a store allows one writer process).
        channel.child.finish()
    }
}
