/// The heuristic desirability η of giving a task to an agent, from its load and
/// how well its capabilities fit the task.
///
/// `η = idle · fit`, where `idle = (capacity − load) / capacity` prefers agents
/// with room, and `fit = (required + 1) / (capabilities + 1)` prefers a
/// specialist over an agent whose many other capabilities other tasks may need.
/// Both are in (0, 1] for an eligible agent, so η is too.
public enum AssignmentHeuristic {
    /// η for an agent with `load` of `capacity` tasks and `capabilityCount`
    /// capabilities, for a task requiring `requiredCount` of them.
    @inlinable
    public static func eta(load: Int, capacity: Int, capabilityCount: Int, requiredCount: Int) -> Double {
        let cap = max(capacity, 1)
        let idle = Double(max(cap - load, 0)) / Double(cap)
        let fit = Double(requiredCount + 1) / Double(max(capabilityCount, requiredCount) + 1)
        return idle * fit
    }
}
