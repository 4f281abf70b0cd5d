/// What happened to one task of an `assign` call.
public struct AssignmentOutcome: Sendable, Equatable, Codable {
    public var taskID: String
    /// The chosen agent; `nil` when the task stays queued (see `reason`).
    public var agentID: String?
    /// The chance the chosen agent had (τ^α·η^β over the sum).
    public var probability: Double?
    /// Eligible agents the choice was made among.
    public var candidates: Int
    /// The seed of this decision, recorded in the `task.assigned` event.
    public var seed: UInt64
    /// Why the task stays queued, when it does.
    public var reason: String?

    /// Whether the task was assigned.
    public var isAssigned: Bool { agentID != nil }
}
