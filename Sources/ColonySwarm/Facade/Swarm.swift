import ColonyStore

/// Opening a store with the swarm view.
///
/// ```swift
/// let store = try Swarm.open(at: "/tmp/colony")
/// try await store.registerAgent("a1", capabilities: ["swift"], capacity: 2)
/// try await store.createTask("t1", type: "review", requires: ["swift"])
/// let outcome = try await store.assign("t1")
/// try await store.completeTask("t1", success: true, durationMilliseconds: 1_200)
/// ```
///
/// To serve the context and the swarm from one store, register both projections:
/// `ColonyStore.open(at:projections: [ContextProjection(), SwarmProjection()])`.
public enum Swarm {
    /// Opens (creating if needed) a store with the swarm projection and any `extra` projections.
    public static func open(at path: String, options: StoreOptions = StoreOptions(),
                            extra: [any Projection] = []) throws -> ColonyStore {
        try ColonyStore.open(at: path, options: options, projections: [SwarmProjection()] + extra)
    }
}

/// Typed reads of the swarm view inside one read transaction.
struct SwarmViewReader {
    let view: ViewReader
    /// The log in the same read transaction (the view's position, the events after it).
    let log: ViewLog

    func load<R: ViewRecord>(_ type: R.Type, _ key: [UInt8], table: String?) throws -> R? {
        try view.withValue(key, table: table) { raw in try raw.map { try R.decode($0, key: table ?? "main") } }
    }

    var config: SwarmConfiguration {
        get throws { try load(SwarmConfiguration.self, SwarmKeys.config, table: nil) ?? SwarmConfiguration() }
    }

    var counts: SwarmCounts {
        get throws { try load(SwarmCounts.self, SwarmKeys.counts, table: nil) ?? SwarmCounts() }
    }

    func agent(_ id: String) throws -> AgentRecord? { try load(AgentRecord.self, SwarmKeys.id(id), table: SwarmKeys.agents) }
    func task(_ id: String) throws -> TaskRecord? { try load(TaskRecord.self, SwarmKeys.id(id), table: SwarmKeys.tasks) }
    func proposal(_ id: String) throws -> ProposalRecord? { try load(ProposalRecord.self, SwarmKeys.id(id), table: SwarmKeys.proposals) }
    func ballot(_ proposal: String, _ agent: String) throws -> BallotRecord? {
        try load(BallotRecord.self, SwarmKeys.pair(proposal, agent), table: SwarmKeys.ballots)
    }
    func trail(_ agent: String, _ type: String) throws -> TrailRecord? {
        try load(TrailRecord.self, SwarmKeys.pair(agent, type), table: SwarmKeys.trails)
    }

    /// The trail τ of (agent, type) at `time`; the configured initial strength when there is none yet.
    func trailStrength(_ agent: String, _ type: String, at time: Int64, config: SwarmConfiguration) throws -> Double {
        try trail(agent, type)?.trail.strength(at: time, config: config) ?? config.trailInitial
    }
}

extension ColonyStore {
    /// Runs `body` with the swarm view in one read transaction.
    func swarmView<T>(_ body: (SwarmViewReader) throws -> T) throws -> T {
        do {
            return try withViewAndLog("swarm") { try body(SwarmViewReader(view: $0, log: $1)) }
        } catch StoreError.unknownView {
            throw SwarmError.swarmViewNotRegistered
        }
    }

    /// Appends what `build` makes from a fresh look at the view, with its expected version;
    /// when another writer moved the stream in between, looks again (`build` re-validates), a few times.
    @discardableResult
    func appendChecked(stream: String, attempts: Int = 4,
                       _ build: () throws -> (NewEvent, ExpectedVersion)) async throws -> AppendResult {
        for _ in 0..<attempts {
            let (event, expected) = try build()
            do {
                return try await append(event, expectedVersion: expected)
            } catch StoreError.wrongExpectedVersion {
                continue
            }
        }
        throw SwarmError.concurrentChange(stream: stream)
    }

    static func checkText(_ text: String, field: String) throws {
        guard text.utf8.count <= SwarmLimits.maxTextBytes else {
            throw SwarmError.parameterOutOfRange(name: field, value: "\(text.utf8.count) bytes", allowed: "at most \(SwarmLimits.maxTextBytes) bytes")
        }
    }
}
