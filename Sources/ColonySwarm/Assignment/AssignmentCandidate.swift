/// One agent an assignment may choose: its trail τ for the task's type and its heuristic η.
public struct AssignmentCandidate: Sendable, Equatable, Codable {
    /// The agent.
    public var agentID: String
    /// The pheromone trail τ of (agent, task type) at decision time.
    public var trail: Double
    /// The heuristic η (load and capability fit) at decision time.
    public var heuristic: Double

    public init(agentID: String, trail: Double, heuristic: Double) {
        self.agentID = agentID
        self.trail = trail
        self.heuristic = heuristic
    }
}

/// A candidate with the probability the ant-colony rule gives it: what `explainAssignment` returns.
public struct ExplainedCandidate: Sendable, Equatable, Codable {
    /// The agent.
    public var agentID: String
    /// τ, the trail of (agent, task type).
    public var trail: Double
    /// η, the load-and-fit heuristic.
    public var heuristic: Double
    /// τ^α · η^β.
    public var weight: Double
    /// weight / Σ weights: the chance this agent is chosen.
    public var probability: Double
}
