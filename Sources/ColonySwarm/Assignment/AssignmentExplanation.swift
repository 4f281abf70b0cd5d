/// Why a task went (or would go) to an agent: each eligible candidate's τ, η and probability.
///
/// For a queued task, the candidates are computed now, as `assign` would see them. For a task
/// that was assigned, `decision` is what the `task.assigned` event recorded, and the
/// candidates are those of that moment as far as the event kept them (the strongest few).
public struct AssignmentExplanation: Sendable, Equatable, Codable {
    /// The recorded choice of an assigned task.
    public struct Decision: Sendable, Equatable, Codable {
        public var agentID: String
        /// The chance the chosen agent had.
        public var probability: Double
        /// The seed of the draw.
        public var seed: UInt64
        /// Eligible agents at the time.
        public var candidates: Int
        /// The chosen agent's τ and η at the time.
        public var trail: Double
        public var heuristic: Double
        public var timeMicroseconds: Int64
    }

    public var taskID: String
    public var taskType: String
    public var requires: [String]
    public var state: TaskState
    /// α and β the probabilities were computed with.
    public var alpha: Double
    public var beta: Double
    /// Candidates, most probable first (at most `limit`).
    public var candidates: [ExplainedCandidate]
    /// How many agents were eligible in all.
    public var eligibleCount: Int
    /// Set for a task that was assigned.
    public var decision: Decision?
}
