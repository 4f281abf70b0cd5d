/// A bounded overview of the swarm: totals, and at most `limit` of each list.
public struct SwarmSummary: Sendable, Equatable, Codable {
    public var configuration: SwarmConfiguration
    public var agentCount: Int
    public var retiredAgentCount: Int
    /// Tasks per state (`queued`, `assigned`, `succeeded`, `failed`).
    public var taskCounts: [String: Int]
    public var proposalCount: Int
    public var openProposalCount: Int
    /// Registered, not retired agents, by id.
    public var agents: [AgentInfo]
    /// Queued tasks by priority then age, then assigned ones.
    public var openTasks: [TaskInfo]
    /// The strongest trails now (found by scanning the trails: O(agents × task types)).
    public var strongestTrails: [TrailInfo]
    /// Open proposals, soonest deadline first.
    public var openProposals: [ProposalInfo]
}
