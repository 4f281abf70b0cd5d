import ColonyStore

extension ColonyStore {
    /// Assigns one queued task by ant-colony choice among the eligible agents
    /// (capabilities, under capacity, heartbeat within the timeout), with probability
    /// ∝ τ^α·η^β. The choice and its seed are recorded in a `task.assigned` event.
    ///
    /// - Parameter seed: makes the choice reproducible; a random one is drawn otherwise.
    ///
    /// Throws `noEligibleAgent` (the task stays queued), `unknownTask`, `taskNotQueued`,
    /// `concurrentChange`.
    @discardableResult
    public func assign(_ taskID: String, seed: UInt64? = nil, at time: Int64? = nil) async throws -> AssignmentOutcome {
        try Identifier.check(taskID, field: "task id")
        for _ in 0..<4 {
            let outcomes = try await assign([taskID], seed: seed, at: time)
            let o = outcomes[0]
            if o.isAssigned { return o }
            if o.reason == ColonyStore.concurrentChangeReason || o.reason == ColonyStore.capacityRaceReason { continue }
            let required = try swarmView { try $0.task(taskID)?.required } ?? []
            throw SwarmError.noEligibleAgent(taskID: taskID, required: required, reason: o.reason ?? "")
        }
        throw SwarmError.concurrentChange(stream: SwarmEvents.taskStream(taskID))
    }

    static let concurrentChangeReason = "the task changed concurrently; retry"

    /// Assigns many queued tasks at once, in the given order, each decision seeing the loads
    /// the earlier ones added, so no agent goes over its capacity. Each task gets its own
    /// `task.assigned` event appended with its task stream's expected version; the writer
    /// commits them together. A task nobody can take stays queued and its outcome says why.
    ///
    /// Throws (before appending anything) `unknownTask`, `taskNotQueued`, `invalidIdentifier`,
    /// `parameterOutOfRange` (more than `SwarmLimits.maxTasksPerAssignment`).
    public func assign(_ taskIDs: [String], seed: UInt64? = nil, at time: Int64? = nil) async throws -> [AssignmentOutcome] {
        guard taskIDs.count <= SwarmLimits.maxTasksPerAssignment else {
            throw SwarmError.parameterOutOfRange(name: "tasks", value: "\(taskIDs.count)", allowed: "at most \(SwarmLimits.maxTasksPerAssignment)")
        }
        guard Set(taskIDs).count == taskIDs.count else {
            throw SwarmError.parameterOutOfRange(name: "tasks", value: "a task listed twice", allowed: "distinct task ids")
        }
        for id in taskIDs { try Identifier.check(id, field: "task id") }
        let now = time ?? NewEvent.nowMicroseconds()
        var generator = SystemRandomNumberGenerator()
        let batchSeed = seed ?? generator.next()
        let roster = rosterCache
        let (outcomes, events) = try swarmView { v -> ([AssignmentOutcome], [(NewEvent, ExpectedVersion)?]) in
            var tasks: [TaskRecord] = []
            for id in taskIDs {
                guard let t = try v.task(id) else { throw SwarmError.unknownTask(id) }
                guard t.state == .queued else { throw SwarmError.taskNotQueued(taskID: id, state: t.state) }
                tasks.append(t)
            }
            var board = AssignmentBoard(roster: try roster.snapshot(v, needs: tasks.map { ($0.type, $0.required) }, now: now), now: now)
            let colony = AntColony(board.config)
            var outcomes: [AssignmentOutcome] = []
            var events: [(NewEvent, ExpectedVersion)?] = []
            for (n, (id, t)) in zip(taskIDs, tasks).enumerated() {
                let decisionSeed = SplitMix64.derive(batchSeed, index: n)
                var rng = SplitMix64(seed: decisionSeed)
                let eligible = try board.eligible(for: t, reader: v)
                guard let pick = colony.choose(weights: eligible.weights(colony), using: &rng) else {
                    outcomes.append(AssignmentOutcome(taskID: id, agentID: nil, probability: nil, candidates: 0, seed: decisionSeed,
                                                      reason: board.whyNone(for: t)))
                    events.append(nil)
                    continue
                }
                let agentIndex = eligible.indices[pick.index]
                board.take(agentIndex)
                let agentID = board.roster.ids[agentIndex]
                var p = PayloadWriter()
                p.string("task", id)
                p.string("agent", agentID)
                p.string("seed", String(decisionSeed))
                p.number("probability", pick.probability)
                p.integer("candidates", Int64(eligible.count))
                p.number("trail", eligible.trails[pick.index])
                p.number("heuristic", eligible.heuristics[pick.index])
                outcomes.append(AssignmentOutcome(taskID: id, agentID: agentID, probability: pick.probability,
                                                  candidates: eligible.count, seed: decisionSeed, reason: nil))
                events.append((NewEvent(stream: SwarmEvents.taskStream(id), kind: SwarmEvents.taskAssigned, payload: p.finished(),
                                        timeMicroseconds: now), .exact(t.streamVersion)))
            }
            return (outcomes, events)
        }
        var result = outcomes
        let appended = await withTaskGroup(of: (Int, Result<UInt64, Error>).self) { group in
            for (i, e) in events.enumerated() {
                guard let (event, expected) = e else { continue }
                group.addTask {
                    do {
                        return (i, .success(try await self.append(event, expectedVersion: expected).lastPosition))
                    } catch {
                        return (i, .failure(error))
                    }
                }
            }
            var all: [(Int, Result<UInt64, Error>)] = []
            for await r in group { all.append(r) }
            return all
        }
        func unassign(_ i: Int, _ reason: String) {
            result[i].agentID = nil
            result[i].probability = nil
            result[i].reason = reason
        }
        var committed: [(index: Int, position: UInt64)] = []
        for (i, r) in appended {
            switch r {
            case .success(let position): committed.append((i, position))
            case .failure(StoreError.wrongExpectedVersion): unassign(i, ColonyStore.concurrentChangeReason)
            case .failure(let error): unassign(i, "the append failed: \(error)")
            }
        }
        // The projection refuses an assignment that would put its agent over capacity (another
        // writer took the last slot first); such an event is in the log but changed nothing.
        let refused = try swarmView { v in
            try committed.filter { c in try v.task(taskIDs[c.index])?.assignedPosition != c.position }
        }
        for c in refused { unassign(c.index, ColonyStore.capacityRaceReason) }
        return result
    }

    static let capacityRaceReason = "a concurrent assignment took the agent's last slot first; retry"

    /// Assigns up to `limit` queued tasks, highest priority first, then oldest. See `assign(_:seed:at:)`.
    public func assignQueued(limit: Int = 100, seed: UInt64? = nil, at time: Int64? = nil) async throws -> [AssignmentOutcome] {
        guard (1...SwarmLimits.maxTasksPerAssignment).contains(limit) else {
            throw SwarmError.parameterOutOfRange(name: "limit", value: "\(limit)", allowed: "1...\(SwarmLimits.maxTasksPerAssignment)")
        }
        let ids = try tasks(in: .queued, limit: limit).map(\.id)
        return ids.isEmpty ? [] : try await assign(ids, seed: seed, at: time)
    }

    /// Each eligible candidate's τ, η and probability for the task, most probable first (at most
    /// `limit`), as `assign` would see them at `time`; for an assigned task, also the recorded decision.
    /// Throws `unknownTask`.
    public func explainAssignment(_ taskID: String, limit: Int = 50, at time: Int64? = nil) throws -> AssignmentExplanation {
        try Identifier.check(taskID, field: "task id")
        let now = time ?? NewEvent.nowMicroseconds()
        let roster = rosterCache
        let (explanation, position) = try swarmView { v -> (AssignmentExplanation, UInt64) in
            guard let t = try v.task(taskID) else { throw SwarmError.unknownTask(taskID) }
            let board = AssignmentBoard(roster: try roster.snapshot(v, needs: [(t.type, t.required)], now: now), now: now)
            let config = board.config
            let eligible = try board.eligible(for: t, reader: v)
            let weights = eligible.weights(AntColony(config))
            let ids = board.roster.ids
            let top = AntColony.mostProbable(weights: weights, limit: limit) { ids[eligible.indices[$0]] }
            let explained = top.map { k, probability in
                ExplainedCandidate(agentID: ids[eligible.indices[k]], trail: eligible.trails[k], heuristic: eligible.heuristics[k],
                                   weight: weights[k], probability: probability)
            }
            return (AssignmentExplanation(taskID: taskID, taskType: t.type, requires: t.required, state: t.state,
                                          alpha: config.alpha, beta: config.beta, candidates: explained,
                                          eligibleCount: eligible.count, decision: nil), t.assignedPosition)
        }
        guard position > 0, let event = try self.event(at: position), event.kind == SwarmEvents.taskAssigned else { return explanation }
        let p = PayloadReader(event.payload)
        var out = explanation
        if let agent = p.string("agent") {
            out.decision = .init(agentID: agent, probability: p.number("probability") ?? 0,
                                 seed: p.string("seed").flatMap { UInt64($0) } ?? 0,
                                 candidates: Int(p.integer("candidates") ?? 0), trail: p.number("trail") ?? 0,
                                 heuristic: p.number("heuristic") ?? 0, timeMicroseconds: event.timeMicroseconds)
        }
        return out
    }
}
