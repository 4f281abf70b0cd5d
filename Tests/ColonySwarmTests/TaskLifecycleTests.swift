import ColonyStore
import ColonySwarm
import XCTest

final class TaskLifecycleTests: XCTestCase {
    private func storeWithAgents() async throws -> SwarmTestStore {
        let t = try SwarmTestStore()
        try await t.store.registerAgent("swift-1", capabilities: ["swift"], capacity: 2, at: at(0))
        try await t.store.registerAgent("go-1", capabilities: ["go"], capacity: 1, at: at(0))
        return t
    }

    func test_taskGoesQueuedAssignedSucceededAndTheAgentsLoadFollows() async throws {
        let t = try await storeWithAgents()
        try await t.store.createTask("t1", type: "review", requires: ["swift"], at: at(1))
        XCTAssertEqual(try t.store.tasks(in: .queued).map(\.id), ["t1"])
        let outcome = try await t.store.assign("t1", seed: 1, at: at(2))
        XCTAssertEqual(outcome.agentID, "swift-1")
        XCTAssertEqual(outcome.probability, 1)
        XCTAssertEqual(try t.store.task("t1").state, .assigned)
        XCTAssertEqual(try t.store.tasks(assignedTo: "swift-1").map(\.id), ["t1"])
        XCTAssertEqual(try t.store.agent("swift-1", at: at(2)).load, 1)
        let done = try await t.store.completeTask("t1", by: "swift-1", success: true, durationMilliseconds: 500, at: at(3))
        XCTAssertEqual(done.state, .succeeded)
        XCTAssertEqual(done.durationMilliseconds, 500)
        XCTAssertEqual(try t.store.tasks(assignedTo: "swift-1"), [])
        let agent = try t.store.agent("swift-1", at: at(3))
        XCTAssertEqual(agent.load, 0)
        XCTAssertEqual(agent.successes, 1)
        XCTAssertEqual(try t.store.tasks(in: .succeeded).map(\.id), ["t1"])
    }

    func test_completingATaskTwiceIsRefused() async throws {
        let t = try await storeWithAgents()
        try await t.store.createTask("t1", type: "review", requires: ["swift"], at: at(1))
        try await t.store.assign("t1", at: at(2))
        try await t.store.completeTask("t1", success: true, durationMilliseconds: 1, at: at(3))
        let head = try t.store.headPosition()
        await XCTAssertThrowsSwarmError(.taskAlreadyCompleted(taskID: "t1", state: .succeeded)) {
            try await t.store.completeTask("t1", success: false, durationMilliseconds: 1, at: at(4))
        }
        await XCTAssertThrowsSwarmError(.taskAlreadyCompleted(taskID: "t1", state: .succeeded)) { try await t.store.failTask("t1") }
        XCTAssertEqual(try t.store.headPosition(), head, "nothing half-written")
    }

    func test_unknownTaskAndDuplicateTaskAreRefused() async throws {
        let t = try await storeWithAgents()
        await XCTAssertThrowsSwarmError(.unknownTask("nope")) { try await t.store.assign("nope") }
        await XCTAssertThrowsSwarmError(.unknownTask("nope")) { try await t.store.completeTask("nope", success: true, durationMilliseconds: 1) }
        try await t.store.createTask("t1", type: "x")
        await XCTAssertThrowsSwarmError(.taskAlreadyExists("t1")) { try await t.store.createTask("t1", type: "x") }
    }

    func test_completingAQueuedTaskOrByAnotherAgentIsRefused() async throws {
        let t = try await storeWithAgents()
        try await t.store.createTask("t1", type: "x", requires: ["go"], at: at(1))
        await XCTAssertThrowsSwarmError(.taskNotAssigned("t1")) { try await t.store.completeTask("t1", success: true, durationMilliseconds: 1) }
        try await t.store.assign("t1", at: at(2))
        await XCTAssertThrowsSwarmError(.notTheAssignee(taskID: "t1", assignee: "go-1", caller: "swift-1")) {
            try await t.store.completeTask("t1", by: "swift-1", success: true, durationMilliseconds: 1)
        }
        await XCTAssertThrowsSwarmError(.taskNotQueued(taskID: "t1", state: .assigned)) { try await t.store.assign("t1", at: at(3)) }
    }

    func test_capabilitiesNobodyHasLeaveTheTaskQueuedWithAClearAnswer() async throws {
        let t = try await storeWithAgents()
        try await t.store.createTask("t1", type: "x", requires: ["cobol"], at: at(1))
        await XCTAssertThrowsSwarmError(.noEligibleAgent(taskID: "t1", required: ["cobol"], reason: "no live agent has every required capability")) {
            try await t.store.assign("t1", at: at(2))
        }
        XCTAssertEqual(try t.store.task("t1").state, .queued)
        XCTAssertEqual(try t.store.task("t1").attempts, 0)
    }

    func test_anAgentWithoutARecentHeartbeatIsNotAssignedUntilItBeatsAgain() async throws {
        let t = try await storeWithAgents()
        try await t.store.createTask("t1", type: "x", requires: ["go"], at: at(1))
        await XCTAssertThrowsSwarmError(.noEligibleAgent(taskID: "t1", required: ["go"],
                                                         reason: "no live agent (registered, not retired, heartbeat within the timeout)")) {
            try await t.store.assign("t1", at: at(301))  // registered at 0; the timeout is 300 s
        }
        try await t.store.heartbeat(agent: "go-1", at: at(302))
        let outcome = try await t.store.assign("t1", at: at(303))
        XCTAssertEqual(outcome.agentID, "go-1")
    }

    func test_explainingAnAssignedTaskGivesTheRecordedDecision() async throws {
        let t = try await storeWithAgents()
        try await t.store.createTask("t1", type: "x", requires: ["swift"], at: at(1))
        let outcome = try await t.store.assign("t1", seed: 77, at: at(2))
        let e = try t.store.explainAssignment("t1", at: at(2))
        let d = try XCTUnwrap(e.decision)
        XCTAssertEqual(d.agentID, outcome.agentID)
        XCTAssertEqual(d.seed, outcome.seed)
        XCTAssertEqual(d.probability, 1)
        XCTAssertEqual(d.candidates, 1)
        XCTAssertEqual(d.trail, 1, "the initial trail")
        XCTAssertEqual(d.heuristic, 1, "idle, and a specialist")
        XCTAssertEqual(d.timeMicroseconds, at(2))
    }

    func test_batchAssignmentRespectsCapacity() async throws {
        let t = try await storeWithAgents()
        for i in 0..<5 { try await t.store.createTask("t\(i)", type: "review", requires: ["swift"], at: at(1)) }
        let outcomes = try await t.store.assign((0..<5).map { "t\($0)" }, seed: 9, at: at(2))
        XCTAssertEqual(outcomes.filter(\.isAssigned).count, 2, "swift-1 has capacity 2")
        XCTAssertEqual(outcomes.filter { !$0.isAssigned }.map(\.reason), Array(repeating: "every capable live agent (1) is at capacity", count: 3))
        XCTAssertEqual(try t.store.agent("swift-1", at: at(2)).load, 2)
        XCTAssertEqual(try t.store.tasks(in: .queued).count, 3)
    }

    func test_requeueReturnsTheTaskAndFreesTheAgentWithoutCountingAnOutcome() async throws {
        let t = try await storeWithAgents()
        try await t.store.createTask("t1", type: "x", requires: ["go"], at: at(1))
        try await t.store.assign("t1", at: at(2))
        let requeued = try await t.store.requeueTask("t1", reason: "agent restarted", at: at(3))
        XCTAssertEqual(requeued.state, .queued)
        XCTAssertNil(requeued.assignee)
        let agent = try t.store.agent("go-1", at: at(3))
        XCTAssertEqual(agent.load, 0)
        XCTAssertEqual(agent.completions, 0)
        try await t.store.assign("t1", at: at(4))
        XCTAssertEqual(try t.store.task("t1").attempts, 2)
    }

    func test_failingAnAssignedTaskCountsAgainstTheAgent() async throws {
        let t = try await storeWithAgents()
        try await t.store.createTask("t1", type: "x", requires: ["go"], at: at(1))
        try await t.store.assign("t1", at: at(2))
        let failed = try await t.store.failTask("t1", reason: "crashed", at: at(3))
        XCTAssertEqual(failed.state, .failed)
        let agent = try t.store.agent("go-1", at: at(3))
        XCTAssertEqual(agent.completions, 1)
        XCTAssertEqual(agent.successes, 0)
        XCTAssertEqual(agent.load, 0)
    }

    func test_badTaskParametersAreRefused() async throws {
        let t = try await storeWithAgents()
        await XCTAssertThrowsSwarmError(.parameterOutOfRange(name: "priority", value: "256", allowed: "0...255")) {
            try await t.store.createTask("t", type: "x", priority: 256)
        }
        do {
            try await t.store.createTask("t", type: "x", payload: Array("{oops".utf8))
            XCTFail("invalid JSON accepted")
        } catch StoreError.invalidJSON {}
        try await t.store.createTask("t", type: "x", requires: ["go"], at: at(1))
        try await t.store.assign("t", at: at(2))
        await XCTAssertThrowsSwarmError(.parameterOutOfRange(name: "durationMilliseconds", value: "-1.0", allowed: ">= 0")) {
            try await t.store.completeTask("t", success: true, durationMilliseconds: -1)
        }
        XCTAssertEqual(try t.store.tasks(in: .assigned).map(\.id), ["t"])
    }

    func test_twoConcurrentAssignmentsOfOneTaskGiveItToOneAgentOnce() async throws {
        let t = try SwarmTestStore()
        for i in 0..<8 { try await t.store.registerAgent("a\(i)", capabilities: [], capacity: 4, at: at(0)) }
        let store = t.store
        for round in 0..<20 {
            try await store.createTask("t\(round)", type: "x", at: at(1))
            async let first = try? store.assign("t\(round)", seed: UInt64(round), at: at(2))
            async let second = try? store.assign("t\(round)", seed: UInt64(round + 1000), at: at(2))
            let results = await [first, second].compactMap { $0 }
            XCTAssertEqual(results.count, 1, "exactly one assign call wins")
            XCTAssertEqual(try t.store.task("t\(round)").attempts, 1)
        }
        let totalLoad = try (0..<8).map { try t.store.agent("a\($0)", at: at(2)).load }.reduce(0, +)
        XCTAssertEqual(totalLoad, 20)
    }

    func test_concurrentAssignmentsNeverPutAnAgentOverItsCapacity() async throws {
        let t = try SwarmTestStore()
        let store = t.store
        try await store.registerAgent("solo", capabilities: [], capacity: 1, at: at(0))
        var raced = 0
        for round in 0..<20 {
            try await store.createTask("a\(round)", type: "x", at: at(1))
            try await store.createTask("b\(round)", type: "x", at: at(1))
            // Both calls may see the free slot; the log decides who has it.
            async let first = store.assign(["a\(round)"], at: at(2))
            async let second = store.assign(["b\(round)"], at: at(2))
            let outcomes = try await first + second
            XCTAssertEqual(outcomes.filter(\.isAssigned).count, 1, "round \(round): \(outcomes)")
            XCTAssertEqual(try store.agent("solo", at: at(2)).load, 1)
            let holder = try XCTUnwrap(outcomes.first(where: \.isAssigned)).taskID
            let loser = try XCTUnwrap(outcomes.first(where: { !$0.isAssigned }))
            XCTAssertEqual(try store.task(loser.taskID).state, .queued, "the loser stays queued")
            XCTAssertTrue(["a concurrent assignment took the agent's last slot first; retry",
                           "every capable live agent (1) is at capacity"].contains(loser.reason ?? ""), loser.reason ?? "")
            if loser.reason?.hasPrefix("a concurrent") == true { raced += 1 }
            try await store.completeTask(holder, success: true, durationMilliseconds: 1, at: at(3))
            try await store.failTask(loser.taskID, at: at(3))
        }
        XCTAssertGreaterThan(raced, 0, "both calls saw the free slot in some round, and the log settled it")
    }

    func test_sameSeedGivesTheSameChoiceAndTheEventRecordsIt() async throws {
        var chosen: [String?] = []
        for _ in 0..<2 {
            let t = try SwarmTestStore()
            for i in 0..<10 { try await t.store.registerAgent("a\(i)", capabilities: [], capacity: 1, at: at(0)) }
            try await t.store.createTask("t", type: "x", at: at(1))
            chosen.append(try await t.store.assign("t", seed: 12345, at: at(2)).agentID)
            let explanation = try t.store.explainAssignment("t", at: at(2))
            XCTAssertEqual(explanation.decision?.seed, SplitMix64.derive(12345, index: 0))
            XCTAssertEqual(explanation.decision?.agentID, chosen.last!)
        }
        XCTAssertEqual(chosen[0], chosen[1])
    }

    func test_explainGivesEachCandidatesTrailHeuristicAndProbability() async throws {
        let t = try SwarmTestStore()
        try await t.store.registerAgent("specialist", capabilities: ["swift"], capacity: 2, at: at(0))
        try await t.store.registerAgent("generalist", capabilities: ["swift", "go", "rust"], capacity: 2, at: at(0))
        try await t.store.createTask("t", type: "x", requires: ["swift"], at: at(1))
        let e = try t.store.explainAssignment("t", at: at(1))
        XCTAssertEqual(e.eligibleCount, 2)
        XCTAssertEqual(e.candidates.map(\.agentID), ["specialist", "generalist"])
        // η = idle · (required+1)/(capabilities+1): 1 · 2/2 and 1 · 2/4; τ = initial 1; β = 2.
        XCTAssertEqual(e.candidates[0].heuristic, 1)
        XCTAssertEqual(e.candidates[1].heuristic, 0.5)
        XCTAssertEqual(e.candidates[0].probability, 0.8, accuracy: 1e-12)
        XCTAssertEqual(e.candidates[1].probability, 0.2, accuracy: 1e-12)
        XCTAssertNil(e.decision)
    }

    func test_successDepositsPheromoneOnTheAgentsTrailForThatType() async throws {
        let t = try SwarmTestStore()
        try await t.store.registerAgent("a", capabilities: [], capacity: 1, at: at(0))
        try await t.store.createTask("t", type: "build", at: at(0))
        try await t.store.assign("t", at: at(0))
        try await t.store.completeTask("t", success: true, durationMilliseconds: 0, at: at(0))
        let trail = try XCTUnwrap(t.store.trails(of: "a", at: at(0)).first)
        XCTAssertEqual(trail.taskType, "build")
        XCTAssertEqual(trail.strength, 2, accuracy: 1e-12, "initial 1 + deposit 1 × quality 1")
        XCTAssertEqual(try t.store.trails(of: "a", at: at(60)).first!.strength, 1.8, accuracy: 1e-12, "one minute at ρ = 0.1")
    }
}
