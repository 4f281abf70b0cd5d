/// The live agents of one assignment call, read once from the view, with the loads
/// the call's earlier decisions added, so a batch respects every agent's capacity.
struct AssignmentBoard {
    let config: SwarmConfiguration
    let now: Int64
    private(set) var agents: [(id: String, record: AgentRecord)]
    /// τ per task type, by board index, read from the view once per call.
    private var trails: [String: [Double]] = [:]

    init(reader: SwarmViewReader, config: SwarmConfiguration, now: Int64) throws {
        self.config = config
        self.now = now
        agents = try reader.allAgents { $0.isAlive(at: now, heartbeatTimeout: config.heartbeatTimeoutMicroseconds) }
    }

    /// The eligible agents for `task` (capabilities, room, alive) with τ and η; their board indices beside.
    mutating func candidates(for task: TaskRecord, reader: SwarmViewReader) throws -> (indices: [Int], candidates: [AssignmentCandidate]) {
        var indices: [Int] = []
        var out: [AssignmentCandidate] = []
        var taus = trails.removeValue(forKey: task.type) ?? Array(repeating: -1, count: agents.count)
        defer { trails[task.type] = taus }
        for i in agents.indices {
            let a = agents[i].record
            guard a.load < a.capacity, a.hasAll(task.required) else { continue }
            if taus[i] < 0 { taus[i] = try reader.trailStrength(agents[i].id, task.type, at: now, config: config) }
            let tau = taus[i]
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
