/// What the swarm view keeps about one agent (table `agents`, key: the agent id).
struct AgentRecord: ViewRecord, Equatable {
    var capabilities: [String]  // sorted, unique
    var capacity: UInt32
    var load: UInt32
    var registeredMicroseconds: Int64
    var lastSeenMicroseconds: Int64  // the last heartbeat, or the registration
    var retired: Bool
    var successes: UInt64
    var completions: UInt64

    init(capabilities: [String], capacity: UInt32, at time: Int64) {
        self.capabilities = capabilities
        self.capacity = capacity
        load = 0
        registeredMicroseconds = time
        lastSeenMicroseconds = time
        retired = false
        successes = 0
        completions = 0
    }

    func encode(into w: inout ViewBytesWriter) {
        w.u8(1)
        w.strings(capabilities)
        w.u32(capacity)
        w.u32(load)
        w.i64(registeredMicroseconds)
        w.i64(lastSeenMicroseconds)
        w.bool(retired)
        w.u64(successes)
        w.u64(completions)
    }

    init(from r: inout ViewBytesReader) throws {
        _ = try r.u8()
        capabilities = try r.strings()
        capacity = try r.u32()
        load = try r.u32()
        registeredMicroseconds = try r.i64()
        lastSeenMicroseconds = try r.i64()
        retired = try r.bool()
        successes = try r.u64()
        completions = try r.u64()
    }

    /// Laplace-smoothed success rate, (successes + 1) / (completions + 2): 0.5 with no history.
    var successRate: Double { Double(successes + 1) / Double(completions + 2) }

    /// Whether the agent can take a task needing `required` (sorted) at `time`.
    func isEligible(required: [String], at time: Int64, heartbeatTimeout: Int64) -> Bool {
        !retired && load < capacity && time - lastSeenMicroseconds <= heartbeatTimeout && hasAll(required)
    }

    func isAlive(at time: Int64, heartbeatTimeout: Int64) -> Bool {
        !retired && time - lastSeenMicroseconds <= heartbeatTimeout
    }

    /// Whether every capability in `required` (sorted) is among the agent's (sorted): a merge walk.
    func hasAll(_ required: [String]) -> Bool {
        var i = 0
        for need in required {
            while i < capabilities.count && capabilities[i] < need { i += 1 }
            guard i < capabilities.count, capabilities[i] == need else { return false }
            i += 1
        }
        return true
    }
}
