/// Searches α, β and ρ by particle swarm optimisation to maximise the success rate of
/// simulated ant-colony assignments, deterministically for a seed.
///
/// The objective is the mean success rate of `AssignmentSimulation.run(.antColony(config))`
/// over the given simulations and `runsPerSimulation` policy seeds derived from `seed`.
///
/// ```swift
/// let tuner = SwarmTuner(seed: 7)
/// let result = tuner.tune([simulation], from: SwarmConfiguration())
/// print(result.best.alpha, result.improvement)
/// ```
public struct SwarmTuner: Sendable {
    public var seed: UInt64
    public var particles = 10
    public var iterations = 8
    public var runsPerSimulation = 1
    public var alphaRange: ClosedRange<Double> = 0...5
    public var betaRange: ClosedRange<Double> = 0...5
    public var rhoRange: ClosedRange<Double> = 0.01...0.9

    public init(seed: UInt64, particles: Int = 10, iterations: Int = 8, runsPerSimulation: Int = 1) {
        self.seed = seed
        self.particles = particles
        self.iterations = iterations
        self.runsPerSimulation = max(runsPerSimulation, 1)
    }

    /// The mean simulated success rate of `config` over `simulations`.
    public func score(_ config: SwarmConfiguration, _ simulations: [AssignmentSimulation]) -> Double {
        guard !simulations.isEmpty else { return 0 }
        var total = 0.0
        for (i, sim) in simulations.enumerated() {
            for run in 0..<runsPerSimulation {
                total += sim.run(.antColony(config), seed: SplitMix64.derive(seed, index: i * 1_000 + run)).successRate
            }
        }
        return total / Double(simulations.count * runsPerSimulation)
    }

    /// Tunes α, β, ρ of `base` (its other parameters are kept); `base` is the first particle.
    public func tune(_ simulations: [AssignmentSimulation], from base: SwarmConfiguration) -> TuningResult {
        func config(_ x: [Double]) -> SwarmConfiguration {
            var c = base
            c.alpha = x[0]
            c.beta = x[1]
            c.rho = x[2]
            return c
        }
        let pso = ParticleSwarm(bounds: [alphaRange, betaRange, rhoRange], particles: particles, iterations: iterations, seed: seed)
        let start = [base.alpha, base.beta, base.rho]
        let found = pso.maximise(start: start) { score(config($0), simulations) }
        let currentScore = score(base, simulations)
        // Parameters rounded to 3 decimals are what a person would write down; keep them if no worse.
        var best = config(found.point.map { ($0 * 1000).rounded() / 1000 })
        var bestScore = score(best, simulations)
        if bestScore < found.value { best = config(found.point); bestScore = found.value }
        if bestScore < currentScore { best = base; bestScore = currentScore }
        return TuningResult(current: base, currentSuccessRate: currentScore, best: best, bestSuccessRate: bestScore,
                            evaluations: found.evaluations + 2, tasks: simulations.reduce(0) { $0 + $1.tasks.count })
    }
}
