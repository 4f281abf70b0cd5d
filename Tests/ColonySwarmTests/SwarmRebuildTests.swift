import ColonyStore
import ColonySwarm
import XCTest

final class SwarmRebuildTests: XCTestCase {
    /// Agents, tasks through every state, trails, proposals with votes and closes, a reconfiguration.
    private func workload(_ s: ColonyStore) async throws {
        var rng = SplitMix64(seed: 99)
        let caps = ["swift", "go", "rust", "sql"]
        for i in 0..<12 {
            let mine = caps.filter { _ in Bool.random(using: &rng) }
            try await s.registerAgent("a\(i)", capabilities: mine.isEmpty ? ["swift"] : mine, capacity: 1 + i % 3, at: at(0))
        }
        var time = 1.0
        for round in 0..<40 {
            time += 30
            for i in 0..<12 where round % 4 == 0 { try await s.heartbeat(agent: "a\(i)", at: at(time)) }
            let ids = (0..<6).map { "r\(round)-t\($0)" }
            for id in ids {
                try await s.createTask(id, type: ["build", "review", "deploy"][Int(rng.next() % 3)],
                                       requires: [caps[Int(rng.next() % 4)]], priority: Int(rng.next() % 3), at: at(time))
            }
            let outcomes = try await s.assign(ids, seed: UInt64(round), at: at(time + 1))
            for o in outcomes where o.isAssigned {
                switch rng.next() % 10 {
                case 0: try await s.requeueTask(o.taskID, at: at(time + 2))
                case 1: try await s.failTask(o.taskID, reason: "broke", at: at(time + 2))
                default:
                    try await s.completeTask(o.taskID, success: rng.next() % 3 != 0, durationMilliseconds: Double(rng.next() % 90_000),
                                             at: at(time + 3))
                }
            }
            if round % 5 == 0 {
                let voters = (0..<12).map { "a\($0)" }.filter { _ in rng.next() % 2 == 0 }
                guard !voters.isEmpty else { continue }
                try await s.openProposal(ProposalDefinition(id: "p\(round)", options: ["yes", "no", "later"], voters: voters,
                                                            quorum: 1, rule: DecisionRule.allCases[round % 4],
                                                            deadlineMicroseconds: at(time + 20), allowsVoteChange: round % 2 == 0), at: at(time))
                for v in voters.prefix(voters.count / 2) {
                    _ = try? await s.castVote(proposal: "p\(round)", agent: v, option: ["yes", "no", "later"][Int(rng.next() % 3)], at: at(time + 1))
                }
            }
            if round == 20 { try await s.configureSwarm(SwarmConfiguration(alpha: 2, rho: 0.3), at: at(time)) }
            try await s.closeExpiredProposals(now: at(time))
        }
        try await s.retireAgent("a3", at: at(time + 5))
    }

    func test_rebuildGivesTheSameViewBytesAsLiveUpdates() async throws {
        let t = try SwarmTestStore()
        try await workload(t.store)
        let live = try t.dumpSwarmView()
        XCTAssertGreaterThan(live.count, 500)
        let head = try t.store.headPosition()
        XCTAssertEqual(try t.store.rebuild(view: "swarm").eventsApplied, head)
        XCTAssertEqual(try t.dumpSwarmView(), live)
        try t.reopen()
        XCTAssertEqual(try t.dumpSwarmView(), live)
    }

    func test_viewBytesDoNotDependOnHowEventsWereBatched() async throws {
        let one = try SwarmTestStore()
        try await workload(one.store)
        let copy = try SwarmTestStore()
        let events = try one.store.read(from: 1, limit: 1_000_000)
        for chunk in stride(from: 0, to: events.count, by: 13) {
            try await copy.store.append(events[chunk..<min(chunk + 13, events.count)].map(\.asNewEvent))
        }
        XCTAssertEqual(try copy.dumpSwarmView(), try one.dumpSwarmView())
    }

    func test_summaryIsBoundedAndCountsEveryState() async throws {
        let t = try SwarmTestStore()
        try await workload(t.store)
        let summary = try t.store.swarmSummary(limit: 5, at: at(1_300))
        XCTAssertEqual(summary.agentCount, 12)
        XCTAssertEqual(summary.retiredAgentCount, 1)
        XCTAssertEqual(summary.taskCounts.values.reduce(0, +), 240)
        XCTAssertLessThanOrEqual(summary.agents.count, 5)
        XCTAssertLessThanOrEqual(summary.openTasks.count, 5)
        XCTAssertEqual(summary.strongestTrails.count, 5)
        XCTAssertEqual(summary.strongestTrails.map(\.strength), summary.strongestTrails.map(\.strength).sorted(by: >))
        XCTAssertEqual(summary.configuration.alpha, 2)
        XCTAssertEqual(summary.taskCounts["queued"], try t.store.tasks(in: .queued, limit: 1_000).count)
    }

    func test_projectionIgnoresEventsThatMakeNoSenseWithoutBreakingTheView() async throws {
        let t = try SwarmTestStore()
        try await t.store.registerAgent("a", capabilities: [], at: at(0))
        try await t.store.createTask("t", type: "x", at: at(0))
        // Hand-appended events that bypass the facade's checks.
        let junk: [(String, String, String)] = [
            (SwarmEvents.taskStream("t"), SwarmEvents.taskCompleted, #"{"task":"t","success":true}"#),
            (SwarmEvents.taskStream("t"), SwarmEvents.taskAssigned, #"{"task":"t","agent":"nobody"}"#),
            (SwarmEvents.taskStream("u"), SwarmEvents.taskAssigned, #"{"task":"u","agent":"a"}"#),
            (SwarmEvents.taskStream("u"), SwarmEvents.taskAssigned, #"{"task":"t","agent":"a"}"#),  // t's event on u's stream
            (SwarmEvents.agentStream("a"), SwarmEvents.agentRegistered, #"{"agent":"a","capabilities":"oops","capacity":1}"#),
            (SwarmEvents.configStream, SwarmEvents.swarmConfigured, #"{"rho":7}"#),
            (SwarmEvents.proposalStream("p"), SwarmEvents.voteCast, #"{"proposal":"p","agent":"a","option":"y"}"#),
        ]
        for (stream, kind, payload) in junk {
            try await t.store.append(NewEvent(stream: stream, kind: kind, payload: Array(payload.utf8), timeMicroseconds: at(1)))
        }
        XCTAssertEqual(try t.store.task("t").state, .queued)
        XCTAssertEqual(try t.store.swarmConfiguration().rho, 0.1)
        // The task's expected version followed the stream, so the facade still works on it.
        let outcome = try await t.store.assign("t", at: at(2))
        XCTAssertEqual(outcome.agentID, "a")
    }
}
