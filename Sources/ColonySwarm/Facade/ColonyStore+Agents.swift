import ColonyStore

extension ColonyStore {
    /// Registers an agent with its capabilities and how many tasks it may hold at once.
    ///
    /// Throws `SwarmError.agentAlreadyRegistered`, `.invalidIdentifier`, `.parameterOutOfRange`.
    @discardableResult
    public func registerAgent(_ id: String, capabilities: [String], capacity: Int = 1,
                              at time: Int64? = nil) async throws -> AgentInfo {
        try Identifier.check(id, field: "agent id")
        try Identifier.check(capabilities, field: "capability", max: SwarmLimits.maxCapabilities)
        guard (1...SwarmLimits.maxCapacity).contains(capacity) else {
            throw SwarmError.parameterOutOfRange(name: "capacity", value: "\(capacity)", allowed: "1...\(SwarmLimits.maxCapacity)")
        }
        let now = time ?? NewEvent.nowMicroseconds()
        if try swarmView({ try $0.agent(id) }) != nil { throw SwarmError.agentAlreadyRegistered(id) }
        var p = PayloadWriter()
        p.string("agent", id)
        p.strings("capabilities", Array(Set(capabilities)).sorted())
        p.integer("capacity", Int64(capacity))
        let stream = SwarmEvents.agentStream(id)
        do {
            try await append(NewEvent(stream: stream, kind: SwarmEvents.agentRegistered, payload: p.finished(), timeMicroseconds: now),
                             expectedVersion: .noStream)
        } catch StoreError.wrongExpectedVersion {
            throw SwarmError.agentAlreadyRegistered(id)
        }
        return try agent(id, at: now)
    }

    /// Records that the agent is alive; an agent without a heartbeat within the configured
    /// timeout takes no tasks. Throws `unknownAgent`, `agentRetired`.
    public func heartbeat(agent id: String, at time: Int64? = nil) async throws {
        let now = time ?? NewEvent.nowMicroseconds()
        try requireActiveAgent(id)
        var p = PayloadWriter()
        p.string("agent", id)
        try await append(NewEvent(stream: SwarmEvents.agentStream(id), kind: SwarmEvents.agentHeartbeat, payload: p.finished(),
                                  timeMicroseconds: now, priority: .normal))
    }

    /// Retires an agent: it takes no more tasks and casts no votes. Tasks it holds stay
    /// assigned until completed, failed or requeued. Throws `unknownAgent`, `agentRetired`.
    public func retireAgent(_ id: String, reason: String = "", at time: Int64? = nil) async throws {
        try ColonyStore.checkText(reason, field: "reason")
        try requireActiveAgent(id)
        var p = PayloadWriter()
        p.string("agent", id)
        if !reason.isEmpty { p.string("reason", reason) }
        try await append(NewEvent(stream: SwarmEvents.agentStream(id), kind: SwarmEvents.agentRetired, payload: p.finished(),
                                  timeMicroseconds: time))
    }

    /// The agent as the view sees it at `time` (now by default). Throws `unknownAgent`.
    public func agent(_ id: String, at time: Int64? = nil) throws -> AgentInfo {
        try Identifier.check(id, field: "agent id")
        let now = time ?? NewEvent.nowMicroseconds()
        return try swarmView { v in
            guard let a = try v.agent(id) else { throw SwarmError.unknownAgent(id) }
            return AgentInfo(id: id, record: a, at: now, config: try v.config)
        }
    }

    /// The agent's trail for each task type it has completed, evaporated to `time`.
    public func trails(of agentID: String, at time: Int64? = nil) throws -> [TrailInfo] {
        try Identifier.check(agentID, field: "agent id")
        let now = time ?? NewEvent.nowMicroseconds()
        return try swarmView { v in
            guard try v.agent(agentID) != nil else { throw SwarmError.unknownAgent(agentID) }
            let config = try v.config
            var out: [TrailInfo] = []
            let prefix = SwarmKeys.prefix(agentID)
            try v.view.scan(prefix: prefix, table: SwarmKeys.trails) { k, raw in
                let r = try TrailRecord.decode(raw, key: SwarmKeys.trails)
                out.append(TrailInfo(agentID: agentID, taskType: String(decoding: k[prefix.count...], as: UTF8.self),
                                     strength: r.trail.strength(at: now, config: config),
                                     successes: Int(r.successes), failures: Int(r.failures)))
                return true
            }
            return out
        }
    }

    func requireActiveAgent(_ id: String) throws {
        try Identifier.check(id, field: "agent id")
        let a = try swarmView { try $0.agent(id) }
        guard let a else { throw SwarmError.unknownAgent(id) }
        if a.retired { throw SwarmError.agentRetired(id) }
    }
}
