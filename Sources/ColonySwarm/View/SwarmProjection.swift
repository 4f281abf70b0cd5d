import ColonyStore
import Foundation

/// The projection that keeps the swarm view: agents, tasks by state and by
/// assignee, pheromone trails per (agent, task type), proposals with their
/// tallies and ballots, the configuration and running totals.
///
/// It reads only streams starting with `swarm:` (see `SwarmEvents`). Each event
/// costs a constant number of key reads and writes, whatever the size of the log
/// or the number of voters (a vote touches its ballot and its proposal), except
/// `proposal.opened`, which writes one ballot per eligible voter. Time is the
/// event's timestamp. An event that makes no sense for the view's state (a
/// completion of a task that is not assigned, a vote after the close) changes
/// nothing but the stream version, so hand-appended events cannot corrupt the view.
///
/// ```swift
/// let store = try ColonyStore.open(at: path, projections: [ContextProjection(), SwarmProjection()])
/// ```
public struct SwarmProjection: Projection {
    /// The view's name: `view:swarm`.
    public let name = "swarm"
    /// Stored format 1.
    public let version: UInt32 = 1
    /// See `SwarmKeys`.
    public var tables: [String] { SwarmKeys.all }

    public init() {}

    static let prefix = Array(SwarmEvents.streamPrefix.utf8)

    public func apply(_ events: [RecordedEvent], to view: ViewWriter) throws {
        var context: Context?
        for event in events where event.streamBytes.starts(with: SwarmProjection.prefix) {
            if context == nil { context = try Context(view: view) }
            try context!.apply(event)
        }
        try context?.finish()
    }

    /// One `apply` call's state: the configuration and the totals, written back once.
    struct Context {
        let view: ViewWriter
        var config: SwarmConfiguration
        var counts: SwarmCounts
        var countsChanged = false

        init(view: ViewWriter) throws {
            self.view = view
            config = try view.get(SwarmKeys.config).map { try SwarmConfiguration.decode($0, key: "config") } ?? SwarmConfiguration()
            counts = try view.get(SwarmKeys.counts).map { try SwarmCounts.decode($0, key: "counts") } ?? SwarmCounts()
        }

        mutating func finish() throws {
            if countsChanged { try view.put(SwarmKeys.counts, counts.encoded) }
        }

        func load<R: ViewRecord>(_ type: R.Type, _ key: [UInt8], table: String) throws -> R? {
            try view.withValue(key, table: table) { raw in try raw.map { try R.decode($0, key: table) } }
        }

        func store<R: ViewRecord>(_ record: R, _ key: [UInt8], table: String) throws {
            try view.put(key, record.encoded, table: table)
        }

        mutating func apply(_ event: RecordedEvent) throws {
            let p = PayloadReader(event.payload)
            let t = event.timeMicroseconds
            switch event.kind {
            case SwarmEvents.swarmConfigured:
                if event.streamBytes.elementsEqual(SwarmEvents.configStream.utf8), let c = SwarmConfiguration(payload: p) {
                    config = c
                    try view.put(SwarmKeys.config, c.encoded)
                }
            case SwarmEvents.agentRegistered: try registerAgent(p, event)
            case SwarmEvents.agentHeartbeat:
                guard let id = p.string("agent"), Context.on(event, SwarmEvents.agentStream(id)), var a = try load(AgentRecord.self, SwarmKeys.id(id), table: SwarmKeys.agents),
                      !a.retired else { return }
                a.lastSeenMicroseconds = max(a.lastSeenMicroseconds, t)
                try store(a, SwarmKeys.id(id), table: SwarmKeys.agents)
            case SwarmEvents.agentRetired:
                guard let id = p.string("agent"), Context.on(event, SwarmEvents.agentStream(id)), var a = try load(AgentRecord.self, SwarmKeys.id(id), table: SwarmKeys.agents),
                      !a.retired else { return }
                a.retired = true
                try store(a, SwarmKeys.id(id), table: SwarmKeys.agents)
                counts.retiredAgents += 1
                countsChanged = true
            case SwarmEvents.taskCreated: try createTask(p, event)
            case SwarmEvents.taskAssigned, SwarmEvents.taskCompleted, SwarmEvents.taskFailed, SwarmEvents.taskRequeued:
                try changeTask(p, event)
            case SwarmEvents.proposalOpened: try openProposal(p, event)
            case SwarmEvents.voteCast, SwarmEvents.proposalClosed: try changeProposal(p, event)
            default: return
            }
        }

        // MARK: Agents

        /// Whether `event` is on `stream`: an entity's events count only on its own stream, whose
        /// version the view keeps for optimistic appends.
        static func on(_ event: RecordedEvent, _ stream: String) -> Bool { event.streamBytes.elementsEqual(stream.utf8) }

        mutating func registerAgent(_ p: PayloadReader, _ event: RecordedEvent) throws {
            let t = event.timeMicroseconds
            guard let id = p.string("agent"), Context.on(event, SwarmEvents.agentStream(id)), let caps = p.strings("capabilities"),
                  let capacity = p.integer("capacity"), (1...Int64(SwarmLimits.maxCapacity)).contains(capacity),
                  try view.get(SwarmKeys.id(id), table: SwarmKeys.agents) == nil else { return }
            let record = AgentRecord(capabilities: Array(Set(caps)).sorted(), capacity: UInt32(capacity), at: t)
            try store(record, SwarmKeys.id(id), table: SwarmKeys.agents)
            counts.agents += 1
            countsChanged = true
        }

        // MARK: Tasks

        mutating func createTask(_ p: PayloadReader, _ event: RecordedEvent) throws {
            guard let id = p.string("task"), Context.on(event, SwarmEvents.taskStream(id)), let type = p.string("type"),
                  try view.get(SwarmKeys.id(id), table: SwarmKeys.tasks) == nil else { return }
            let required = Array(Set(p.strings("requires") ?? [])).sorted()
            let priority = UInt8(clamping: min(max(p.integer("priority") ?? 0, 0), Int64(SwarmLimits.maxPriority)))
            var task = TaskRecord(type: type, required: required, priority: priority,
                                  createdMicroseconds: event.timeMicroseconds, createdPosition: event.position)
            task.streamVersion = event.streamVersion
            try store(task, SwarmKeys.id(id), table: SwarmKeys.tasks)
            try view.put(SwarmKeys.taskByState(.queued, priority: priority, position: event.position, task: id), [],
                         table: SwarmKeys.tasksByState)
            counts.move(task: nil, to: .queued)
            countsChanged = true
        }

        mutating func changeTask(_ p: PayloadReader, _ event: RecordedEvent) throws {
            guard let id = p.string("task"), Context.on(event, SwarmEvents.taskStream(id)),
                  var task = try load(TaskRecord.self, SwarmKeys.id(id), table: SwarmKeys.tasks) else { return }
            task.streamVersion = event.streamVersion
            let before = task.state
            let t = event.timeMicroseconds
            switch event.kind {
            case SwarmEvents.taskAssigned:
                // Capacity is enforced here, in log order, too: two writers that both saw room for the
                // agent's last slot cannot both take it; the later event changes nothing, and its writer
                // reads that back (see `ColonyStore.assign`).
                guard before == .queued, let agentID = p.string("agent"),
                      var agent = try load(AgentRecord.self, SwarmKeys.id(agentID), table: SwarmKeys.agents), !agent.retired,
                      agent.load < agent.capacity else { break }
                agent.load += 1
                try store(agent, SwarmKeys.id(agentID), table: SwarmKeys.agents)
                task.state = .assigned
                task.assignee = agentID
                task.assignedPosition = event.position
                task.assignedMicroseconds = t
                task.attempts += 1
                try view.put(SwarmKeys.pair(agentID, id), [], table: SwarmKeys.tasksByAssignee)
            case SwarmEvents.taskCompleted:
                guard before == .assigned, let success = p.bool("success") else { break }
                let duration = max(p.number("durationMilliseconds") ?? 0, 0)
                try release(&task, id: id, outcome: success, durationMilliseconds: duration, at: t)
                task.state = success ? .succeeded : .failed
                task.finishedMicroseconds = t
                task.durationMilliseconds = duration
            case SwarmEvents.taskFailed:
                guard !before.isFinished else { break }
                if before == .assigned { try release(&task, id: id, outcome: false, durationMilliseconds: nil, at: t) }
                task.state = .failed
                task.finishedMicroseconds = t
            case SwarmEvents.taskRequeued:
                guard before == .assigned else { break }
                try release(&task, id: id, outcome: nil, durationMilliseconds: nil, at: t)
                task.state = .queued
            default: break
            }
            try store(task, SwarmKeys.id(id), table: SwarmKeys.tasks)
            if task.state != before {
                try view.delete(SwarmKeys.taskByState(before, priority: task.priority, position: task.createdPosition, task: id),
                                table: SwarmKeys.tasksByState)
                try view.put(SwarmKeys.taskByState(task.state, priority: task.priority, position: task.createdPosition, task: id), [],
                             table: SwarmKeys.tasksByState)
                counts.move(task: before, to: task.state)
                countsChanged = true
            }
        }

        /// Takes an assigned task off its agent; with an `outcome`, counts it and, on success, deposits pheromone.
        mutating func release(_ task: inout TaskRecord, id: String, outcome: Bool?, durationMilliseconds: Double?, at t: Int64) throws {
            let agentID = task.assignee
            try view.delete(SwarmKeys.pair(agentID, id), table: SwarmKeys.tasksByAssignee)
            task.assignee = ""
            guard var agent = try load(AgentRecord.self, SwarmKeys.id(agentID), table: SwarmKeys.agents) else { return }
            if agent.load > 0 { agent.load -= 1 }
            if let outcome {
                agent.completions += 1
                if outcome { agent.successes += 1 }
                let key = SwarmKeys.pair(agentID, task.type)
                var trail = try load(TrailRecord.self, key, table: SwarmKeys.trails)
                    ?? TrailRecord(trail: PheromoneTrail(initial: config, at: t))
                if outcome {
                    trail.successes += 1
                    let quality = config.quality(success: true, durationMilliseconds: durationMilliseconds ?? 0)
                    trail.trail.deposit(config.deposit * quality, at: t, config: config)
                } else {
                    trail.failures += 1
                }
                trail.totalDurationMilliseconds += durationMilliseconds ?? 0
                try store(trail, key, table: SwarmKeys.trails)
            }
            try store(agent, SwarmKeys.id(agentID), table: SwarmKeys.agents)
        }

        // MARK: Proposals

        mutating func openProposal(_ p: PayloadReader, _ event: RecordedEvent) throws {
            guard let id = p.string("proposal"), Context.on(event, SwarmEvents.proposalStream(id)), let options = p.strings("options"), let voters = p.strings("voters"),
                  let ruleName = p.string("rule"), let rule = DecisionRule(rawValue: ruleName),
                  let deadline = p.integer("deadlineMicroseconds"), options.count >= 2, !voters.isEmpty,
                  try view.get(SwarmKeys.id(id), table: SwarmKeys.proposals) == nil else { return }
            var eligible: UInt64 = 0
            var totalWeight: UInt64 = 0
            for voter in voters {
                let key = SwarmKeys.pair(id, voter)
                guard try view.get(key, table: SwarmKeys.ballots) == nil else { continue }
                let agent = try load(AgentRecord.self, SwarmKeys.id(voter), table: SwarmKeys.agents)
                let weight = UInt64(((agent?.successRate ?? 0.5) * 1_000_000).rounded())
                try store(BallotRecord(weight: weight), key, table: SwarmKeys.ballots)
                eligible += 1
                totalWeight += weight
            }
            let quorum = UInt64(min(max(p.integer("quorum") ?? 1, 1), Int64(eligible)))
            var record = ProposalRecord(title: p.string("title") ?? "", options: options, rule: rule, quorum: quorum,
                                        deadlineMicroseconds: deadline, allowsVoteChange: p.bool("allowVoteChange") ?? false,
                                        openedMicroseconds: event.timeMicroseconds,
                                        tally: Tally(options: options.count, eligibleVoters: eligible, eligibleWeight: totalWeight))
            record.streamVersion = event.streamVersion
            try store(record, SwarmKeys.id(id), table: SwarmKeys.proposals)
            try view.put(SwarmKeys.deadline(deadline, proposal: id), [], table: SwarmKeys.deadlines)
            counts.proposals += 1
            counts.openProposals += 1
            countsChanged = true
        }

        mutating func changeProposal(_ p: PayloadReader, _ event: RecordedEvent) throws {
            guard let id = p.string("proposal"), Context.on(event, SwarmEvents.proposalStream(id)),
                  var proposal = try load(ProposalRecord.self, SwarmKeys.id(id), table: SwarmKeys.proposals)
            else { return }
            proposal.streamVersion = event.streamVersion
            let t = event.timeMicroseconds
            if proposal.status == .open {
                if event.kind == SwarmEvents.voteCast {
                    if t <= proposal.deadlineMicroseconds, let agentID = p.string("agent"), let option = p.string("option"),
                       let index = proposal.options.firstIndex(of: option) {
                        let key = SwarmKeys.pair(id, agentID)
                        if var ballot = try load(BallotRecord.self, key, table: SwarmKeys.ballots),
                           ballot.option < 0 || (proposal.allowsVoteChange && Int(ballot.option) != index) {
                            proposal.tally.record(option: index, weight: ballot.weight, replacing: ballot.option < 0 ? nil : Int(ballot.option))
                            ballot.option = Int32(index)
                            ballot.castMicroseconds = t
                            try store(ballot, key, table: SwarmKeys.ballots)
                            proposal.settle(at: t)
                        }
                    }
                } else if t >= proposal.deadlineMicroseconds {
                    let (status, winner) = proposal.tally.statusAtDeadline(rule: proposal.rule, quorum: proposal.quorum)
                    proposal.status = status
                    proposal.winner = winner ?? -1
                    proposal.closedMicroseconds = t
                }
                if proposal.status != .open {
                    try view.delete(SwarmKeys.deadline(proposal.deadlineMicroseconds, proposal: id), table: SwarmKeys.deadlines)
                    counts.openProposals -= 1
                    countsChanged = true
                }
            }
            try store(proposal, SwarmKeys.id(id), table: SwarmKeys.proposals)
        }
    }
}
