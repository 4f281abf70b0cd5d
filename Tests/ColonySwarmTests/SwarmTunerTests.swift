import ColonyStore
import ColonySwarm
import XCTest

final class SwarmTunerTests: XCTestCase {
    func test_particleSwarmFindsTheMaximumOfASmoothFunction() {
        let pso = ParticleSwarm(bounds: [0...5, 0...5], particles: 16, iterations: 40, seed: 3)
        let r = pso.maximise { x in -(x[0] - 2) * (x[0] - 2) - (x[1] - 1) * (x[1] - 1) }
        XCTAssertEqual(r.point[0], 2, accuracy: 0.05)
        XCTAssertEqual(r.point[1], 1, accuracy: 0.05)
        XCTAssertEqual(r.evaluations, 16 * 41)
    }

    func test_tuningIsDeterministicForASeedAndNeverWorseThanTheStart() {
        let worlds = [11, 12].map { DriftingSkillScenario.make(seed: UInt64($0), tasks: 600) }
        let tuner = SwarmTuner(seed: 5, particles: 5, iterations: 3)
        let a = tuner.tune(worlds, from: SwarmConfiguration())
        let b = tuner.tune(worlds, from: SwarmConfiguration())
        XCTAssertEqual(a, b)
        XCTAssertGreaterThanOrEqual(a.bestSuccessRate, a.currentSuccessRate)
        XCTAssertNoThrow(try a.best.validate())
    }

    /// How `AssignmentSimulationTests.tuned` was found (about 15 s in a debug build).
    func test_tunerFindsTheTunedParametersOnTrainingWorlds() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["COLONY_SWARM_RETUNE"] != nil,
                          "set COLONY_SWARM_RETUNE=1 to run the full tuning")
        let worlds = [101, 102, 103].map { DriftingSkillScenario.make(seed: UInt64($0)) }
        let r = SwarmTuner(seed: 1, particles: 12, iterations: 10).tune(worlds, from: SwarmConfiguration())
        print("tuned on worlds 101-103: α \(r.best.alpha), β \(r.best.beta), ρ \(r.best.rho): \(r.currentSuccessRate) → \(r.bestSuccessRate)")
        XCTAssertEqual(r.best.alpha, 4.2548, accuracy: 1e-3)
        XCTAssertEqual(r.best.beta, 5, accuracy: 1e-3)
        XCTAssertEqual(r.best.rho, 0.1833, accuracy: 1e-3)
    }

    func test_storeHistoryReplaysAsASimulationAndTunes() async throws {
        let t = try SwarmTestStore()
        let s = t.store
        // Three agents: "good" succeeds, "bad" fails, "mid" alternates.
        for a in ["good", "bad", "mid"] { try await s.registerAgent(a, capabilities: ["x"], capacity: 2, at: at(0)) }
        var n = 0
        for round in 0..<60 {
            let ids = (0..<3).map { "t\(round)-\($0)" }
            for id in ids { try await s.createTask(id, type: "work", requires: ["x"], at: at(Double(round * 60))) }
            for o in try await s.assign(ids, seed: UInt64(round), at: at(Double(round * 60 + 1))) where o.isAssigned {
                let success = o.agentID == "good" || (o.agentID == "mid" && n % 2 == 0)
                n += 1
                try await s.completeTask(o.taskID, success: success, durationMilliseconds: 30_000, at: at(Double(round * 60 + 30)))
            }
            for a in ["good", "bad", "mid"] { try await s.heartbeat(agent: a, at: at(Double(round * 60 + 31))) }
        }
        let history = try AssignmentHistory(store: s, seed: 1)
        XCTAssertEqual(history.simulation.agents.count, 3)
        XCTAssertEqual(history.simulation.tasks.count, 180)
        XCTAssertEqual(history.outcomes, 180)
        let result = try s.tuneSwarm(seed: 1, particles: 4, iterations: 2, runs: 1)
        XCTAssertEqual(result.tasks, 180)
        XCTAssertGreaterThanOrEqual(result.bestSuccessRate, result.currentSuccessRate)
        XCTAssertEqual(try s.tuneSwarm(seed: 1, particles: 4, iterations: 2, runs: 1), result, "deterministic for a seed")
        // Oracle on the modelled history is an upper bound the tuned rule stays under.
        XCTAssertLessThanOrEqual(result.bestSuccessRate, history.simulation.run(.oracle, seed: 1).successRate + 0.05)
    }
}
