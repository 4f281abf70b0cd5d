import ColonyStore

extension ColonyStore {
    /// A bounded overview: totals (kept by the view, no scan), the first `limit` live agents,
    /// open tasks and open proposals (prefix scans that stop at `limit`), and the `limit`
    /// strongest trails at `time` (this one scans the trails table).
    public func swarmSummary(limit: Int = 20, at time: Int64? = nil) throws -> SwarmSummary {
        guard (0...1_000).contains(limit) else {
            throw SwarmError.parameterOutOfRange(name: "limit", value: "\(limit)", allowed: "0...1000")
        }
        let now = time ?? NewEvent.nowMicroseconds()
        return try swarmView { v in
            let config = try v.config
            let counts = try v.counts
            var agents: [AgentInfo] = []
            try v.view.scan(prefix: [], table: SwarmKeys.agents) { k, raw in
                guard agents.count < limit else { return false }
                let a = try AgentRecord.decode(raw, key: SwarmKeys.agents)
                if !a.retired { agents.append(AgentInfo(id: String(decoding: k, as: UTF8.self), record: a, at: now, config: config)) }
                return true
            }
            var open = try ColonyStore.tasks(in: .queued, limit: limit, v)
            if open.count < limit { open += try ColonyStore.tasks(in: .assigned, limit: limit - open.count, v) }
            var trails: [TrailInfo] = []
            if limit > 0 {
                try v.view.scan(prefix: [], table: SwarmKeys.trails) { k, raw in
                    guard let zero = k.firstIndex(of: 0) else { return true }
                    let r = try TrailRecord.decode(raw, key: SwarmKeys.trails)
                    let info = TrailInfo(agentID: String(decoding: k[..<zero], as: UTF8.self),
                                         taskType: String(decoding: k[(zero + 1)...], as: UTF8.self),
                                         strength: r.trail.strength(at: now, config: config),
                                         successes: Int(r.successes), failures: Int(r.failures))
                    if trails.count < limit {
                        trails.append(info)
                    } else if let weakest = trails.indices.min(by: { trails[$0].strength < trails[$1].strength }),
                              trails[weakest].strength < info.strength {
                        trails[weakest] = info
                    }
                    return true
                }
                trails.sort { $0.strength != $1.strength ? $0.strength > $1.strength : ($0.agentID, $0.taskType) < ($1.agentID, $1.taskType) }
            }
            var proposals: [ProposalInfo] = []
            try v.view.scan(prefix: [], table: SwarmKeys.deadlines) { k, _ in
                guard proposals.count < limit else { return false }
                let id = String(decoding: k[8...], as: UTF8.self)
                if let p = try v.proposal(id) { proposals.append(ProposalInfo(id: id, record: p)) }
                return true
            }
            var taskCounts: [String: Int] = [:]
            for s in TaskState.allCases { taskCounts[s.rawValue] = Int(counts.tasks[Int(s.code)]) }
            return SwarmSummary(configuration: config, agentCount: Int(counts.agents), retiredAgentCount: Int(counts.retiredAgents),
                                taskCounts: taskCounts, proposalCount: Int(counts.proposals), openProposalCount: Int(counts.openProposals),
                                agents: agents, openTasks: open, strongestTrails: trails, openProposals: proposals)
        }
    }
}
