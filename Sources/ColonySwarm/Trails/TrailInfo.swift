/// One (agent, task type) trail, evaporated to the time asked.
public struct TrailInfo: Sendable, Equatable, Codable {
    public var agentID: String
    public var taskType: String
    /// τ at the time asked.
    public var strength: Double
    public var successes: Int
    public var failures: Int
}
