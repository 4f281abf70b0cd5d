import Foundation

/// The ant-colony choice rule: among eligible candidates, choose agent *i* with
/// probability `τᵢ^α · ηᵢ^β / Σⱼ τⱼ^α · ηⱼ^β` (random-proportional rule of Ant System).
///
/// Pure and allocation-light: the store's facade, the simulation and the tuner
/// all choose through it. O(candidates) per decision.
///
/// ```swift
/// let colony = AntColony(alpha: 1, beta: 2)
/// var rng = SplitMix64(seed: 7)
/// if let pick = colony.choose(candidates, using: &rng) { print(candidates[pick.index].agentID, pick.probability) }
/// ```
public struct AntColony: Sendable, Equatable {
    /// Exponent of the trail τ.
    public var alpha: Double
    /// Exponent of the heuristic η.
    public var beta: Double

    public init(alpha: Double, beta: Double) {
        self.alpha = alpha
        self.beta = beta
    }

    public init(_ config: SwarmConfiguration) { self.init(alpha: config.alpha, beta: config.beta) }

    /// `x^e`, with the common exponents 0, 1 and 2 without calling `pow`.
    @inlinable
    static func power(_ x: Double, _ e: Double) -> Double {
        if e == 1 { return x }
        if e == 2 { return x * x }
        if e == 0 { return 1 }
        return Foundation.pow(x, e)
    }

    /// τ^α · η^β.
    @inlinable
    public func weight(trail: Double, heuristic: Double) -> Double {
        AntColony.power(max(trail, 0), alpha) * AntColony.power(max(heuristic, 0), beta)
    }

    /// Chooses one candidate by roulette wheel over the weights; `nil` when there are none.
    /// If every weight is zero (or not finite), the choice is uniform. Draws exactly one number.
    @inlinable
    public func choose<R: RandomNumberGenerator>(_ candidates: [AssignmentCandidate], using rng: inout R)
        -> (index: Int, probability: Double)? {
        choose(weights: candidates.map { weight(trail: $0.trail, heuristic: $0.heuristic) }, using: &rng)
    }

    /// `choose` over the candidates' weights (`weight(trail:heuristic:)` of each, in order),
    /// computed beforehand: the same sum, the same single draw, the same result.
    @usableFromInline
    func choose<R: RandomNumberGenerator>(weights: [Double], using rng: inout R) -> (index: Int, probability: Double)? {
        guard !weights.isEmpty else { return nil }
        var total = 0.0
        for w in weights { total += w }
        let u = Double(rng.next() >> 11) * 0x1.0p-53
        guard total > 0, total.isFinite else {
            let i = min(Int(u * Double(weights.count)), weights.count - 1)
            return (i, 1 / Double(weights.count))
        }
        let target = u * total
        var running = 0.0
        var last = 0
        for (i, w) in weights.enumerated() {
            guard w > 0 else { continue }
            running += w
            last = i
            if target < running { return (i, w / total) }
        }
        return (last, weights[last] / total)
    }

    /// The `limit` most probable candidates, given their weights in order, most probable first and
    /// then by `id`, with the probability `explain` gives each: what sorting all of `explain`'s
    /// output and keeping the first `limit` gives, without sorting them all.
    static func mostProbable(weights: [Double], limit: Int, id: (Int) -> String) -> [(index: Int, probability: Double)] {
        let n = weights.count
        let total = weights.reduce(0, +)
        let uniform = !(total > 0 && total.isFinite)
        func probability(_ k: Int) -> Double { uniform ? 1 / Double(n) : weights[k] / total }
        func before(_ a: (index: Int, probability: Double), _ b: (index: Int, probability: Double)) -> Bool {
            a.probability != b.probability ? a.probability > b.probability : id(a.index) < id(b.index)
        }
        let keep = max(0, min(limit, n))
        guard keep > 0 else { return [] }
        if keep * 4 >= n { return (0..<n).map { ($0, probability($0)) }.sorted(by: before).prefix(keep).map { $0 } }
        var top: [(index: Int, probability: Double)] = []
        top.reserveCapacity(keep + 1)
        for k in 0..<n {
            let c = (index: k, probability: probability(k))
            if top.count == keep && !before(c, top[keep - 1]) { continue }
            var low = 0, high = top.count
            while low < high {
                let mid = (low + high) / 2
                if before(top[mid], c) { low = mid + 1 } else { high = mid }
            }
            top.insert(c, at: low)
            if top.count > keep { top.removeLast() }
        }
        return top
    }

    /// Each candidate's weight and probability, in the given order.
    public func explain(_ candidates: [AssignmentCandidate]) -> [ExplainedCandidate] {
        let weights = candidates.map { weight(trail: $0.trail, heuristic: $0.heuristic) }
        let total = weights.reduce(0, +)
        let uniform = !(total > 0 && total.isFinite)
        return zip(candidates, weights).map { c, w in
            ExplainedCandidate(agentID: c.agentID, trail: c.trail, heuristic: c.heuristic, weight: w,
                               probability: uniform ? 1 / Double(candidates.count) : w / total)
        }
    }
}
