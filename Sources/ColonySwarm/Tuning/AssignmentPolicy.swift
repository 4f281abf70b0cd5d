/// How a simulated assignment chooses among the eligible agents.
public enum AssignmentPolicy: Sendable, Equatable {
    /// The ant-colony rule with these parameters, trails fed by completions: what the store does.
    case antColony(SwarmConfiguration)
    /// Uniformly at random.
    case random
    /// The next eligible agent after the last one chosen, in registration order.
    case roundRobin
    /// The highest capability fit + idleness + past success rate (Laplace-smoothed, all history).
    case greedy
    /// The eligible agent whose hidden success probability is highest now: an upper bound, not a policy.
    case oracle

    /// A short name for tables.
    public var name: String {
        switch self {
        case .antColony: return "ACO"
        case .random: return "random"
        case .roundRobin: return "round-robin"
        case .greedy: return "greedy"
        case .oracle: return "oracle"
        }
    }
}
