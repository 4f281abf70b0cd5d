/// Limits on what the swarm accepts, checked before anything is appended.
public enum SwarmLimits {
    /// Capabilities per agent, and required capabilities per task.
    public static let maxCapabilities = 32
    /// Tasks an agent may hold at once.
    public static let maxCapacity = 10_000
    /// Task priorities are 0 (lowest) ... 255.
    public static let maxPriority = 255
    /// Tasks per `assign` call.
    public static let maxTasksPerAssignment = 10_000
    /// Options per proposal.
    public static let maxOptions = 16
    /// Eligible voters per proposal (the `proposal.opened` event lists them all).
    public static let maxVoters = 10_000
    /// Bytes of a task payload, a title, a reason.
    public static let maxTextBytes = 4_096
}
