import ColonySwarm
import Foundation

/// One assignment decision on the pure core, as the store's `assign` makes it after reading
/// the view: filter eligible agents (capabilities, room), evaluate each one's trail at the
/// decision time (lazy evaporation: one `pow`), its heuristic η, then draw by roulette wheel.
enum DecisionBenchmark {
    struct Agent {
        var capabilities: [String]
        var capacity: Int
        var load: Int
        var trail: PheromoneTrail
    }

    static func run(agents count: Int, decisions: Int) -> Latency {
        let config = SwarmConfiguration()
        let colony = AntColony(config)
        var rng = SplitMix64(seed: 1)
        let caps = ["swift", "go", "review", "ops", "sql", "rust"]
        let t0: Int64 = 1_800_000_000_000_000
        var agents = (0..<count).map { i in
            Agent(capabilities: Array(caps.shuffled(using: &rng).prefix(3)).sorted(), capacity: 4, load: Int(rng.next() % 4),
                  trail: PheromoneTrail(strength: 0.1 + 9.9 * rng.nextUnitInterval(), touchedMicroseconds: t0 - Int64(rng.next() % 3_600_000_000)))
        }
        var candidates: [AssignmentCandidate] = []
        candidates.reserveCapacity(count)
        var indices: [Int] = []
        indices.reserveCapacity(count)
        var samples: [UInt64] = []
        samples.reserveCapacity(decisions)
        var sink = 0
        for d in 0..<decisions {
            let required = [caps[d % caps.count]]
            let now = t0 + Int64(d) * 1_000_000
            var pick = SplitMix64(seed: SplitMix64.derive(42, index: d))
            let start = nowNanos()
            candidates.removeAll(keepingCapacity: true)
            indices.removeAll(keepingCapacity: true)
            for i in agents.indices {
                let a = agents[i]
                guard a.load < a.capacity, a.capabilities.contains(required[0]) else { continue }
                indices.append(i)
                candidates.append(AssignmentCandidate(agentID: "", trail: a.trail.strength(at: now, config: config),
                                                      heuristic: AssignmentHeuristic.eta(load: a.load, capacity: a.capacity,
                                                                                         capabilityCount: a.capabilities.count,
                                                                                         requiredCount: 1)))
            }
            let chosen = colony.choose(candidates, using: &pick).map { indices[$0.index] } ?? -1
            samples.append(nowNanos() - start)
            // Keep loads moving so eligibility changes between decisions.
            if chosen >= 0 { agents[chosen].load = (agents[chosen].load + 1) % 4 }
            sink &+= chosen
        }
        if sink == Int.min { print(sink) }
        return Latency(samples)
    }
}
