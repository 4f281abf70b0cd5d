/// What a simulated run of assignments achieved.
public struct SimulationResult: Sendable, Equatable, Codable {
    public var policy: String
    public var tasks: Int
    /// Tasks some agent could take (the rest found every capable agent full).
    public var assigned: Int
    public var successes: Int

    /// Successes over all tasks (a task nobody could take counts as a failure).
    public var successRate: Double { tasks == 0 ? 0 : Double(successes) / Double(tasks) }
}
