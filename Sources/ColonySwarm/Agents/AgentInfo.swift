/// An agent as the swarm view sees it; what `agent(_:)` and `swarmSummary` return.
public struct AgentInfo: Sendable, Equatable, Codable {
    public var id: String
    /// Sorted, without duplicates.
    public var capabilities: [String]
    /// Tasks it may hold at once.
    public var capacity: Int
    /// Tasks it holds now.
    public var load: Int
    /// Registration or last heartbeat, microseconds since the epoch.
    public var lastSeenMicroseconds: Int64
    /// Not retired, and seen within the heartbeat timeout at the time asked.
    public var alive: Bool
    public var retired: Bool
    /// Completions that succeeded, and all completions (failures included).
    public var successes: Int
    public var completions: Int
    /// (successes + 1) / (completions + 2): 0.5 with no history; a voter's weight.
    public var successRate: Double

    init(id: String, record a: AgentRecord, at time: Int64, config: SwarmConfiguration) {
        self.id = id
        capabilities = a.capabilities
        capacity = Int(a.capacity)
        load = Int(a.load)
        lastSeenMicroseconds = a.lastSeenMicroseconds
        alive = a.isAlive(at: time, heartbeatTimeout: config.heartbeatTimeoutMicroseconds)
        retired = a.retired
        successes = Int(a.successes)
        completions = Int(a.completions)
        successRate = a.successRate
    }
}
