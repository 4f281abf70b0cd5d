/// The parameters of a store's swarm: how trails evaporate and are bounded,
/// how strongly assignment follows trails (α) and the heuristic (β), and when
/// an agent counts as gone.
///
/// Stored as a `swarm.configured` event on the `swarm:config` stream, so a
/// replay uses the parameters that were in force when each event happened.
///
/// ```swift
/// var config = SwarmConfiguration()
/// config.alpha = 1.5
/// try await store.configureSwarm(config)
/// ```
public struct SwarmConfiguration: Sendable, Equatable, Codable {
    /// Weight of the pheromone trail τ in τ^α·η^β; 0...10.
    public var alpha: Double = 1
    /// Weight of the heuristic η in τ^α·η^β; 0...10.
    public var beta: Double = 2
    /// Fraction of a trail that evaporates per time unit; 0 < ρ < 1.
    public var rho: Double = 0.1
    /// Pheromone a successful completion of quality 1 deposits; 0 < deposit ≤ 1000.
    public var deposit: Double = 1
    /// The lower trail bound (MAX-MIN Ant System): no agent is starved forever; > 0.
    public var trailMinimum: Double = 0.1
    /// The upper trail bound: no agent hogs every task; > `trailMinimum`, ≤ 1e6.
    public var trailMaximum: Double = 10
    /// The trail of an (agent, task type) pair that has none yet; within the bounds.
    public var trailInitial: Double = 1
    /// The time unit ρ is per, in microseconds; 1 ms ... 30 days.
    public var timeUnitMicroseconds: Int64 = 60_000_000
    /// An agent without a heartbeat (or registration) within this many microseconds
    /// is not eligible for tasks; 1 ms ... 30 days.
    public var heartbeatTimeoutMicroseconds: Int64 = 300_000_000
    /// A completion this fast counts as quality 1; slower ones deposit less
    /// (quality = 0.5 + 0.5 · ref / (ref + duration)); 1 ms ... 30 days.
    public var referenceDurationMilliseconds: Double = 60_000

    /// The defaults: α = 1, β = 2, ρ = 0.1 per minute, deposit 1, τ in [0.1, 10].
    public init() {}

    public init(alpha: Double = 1, beta: Double = 2, rho: Double = 0.1, deposit: Double = 1,
                trailMinimum: Double = 0.1, trailMaximum: Double = 10, trailInitial: Double = 1,
                timeUnitMicroseconds: Int64 = 60_000_000, heartbeatTimeoutMicroseconds: Int64 = 300_000_000,
                referenceDurationMilliseconds: Double = 60_000) {
        self.alpha = alpha
        self.beta = beta
        self.rho = rho
        self.deposit = deposit
        self.trailMinimum = trailMinimum
        self.trailMaximum = trailMaximum
        self.trailInitial = trailInitial
        self.timeUnitMicroseconds = timeUnitMicroseconds
        self.heartbeatTimeoutMicroseconds = heartbeatTimeoutMicroseconds
        self.referenceDurationMilliseconds = referenceDurationMilliseconds
    }

    static let maxTimeMicroseconds: Int64 = 30 * 86_400 * 1_000_000

    /// Throws `SwarmError.parameterOutOfRange` naming the first parameter out of range.
    public func validate() throws {
        func check(_ name: String, _ v: Double, _ ok: Bool, _ allowed: String) throws {
            guard v.isFinite, ok else { throw SwarmError.parameterOutOfRange(name: name, value: "\(v)", allowed: allowed) }
        }
        try check("alpha", alpha, (0...10).contains(alpha), "0...10")
        try check("beta", beta, (0...10).contains(beta), "0...10")
        try check("rho", rho, rho > 0 && rho < 1, "0 < rho < 1")
        try check("deposit", deposit, deposit > 0 && deposit <= 1000, "0 < deposit <= 1000")
        try check("trailMinimum", trailMinimum, trailMinimum > 0 && trailMinimum < 1e6, "0 < trailMinimum < 1e6")
        try check("trailMaximum", trailMaximum, trailMaximum > trailMinimum && trailMaximum <= 1e6,
                  "trailMinimum < trailMaximum <= 1e6")
        try check("trailInitial", trailInitial, trailInitial >= trailMinimum && trailInitial <= trailMaximum,
                  "trailMinimum...trailMaximum")
        try check("referenceDurationMilliseconds", referenceDurationMilliseconds,
                  referenceDurationMilliseconds >= 1 && referenceDurationMilliseconds <= Double(SwarmConfiguration.maxTimeMicroseconds / 1000),
                  "1...2592000000")
        for (name, v) in [("timeUnitMicroseconds", timeUnitMicroseconds), ("heartbeatTimeoutMicroseconds", heartbeatTimeoutMicroseconds)]
        where !(1_000...SwarmConfiguration.maxTimeMicroseconds).contains(v) {
            throw SwarmError.parameterOutOfRange(name: name, value: "\(v)", allowed: "1000...\(SwarmConfiguration.maxTimeMicroseconds)")
        }
    }

    /// Quality of a completion in [0, 1]: 0 for a failure; 0.5 ... 1 for a success, faster is better.
    @inlinable
    public func quality(success: Bool, durationMilliseconds: Double) -> Double {
        guard success else { return 0 }
        let d = max(durationMilliseconds.isFinite ? durationMilliseconds : 0, 0)
        return 0.5 + 0.5 * referenceDurationMilliseconds / (referenceDurationMilliseconds + d)
    }
}
