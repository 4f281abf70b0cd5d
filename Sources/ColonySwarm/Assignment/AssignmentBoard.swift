/// The agents of one assignment call, as the roster had them at the call's view position,
/// with the loads the call's earlier decisions added, so a batch respects every agent's capacity.
struct AssignmentBoard {
    let config: SwarmConfiguration
    let now: Int64
    let roster: RosterSnapshot
    /// Tasks this call gave each agent so far, by roster index; empty until the first.
    private var taken: [UInt32] = []

    init(roster: RosterSnapshot, now: Int64) {
        self.config = roster.config
        self.now = now
        self.roster = roster
    }

    /// The agents eligible for one task, in the view's agent order, as parallel columns (a few
    /// flat arrays of numbers: at 5,000 agents an array of candidate structs was large enough for
    /// the allocator to map and unmap it on every decision).
    struct Eligible {
        /// Roster indices.
        var indices: [Int] = []
        /// τ of each, at the decision time.
        var trails: [Double] = []
        /// η of each.
        var heuristics: [Double] = []

        var count: Int { indices.count }

        /// τ^α·η^β of each, in order.
        func weights(_ colony: AntColony) -> [Double] {
            var out: [Double] = []
            out.reserveCapacity(count)
            for k in 0..<count { out.append(colony.weight(trail: trails[k], heuristic: heuristics[k])) }
            return out
        }
    }

    /// The eligible agents for `task` (alive, capabilities, room) with τ and η. `reader` reads a
    /// trail the roster has not read (it reads those of every agent eligible when the call began).
    func eligible(for task: TaskRecord, reader: SwarmViewReader) throws -> Eligible {
        var out = Eligible()
        let column = roster.trails[task.type]
        let n = roster.entries.count
        out.indices.reserveCapacity(n)
        out.trails.reserveCapacity(n)
        out.heuristics.reserveCapacity(n)
        let timeout = config.heartbeatTimeoutMicroseconds
        // The agents with every required capability, when the roster listed them (it does for the
        // tasks it was asked about); otherwise every agent, checked here.
        let capable = roster.capable[task.required]
        try roster.entries.withUnsafeBufferPointer { entries in
            for k in 0..<(capable?.count ?? n) {
                let i = capable?[k] ?? k
                let load = taken.isEmpty ? entries[i].load : entries[i].load + taken[i]
                guard load < entries[i].capacity, entries[i].isAlive(at: now, heartbeatTimeout: timeout),
                      capable != nil || roster.records[i].hasAll(task.required) else { continue }
                let tau: Double
                switch column?[i] ?? .unread {
                case .stored(let trail): tau = trail.strength(at: now, config: config)
                case .absent: tau = config.trailInitial
                case .unread: tau = try reader.trailStrength(roster.ids[i], task.type, at: now, config: config)
                }
                out.indices.append(i)
                out.trails.append(tau)
                out.heuristics.append(AssignmentHeuristic.eta(load: Int(load), capacity: Int(entries[i].capacity),
                                                              capabilityCount: Int(entries[i].capabilityCount),
                                                              requiredCount: task.required.count))
            }
        }
        return out
    }

    /// Why no agent is eligible for `task`, in words.
    func whyNone(for task: TaskRecord) -> String {
        let live = roster.records.filter { $0.isAlive(at: now, heartbeatTimeout: config.heartbeatTimeoutMicroseconds) }
        if live.isEmpty { return "no live agent (registered, not retired, heartbeat within the timeout)" }
        let capable = live.filter { $0.hasAll(task.required) }
        if capable.isEmpty { return "no live agent has every required capability" }
        return "every capable live agent (\(capable.count)) is at capacity"
    }

    mutating func take(_ index: Int) {
        if taken.isEmpty { taken = Array(repeating: 0, count: roster.records.count) }
        taken[index] += 1
    }
}
