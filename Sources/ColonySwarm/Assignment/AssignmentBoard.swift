/// The live agents of one assignment call, read once from the view, with the loads
/// the call's earlier decisions added, so a batch respects every agent's capacity.
struct AssignmentBoard {
    let config: SwarmConfiguration
    let now: Int64
    private(set) var agents: [(id: String, record: AgentRecord)]
    private var trails: [Int: [String: Double]] = [:]

    init(reader: SwarmViewReader, config: SwarmConfiguration, now: Int64) throws {
        self.config = config
        self.now = now
        agents = try reader.allAgents().filter { $0.record.isAlive(at: now, heartbeatTimeout: config.heartbeatTimeoutMicroseconds) }
    }

    /// The eligible agents for `task` (capabilities, room, alive) with τ and η; their board indices beside.
    mutating func candidates(for task: TaskRecord, reader: SwarmViewReader) throws -> (indices: [Int], candidates: [AssignmentCandidate]) {
        var indices: [Int] = []
        var out: [AssignmentCandidate] = []
        for i in agents.indices {
            let a = agents[i].record
            guard a.load < a.capacity, a.hasAll(task.required) else { continue }
            let tau: Double
            if let cached = trails[i]?[task.type] {
                tau = cached
            } else {
                tau = try reader.trailStrength(agents[i].id, task.type, at: now, config: config)
                trails[i, default: [:]][task.type] = tau
            }
            let eta = AssignmentHeuristic.eta(load: Int(a.load), capacity: Int(a.capacity),
                                              capabilityCount: a.capabilities.count, requiredCount: task.required.count)
            indices.append(i)
            out.append(AssignmentCandidate(agentID: agents[i].id, trail: tau, heuristic: eta))
        }
        return (indices, out)
    }

    /// Why no agent is eligible for `task`, in words.
    func whyNone(for task: TaskRecord) -> String {
        let capable = agents.filter { $0.record.hasAll(task.required) }
        if agents.isEmpty { return "no live agent (registered, not retired, heartbeat within the timeout)" }
        if capable.isEmpty { return "no live agent has every required capability" }
        return "every capable live agent (\(capable.count)) is at capacity"
    }

    mutating func take(_ index: Int) { agents[index].record.load += 1 }
}
