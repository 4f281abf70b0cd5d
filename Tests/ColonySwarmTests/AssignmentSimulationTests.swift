import ColonySwarm
import Foundation
import XCTest

/// The simulation: hidden per-type skill drifting over time, 5,000 tasks, fixed seeds.
/// Prints the table docs/swarm.md shows:
///
///     swift test --scratch-path .build-swarm --filter AssignmentSimulationTests
final class AssignmentSimulationTests: XCTestCase {
    static let seeds: [UInt64] = [1, 2, 3]

    /// What `SwarmTuner(seed: 1, particles: 12, iterations: 10)` found on the training worlds
    /// 101-103 (α 4.2548, β 5, ρ 0.1833; see `test_tunerFindsTheTunedParametersOnTrainingWorlds`),
    /// rounded. The worlds below (1-3) are held out: the parameters never saw them.
    static let tuned = SwarmConfiguration(alpha: 4.25, beta: 5, rho: 0.18)

    func test_antColonyBeatsRandomRoundRobinAndGreedyOnDriftingSkills() {
        let config = AssignmentSimulationTests.tuned
        let policies: [(String, AssignmentPolicy)] = [("oracle (knows the hidden skills)", .oracle),
                                                      ("ACO, tuned (α 4.25, β 5, ρ 0.18)", .antColony(config)),
                                                      ("ACO, defaults (α 1, β 2, ρ 0.1)", .antColony(SwarmConfiguration())),
                                                      ("greedy", .greedy), ("round-robin", .roundRobin), ("random", .random)]
        var rates: [String: [Double]] = [:]
        for seed in AssignmentSimulationTests.seeds {
            let sim = DriftingSkillScenario.make(seed: seed)
            for (name, p) in policies { rates[name, default: []].append(sim.run(p, seed: seed).successRate) }
        }
        var table = "| policy | " + AssignmentSimulationTests.seeds.map { "world \($0)" }.joined(separator: " | ") + " | mean |\n"
        table += "|---|" + String(repeating: "---|", count: AssignmentSimulationTests.seeds.count + 1) + "\n"
        for (name, _) in policies {
            let r = rates[name]!
            table += "| \(name) | " + r.map { String(format: "%.3f", $0) }.joined(separator: " | ")
                + String(format: " | %.3f |\n", r.reduce(0, +) / Double(r.count))
        }
        print("Success rate over 5,000 tasks per world:\n" + table)
        for i in AssignmentSimulationTests.seeds.indices {
            let aco = rates[policies[1].0]![i]
            XCTAssertGreaterThan(aco, rates["random"]![i], "world \(i + 1)")
            XCTAssertGreaterThan(aco, rates["round-robin"]![i], "world \(i + 1)")
            XCTAssertGreaterThan(aco, rates["greedy"]![i], "world \(i + 1)")
            XCTAssertLessThanOrEqual(aco, rates[policies[0].0]![i], "world \(i + 1)")
            // Untuned, the rule still learns: far above random and round-robin.
            XCTAssertGreaterThan(rates[policies[2].0]![i], rates["random"]![i] + 0.05, "world \(i + 1)")
            XCTAssertGreaterThan(rates[policies[2].0]![i], rates["round-robin"]![i] + 0.05, "world \(i + 1)")
        }
    }

    func test_simulationIsDeterministicForASeed() {
        let a = DriftingSkillScenario.make(seed: 5, tasks: 500).run(.antColony(SwarmConfiguration()), seed: 5)
        let b = DriftingSkillScenario.make(seed: 5, tasks: 500).run(.antColony(SwarmConfiguration()), seed: 5)
        XCTAssertEqual(a, b)
    }
}
