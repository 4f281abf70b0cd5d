import ColonyStore

extension ColonyStore {
    /// Creates a queued task.
    ///
    /// - Parameters:
    ///   - type: what kind of work; trails are kept per (agent, type).
    ///   - requires: capabilities an agent must have to take it.
    ///   - priority: 0 ... 255; `assignQueued` takes higher priorities first.
    ///   - payload: optional JSON kept in the `task.created` event (not in the view).
    ///
    /// Throws `taskAlreadyExists`, `invalidIdentifier`, `parameterOutOfRange`, `StoreError.invalidJSON`.
    @discardableResult
    public func createTask(_ id: String, type: String, requires: [String] = [], priority: Int = 0,
                           payload: [UInt8]? = nil, at time: Int64? = nil) async throws -> TaskInfo {
        try Identifier.check(id, field: "task id")
        try Identifier.check(type, field: "task type")
        try Identifier.check(requires, field: "capability", max: SwarmLimits.maxCapabilities)
        guard (0...SwarmLimits.maxPriority).contains(priority) else {
            throw SwarmError.parameterOutOfRange(name: "priority", value: "\(priority)", allowed: "0...\(SwarmLimits.maxPriority)")
        }
        if let payload {
            guard payload.count <= SwarmLimits.maxTextBytes * 16 else {
                throw SwarmError.parameterOutOfRange(name: "payload", value: "\(payload.count) bytes", allowed: "at most \(SwarmLimits.maxTextBytes * 16) bytes")
            }
            do { try JSONValidator.validate(payload) } catch {
                throw StoreError.invalidJSON(field: "payload", reason: error.reason, offset: error.offset)
            }
        }
        if try swarmView({ try $0.task(id) }) != nil { throw SwarmError.taskAlreadyExists(id) }
        var p = PayloadWriter()
        p.string("task", id)
        p.string("type", type)
        p.strings("requires", Array(Set(requires)).sorted())
        p.integer("priority", Int64(priority))
        if let payload { p.raw("payload", payload) }
        do {
            try await append(NewEvent(stream: SwarmEvents.taskStream(id), kind: SwarmEvents.taskCreated, payload: p.finished(),
                                      timeMicroseconds: time), expectedVersion: .noStream)
        } catch StoreError.wrongExpectedVersion {
            throw SwarmError.taskAlreadyExists(id)
        }
        return try task(id)
    }

    /// The task as the view sees it. Throws `unknownTask`.
    public func task(_ id: String) throws -> TaskInfo {
        try Identifier.check(id, field: "task id")
        return try swarmView { v in
            guard let t = try v.task(id) else { throw SwarmError.unknownTask(id) }
            return TaskInfo(id: id, record: t)
        }
    }

    /// Up to `limit` tasks in `state`; queued ones by priority (highest first), then age. A prefix scan.
    public func tasks(in state: TaskState, limit: Int = 100) throws -> [TaskInfo] {
        try swarmView { v in try ColonyStore.tasks(in: state, limit: limit, v) }
    }

    static func tasks(in state: TaskState, limit: Int, _ v: SwarmViewReader) throws -> [TaskInfo] {
        var ids: [String] = []
        try v.view.scan(prefix: [state.code], table: SwarmKeys.tasksByState) { k, _ in
            guard ids.count < limit else { return false }
            ids.append(String(decoding: k[10...], as: UTF8.self))
            return true
        }
        return try ids.compactMap { id in try v.task(id).map { TaskInfo(id: id, record: $0) } }
    }

    /// Up to `limit` tasks the agent holds, by task id. A prefix scan.
    public func tasks(assignedTo agentID: String, limit: Int = 100) throws -> [TaskInfo] {
        try Identifier.check(agentID, field: "agent id")
        return try swarmView { v in
            var ids: [String] = []
            let prefix = SwarmKeys.prefix(agentID)
            try v.view.scan(prefix: prefix, table: SwarmKeys.tasksByAssignee) { k, _ in
                guard ids.count < limit else { return false }
                ids.append(String(decoding: k[prefix.count...], as: UTF8.self))
                return true
            }
            return try ids.compactMap { id in try v.task(id).map { TaskInfo(id: id, record: $0) } }
        }
    }

    /// Reports the outcome of an assigned task. A success deposits pheromone on the
    /// (assignee, type) trail in proportion to its quality (faster is better); both count
    /// toward the agent's success rate.
    ///
    /// - Parameter agentID: when given, must be the assignee (`notTheAssignee` otherwise).
    ///
    /// Throws `unknownTask`, `taskAlreadyCompleted` (a second completion), `taskNotAssigned`,
    /// `parameterOutOfRange` (a negative or non-finite duration).
    @discardableResult
    public func completeTask(_ id: String, by agentID: String? = nil, success: Bool, durationMilliseconds: Double,
                             at time: Int64? = nil) async throws -> TaskInfo {
        guard durationMilliseconds.isFinite, durationMilliseconds >= 0 else {
            throw SwarmError.parameterOutOfRange(name: "durationMilliseconds", value: "\(durationMilliseconds)", allowed: ">= 0")
        }
        try await changeAssignedTask(id, kind: SwarmEvents.taskCompleted, by: agentID, at: time) { p in
            p.bool("success", success)
            p.number("durationMilliseconds", durationMilliseconds)
        }
        return try task(id)
    }

    /// Fails a queued or assigned task for good (it will not run); for an assigned task this
    /// counts as an unsuccessful completion of its assignee. Throws `unknownTask`, `taskAlreadyCompleted`.
    @discardableResult
    public func failTask(_ id: String, reason: String = "", at time: Int64? = nil) async throws -> TaskInfo {
        try ColonyStore.checkText(reason, field: "reason")
        try Identifier.check(id, field: "task id")
        let stream = SwarmEvents.taskStream(id)
        try await appendChecked(stream: stream) {
            let t = try swarmView { try $0.task(id) }
            guard let t else { throw SwarmError.unknownTask(id) }
            if t.state.isFinished { throw SwarmError.taskAlreadyCompleted(taskID: id, state: t.state) }
            var p = PayloadWriter()
            p.string("task", id)
            if !t.assignee.isEmpty { p.string("agent", t.assignee) }
            if !reason.isEmpty { p.string("reason", reason) }
            return (NewEvent(stream: stream, kind: SwarmEvents.taskFailed, payload: p.finished(), timeMicroseconds: time),
                    .exact(t.streamVersion))
        }
        return try task(id)
    }

    /// Sends an assigned task back to the queue (its agent died, or gave it up), without
    /// counting an outcome. Throws `unknownTask`, `taskAlreadyCompleted`, `taskNotAssigned`.
    @discardableResult
    public func requeueTask(_ id: String, reason: String = "", at time: Int64? = nil) async throws -> TaskInfo {
        try ColonyStore.checkText(reason, field: "reason")
        try await changeAssignedTask(id, kind: SwarmEvents.taskRequeued, by: nil, at: time) { p in
            if !reason.isEmpty { p.string("reason", reason) }
        }
        return try task(id)
    }

    private func changeAssignedTask(_ id: String, kind: String, by agentID: String?, at time: Int64?,
                                    _ fill: (inout PayloadWriter) -> Void) async throws {
        try Identifier.check(id, field: "task id")
        if let agentID { try Identifier.check(agentID, field: "agent id") }
        let stream = SwarmEvents.taskStream(id)
        try await appendChecked(stream: stream) {
            let t = try swarmView { try $0.task(id) }
            guard let t else { throw SwarmError.unknownTask(id) }
            if t.state.isFinished { throw SwarmError.taskAlreadyCompleted(taskID: id, state: t.state) }
            guard t.state == .assigned else { throw SwarmError.taskNotAssigned(id) }
            if let agentID, agentID != t.assignee { throw SwarmError.notTheAssignee(taskID: id, assignee: t.assignee, caller: agentID) }
            var p = PayloadWriter()
            p.string("task", id)
            p.string("agent", t.assignee)
            fill(&p)
            return (NewEvent(stream: stream, kind: kind, payload: p.finished(), timeMicroseconds: time), .exact(t.streamVersion))
        }
    }
}
