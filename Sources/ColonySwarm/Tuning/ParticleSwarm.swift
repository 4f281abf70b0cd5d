/// Particle swarm optimisation (Kennedy and Eberhart, with inertia): maximises a function
/// over a box, deterministically for a seed.
///
/// Each particle moves by `v ← w·v + c₁·r₁·(personal best − x) + c₂·r₂·(swarm best − x)`,
/// clamped to the box. Evaluations run in a fixed order, so the same seed and the same
/// (deterministic) objective give the same result.
///
/// ```swift
/// var pso = ParticleSwarm(bounds: [0...5, 0...5], seed: 1)
/// let best = pso.maximise { x in -(x[0] - 2) * (x[0] - 2) - (x[1] - 1) * (x[1] - 1) }
/// ```
public struct ParticleSwarm: Sendable {
    /// One closed interval per dimension.
    public var bounds: [ClosedRange<Double>]
    public var particles: Int
    public var iterations: Int
    public var inertia: Double = 0.7
    public var cognitive: Double = 1.5
    public var social: Double = 1.5
    public var seed: UInt64

    public init(bounds: [ClosedRange<Double>], particles: Int = 12, iterations: Int = 10, seed: UInt64) {
        self.bounds = bounds
        self.particles = max(particles, 1)
        self.iterations = max(iterations, 0)
        self.seed = seed
    }

    /// The best point found, its value, and how many evaluations it took. `start`, when given,
    /// is the first particle's position (so the result is never worse than it).
    public func maximise(start: [Double]? = nil, _ objective: ([Double]) -> Double) -> (point: [Double], value: Double, evaluations: Int) {
        var rng = SplitMix64(seed: seed)
        let dims = bounds.count
        func clamp(_ x: Double, _ d: Int) -> Double { min(max(x, bounds[d].lowerBound), bounds[d].upperBound) }
        var positions: [[Double]] = (0..<particles).map { p in
            if p == 0, let start, start.count == dims { return start.enumerated().map { clamp($1, $0) } }
            return (0..<dims).map { d in bounds[d].lowerBound + (bounds[d].upperBound - bounds[d].lowerBound) * rng.nextUnitInterval() }
        }
        var velocities: [[Double]] = (0..<particles).map { _ in
            (0..<dims).map { d in (bounds[d].upperBound - bounds[d].lowerBound) * (rng.nextUnitInterval() - 0.5) * 0.2 }
        }
        var personal = positions
        var personalValue = positions.map(objective)
        var evaluations = particles
        var best = personalValue.indices.max { personalValue[$0] < personalValue[$1] }!
        var bestPoint = personal[best], bestValue = personalValue[best]
        for _ in 0..<iterations {
            for p in 0..<particles {
                for d in 0..<dims {
                    let r1 = rng.nextUnitInterval(), r2 = rng.nextUnitInterval()
                    velocities[p][d] = inertia * velocities[p][d] + cognitive * r1 * (personal[p][d] - positions[p][d])
                        + social * r2 * (bestPoint[d] - positions[p][d])
                    positions[p][d] = clamp(positions[p][d] + velocities[p][d], d)
                }
                let value = objective(positions[p])
                evaluations += 1
                if value > personalValue[p] {
                    personal[p] = positions[p]
                    personalValue[p] = value
                    if value > bestValue {
                        bestValue = value
                        bestPoint = positions[p]
                        best = p
                    }
                }
            }
        }
        return (bestPoint, bestValue, evaluations)
    }
}
