import ColonyStore

/// One agent's trail for one task type, as the roster holds it: not read yet, absent from
/// the view (τ is the configured initial strength), or the stored one.
enum RosterTrail: Sendable, Equatable {
    case unread
    case absent
    case stored(PheromoneTrail)
}

/// What a decision reads of an agent for every candidate, packed (24 bytes) so a pass over
/// thousands of agents stays in cache: no pointer to follow, unlike the record's capability list.
struct RosterEntry: Sendable, Equatable {
    var load: UInt32
    var capacity: UInt32
    var lastSeenMicroseconds: Int64
    var capabilityCount: UInt32
    var retired: Bool

    init(_ a: AgentRecord) {
        load = a.load
        capacity = a.capacity
        lastSeenMicroseconds = a.lastSeenMicroseconds
        capabilityCount = UInt32(a.capabilities.count)
        retired = a.retired
    }

    /// `AgentRecord.isAlive`.
    @inline(__always)
    func isAlive(at time: Int64, heartbeatTimeout: Int64) -> Bool {
        !retired && time - lastSeenMicroseconds <= heartbeatTimeout
    }
}

/// The swarm view's agents, and their trails for the task types decisions asked about,
/// decoded, exactly as the view was at `position`: what the read side of a decision needs.
///
/// Made by `load` (every agent record) and brought forward by `refresh` (only the records the
/// events after `position` can have changed); see `RosterCache`.
struct RosterSnapshot: Sendable {
    /// The view position this reflects: every event up to it and none after.
    var position: UInt64
    var config: SwarmConfiguration
    /// Agent ids in the view's key order (byte order; ids are ASCII, so `<` is that order).
    var ids: [String]
    /// `records[i]` is agent `ids[i]`'s record.
    var records: [AgentRecord]
    /// `entries[i]` is `RosterEntry(records[i])`.
    var entries: [RosterEntry]
    /// Per task type, each agent's trail by index; filled lazily by `readTrails`.
    var trails: [String: [RosterTrail]]
    /// Per set of required capabilities (sorted), the indices of the agents that have them all,
    /// in order; filled lazily by `readTrails`. An agent's capabilities never change once it is
    /// registered, so only a new agent (indices move) empties it.
    var capable: [[String]: [Int]] = [:]

    /// Task types whose trail columns are kept; past it, columns no current decision needs are dropped.
    static let maxTrailTypes = 64

    /// Every agent record of the view in `v`'s transaction, which is at `position`.
    static func load(_ v: SwarmViewReader, position: UInt64) throws -> RosterSnapshot {
        let n = Int(try v.counts.agents)
        var ids: [String] = []
        var records: [AgentRecord] = []
        ids.reserveCapacity(n)
        records.reserveCapacity(n)
        try v.view.scan(prefix: [], table: SwarmKeys.agents) { k, value in
            ids.append(String(decoding: k, as: UTF8.self))
            records.append(try AgentRecord.decode(value, key: SwarmKeys.agents))
            return true
        }
        return RosterSnapshot(position: position, config: try v.config, ids: ids, records: records,
                              entries: records.map(RosterEntry.init), trails: [:])
    }

    /// The index of agent `id`, by binary search.
    func index(of id: String) -> Int? {
        var low = 0, high = ids.count
        while low < high {
            let mid = (low + high) / 2
            if ids[mid] < id { low = mid + 1 } else { high = mid }
        }
        return low < ids.count && ids[low] == id ? low : nil
    }

    /// Most log events a refresh reads before it gives up for a full load. Measured (release, the
    /// 2-vCPU machine): a refresh costs about 3 µs per swarm event of the window (the event, the
    /// record it names and that agent's trails read again), a load about 0.5 µs per agent plus its
    /// trail lookups as decisions need them; so about one event per 8 agents breaks even.
    static func refreshLimit(agents: Int) -> UInt64 { UInt64(8 + agents / 8) }

    /// Brings the snapshot to `position`, the view's position in `v`'s transaction, by reading
    /// the events after its own position and re-reading the agent records they can have changed
    /// (and forgetting those agents' trails). Returns false, leaving the snapshot half-changed,
    /// when it cannot tell what changed: too many events, an event kind it does not know, an agent
    /// gone, a release it cannot attribute. The caller then loads anew.
    ///
    /// What the swarm projection changes in an agent record or a trail, and so what this must
    /// see (keep in step with `SwarmProjection`):
    /// - `agent.registered`, `agent.heartbeat`, `agent.retired`: the payload's agent;
    /// - `task.assigned`: the payload's agent (its load);
    /// - `task.completed`, `task.failed`, `task.requeued`: the task's assignee at that moment
    ///   (its load, completions, and its trail for the task's type), which no payload names;
    /// - `swarm.configured`: the configuration only (stored trails keep their strength and time;
    ///   the configuration applies when they are read), read again.
    mutating func refresh(to target: UInt64, _ v: SwarmViewReader) throws -> Bool {
        guard target > position else { return target == position }
        let window = target - position
        guard window <= RosterSnapshot.refreshLimit(agents: ids.count) else { return false }
        var dirty = Set<String>()
        /// Task id → the position of the first event in the window that may release its assignee.
        var releases: [String: UInt64] = [:]
        var understood = true
        var reconfigured = false
        var last = position
        try v.log.scan(from: position + 1, limit: Int(window)) { e in
            last = e.position
            guard e.streamBytes.starts(with: RosterSnapshot.swarmPrefix) else { return true }
            switch e.kind {
            case SwarmEvents.agentRegistered, SwarmEvents.agentHeartbeat, SwarmEvents.agentRetired, SwarmEvents.taskAssigned:
                if let id = PayloadReader(e.payload).string("agent") { dirty.insert(id) }
            case SwarmEvents.taskCompleted, SwarmEvents.taskFailed, SwarmEvents.taskRequeued:
                if let id = PayloadReader(e.payload).string("task"), releases[id] == nil { releases[id] = e.position }
            case SwarmEvents.swarmConfigured:
                reconfigured = true
            case SwarmEvents.taskCreated, SwarmEvents.proposalOpened, SwarmEvents.voteCast, SwarmEvents.proposalClosed:
                break
            default:
                understood = false
                return false
            }
            return true
        }
        guard understood, last == target else { return false }
        for (taskID, firstRelease) in releases {
            guard let task = try v.task(taskID), task.assignedPosition > 0 else { continue }  // never assigned: nothing released
            // The task's last effective assignment. If it came before the window's first release, every
            // release in the window took the task off that assignment's agent. If it came after, the
            // first release took it off an earlier assignee this cannot name.
            guard task.assignedPosition < firstRelease, let assigned = try v.log.event(at: task.assignedPosition),
                  let agent = PayloadReader(assigned.payload).string("agent") else { return false }
            dirty.insert(agent)
        }
        let types = Array(trails.keys)
        for id in dirty {
            let record = try v.agent(id)
            if let i = index(of: id) {
                guard let record else { return false }  // the view never removes an agent
                if record.capabilities != records[i].capabilities { capable = [:] }  // never happens; see `capable`
                records[i] = record
                entries[i] = RosterEntry(record)
                for type in types { trails[type]![i] = .unread }
            } else if let record {
                var i = 0
                var high = ids.count
                while i < high {
                    let mid = (i + high) / 2
                    if ids[mid] < id { i = mid + 1 } else { high = mid }
                }
                ids.insert(id, at: i)
                records.insert(record, at: i)
                entries.insert(RosterEntry(record), at: i)
                capable = [:]
                for type in types { trails[type]!.insert(.unread, at: i) }
            }
        }
        if reconfigured { config = try v.config }
        position = target
        return true
    }

    static let swarmPrefix = Array(SwarmEvents.streamPrefix.utf8)

    /// Reads, for each (type, required) in `needs`, the trail of every agent that could take such a
    /// task at `now` (alive, with room, every capability) and whose trail is not read yet; and
    /// makes the list of agents capable of each `required`.
    mutating func readTrails(for needs: [(type: String, required: [String])], now: Int64, _ v: SwarmViewReader) throws {
        let timeout = config.heartbeatTimeoutMicroseconds
        let types = Set(needs.map(\.type))
        if trails.count + types.count > RosterSnapshot.maxTrailTypes {
            trails = trails.filter { types.contains($0.key) }
        }
        let requiredSets = Set(needs.map(\.required))
        if capable.count + requiredSets.count > RosterSnapshot.maxTrailTypes {
            capable = capable.filter { requiredSets.contains($0.key) }
        }
        for required in requiredSets where capable[required] == nil {
            capable[required] = records.indices.filter { records[$0].hasAll(required) }
        }
        var key: [UInt8] = []  // agent 0 type, built in one buffer: a full load looks up thousands
        for type in types {
            var column = trails.removeValue(forKey: type) ?? Array(repeating: .unread, count: ids.count)
            for required in Set(needs.lazy.filter { $0.type == type }.map(\.required)) {
                for i in capable[required]! where column[i] == .unread {
                    guard entries[i].load < entries[i].capacity, entries[i].isAlive(at: now, heartbeatTimeout: timeout) else { continue }
                    key.removeAll(keepingCapacity: true)
                    key.append(contentsOf: ids[i].utf8)
                    key.append(0)
                    key.append(contentsOf: type.utf8)
                    column[i] = try v.view.withValue(key, table: SwarmKeys.trails) { raw in
                        try raw.map { .stored(try TrailRecord.decode($0, key: SwarmKeys.trails).trail) } ?? .absent
                    }
                }
            }
            trails[type] = column
        }
    }
}
