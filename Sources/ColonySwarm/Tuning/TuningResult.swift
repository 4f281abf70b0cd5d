/// What tuning found: the parameters in force and their score, the best found and theirs.
public struct TuningResult: Sendable, Equatable, Codable {
    /// The configuration tuning started from (the store's, for `tuneSwarm`).
    public var current: SwarmConfiguration
    /// Mean simulated success rate with `current`.
    public var currentSuccessRate: Double
    /// `current` with the best α, β, ρ found.
    public var best: SwarmConfiguration
    /// Mean simulated success rate with `best`.
    public var bestSuccessRate: Double
    /// Simulations run in all.
    public var evaluations: Int
    /// Tasks in the simulated history.
    public var tasks: Int

    /// bestSuccessRate − currentSuccessRate (never negative: the start is one of the particles).
    public var improvement: Double { bestSuccessRate - currentSuccessRate }
}
