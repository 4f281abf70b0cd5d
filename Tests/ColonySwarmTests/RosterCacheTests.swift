import ColonyStore
@testable import ColonySwarm
import XCTest

/// The store handle's roster cache (`RosterCache`): a decision must see exactly the view of its
/// read transaction, whether the roster was used as it was, brought forward from the events since,
/// or read again in full.
final class RosterCacheTests: XCTestCase {
    /// The handle's cached roster and one read in full, in one read transaction, for `needs`.
    private func rosters(_ store: ColonyStore, needs: [(type: String, required: [String])], now: Int64) throws
        -> (cached: RosterSnapshot, full: RosterSnapshot) {
        try store.swarmView { v in
            let cached = try store.rosterCache.snapshot(v, needs: needs, now: now)
            var full = try RosterSnapshot.load(v, position: try v.log.appliedPosition())
            try full.readTrails(for: needs, now: now, v)
            return (cached, full)
        }
    }

    /// Asserts that `cached` holds what a full read holds: position, configuration, every agent
    /// record, the capable lists it has, and every trail both have read (the full read's reads a
    /// subset of the cached one's).
    private func assertSame(_ cached: RosterSnapshot, _ full: RosterSnapshot, _ message: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(cached.position, full.position, message, file: file, line: line)
        XCTAssertEqual(cached.config, full.config, message, file: file, line: line)
        XCTAssertEqual(cached.ids, full.ids, message, file: file, line: line)
        XCTAssertEqual(cached.records, full.records, message, file: file, line: line)
        XCTAssertEqual(cached.entries, cached.records.map(RosterEntry.init), message, file: file, line: line)
        for (required, indices) in cached.capable {
            XCTAssertEqual(indices, full.ids.indices.filter { full.records[$0].hasAll(required) }, "\(message): capable \(required)",
                           file: file, line: line)
        }
        for (type, column) in full.trails {
            guard let mine = cached.trails[type] else {
                XCTFail("\(message): no trails of \(type) in the cached roster", file: file, line: line)
                continue
            }
            XCTAssertEqual(mine.count, column.count, message, file: file, line: line)
            for i in column.indices where column[i] != .unread {
                XCTAssertEqual(mine[i], column[i], "\(message): trail of \(full.ids[i]) for \(type)", file: file, line: line)
            }
        }
    }

    func test_aDecisionOnAnUnchangedViewUsesTheRosterAsItIs() async throws {
        let t = try SwarmTestStore()
        for i in 0..<5 { try await t.store.registerAgent("a\(i)", capabilities: ["swift"], capacity: 2, at: at(0)) }
        try await t.store.createTask("t", type: "review", requires: ["swift"], at: at(1))
        let first = try t.store.explainAssignment("t", at: at(2))
        let second = try t.store.explainAssignment("t", at: at(2))
        XCTAssertEqual(first, second)
        XCTAssertEqual(first.eligibleCount, 5)
        XCTAssertEqual(t.store.rosterStatistics, RosterStatistics(hits: 1, refreshes: 0, loads: 1))
    }

    func test_theRosterFollowsTheViewAfterEveryKindOfChange() async throws {
        let t = try SwarmTestStore()
        for i in 0..<4 { try await t.store.registerAgent("a\(i)", capabilities: ["swift"], capacity: 1, at: at(0)) }
        try await t.store.createTask("t", type: "review", requires: ["swift"], at: at(1))
        func eligible(_ time: Double) throws -> [String] {
            try t.store.explainAssignment("t", at: at(time)).candidates.map(\.agentID).sorted()
        }
        XCTAssertEqual(try eligible(2), ["a0", "a1", "a2", "a3"])

        try await t.store.retireAgent("a1", at: at(3))
        XCTAssertEqual(try eligible(3), ["a0", "a2", "a3"], "a retirement since the last decision is seen")
        try await t.store.registerAgent("a4", capabilities: ["swift"], capacity: 1, at: at(4))
        try await t.store.registerAgent("a05", capabilities: ["swift"], capacity: 1, at: at(4))
        XCTAssertEqual(try eligible(4), ["a0", "a05", "a2", "a3", "a4"], "new agents are seen, in the view's order")
        try await t.store.createTask("other", type: "review", requires: ["swift"], at: at(5))
        let outcome = try await t.store.assign("other", seed: 3, at: at(5))
        let busy = try XCTUnwrap(outcome.agentID)
        XCTAssertFalse(try eligible(5).contains(busy), "an agent at capacity drops out")
        let trailBefore = try t.store.trails(of: busy, at: at(6))
        try await t.store.completeTask("other", success: true, durationMilliseconds: 100, at: at(6))
        let back = try t.store.explainAssignment("t", at: at(6))
        XCTAssertTrue(back.candidates.contains { $0.agentID == busy }, "its completion frees it")
        XCTAssertEqual(trailBefore, [])
        let tau = try XCTUnwrap(t.store.trails(of: busy, at: at(6)).first?.strength)
        XCTAssertEqual(back.candidates.first { $0.agentID == busy }?.trail, tau, "and its new trail is used")
        // Heartbeats keep an agent alive past the timeout; the others time out.
        let timeout = Double(SwarmConfiguration().heartbeatTimeoutMicroseconds) / 1_000_000
        try await t.store.heartbeat(agent: "a2", at: at(timeout))
        XCTAssertEqual(try eligible(timeout + 5), ["a2"])
        let stats = t.store.rosterStatistics
        XCTAssertEqual(stats.loads, 1, "every change was brought forward, none read in full: \(stats)")
        XCTAssertGreaterThanOrEqual(stats.refreshes, 6)

        // A fresh handle reads everything in full and decides the same.
        let cached = try t.store.explainAssignment("t", at: at(timeout + 5))
        try t.reopen()
        XCTAssertEqual(try t.store.explainAssignment("t", at: at(timeout + 5)), cached)
        XCTAssertEqual(t.store.rosterStatistics.loads, 1)
    }

    func test_aConfigurationChangeIsSeenAndAppliesToTheStoredTrails() async throws {
        let t = try SwarmTestStore()
        try await t.store.registerAgent("a", capabilities: [], at: at(0))
        try await t.store.createTask("done", type: "x", at: at(0))
        try await t.store.assign("done", at: at(0))
        try await t.store.completeTask("done", success: true, durationMilliseconds: 1, at: at(0))
        try await t.store.createTask("t", type: "x", at: at(1))
        let before = try t.store.explainAssignment("t", at: at(200))
        XCTAssertEqual(before.alpha, 1)
        try await t.store.configureSwarm(SwarmConfiguration(alpha: 2, rho: 0.5), at: at(200))
        let after = try t.store.explainAssignment("t", at: at(200))
        XCTAssertEqual(after.alpha, 2)
        XCTAssertEqual(after.candidates.first?.trail, try t.store.trails(of: "a", at: at(200)).first?.strength)
        XCTAssertLessThan(try XCTUnwrap(after.candidates.first?.trail), try XCTUnwrap(before.candidates.first?.trail),
                          "the new evaporation rate applies to the trail read")
        XCTAssertEqual(t.store.rosterStatistics.loads, 1)
        let cached = try t.store.explainAssignment("t", at: at(250))
        try t.reopen()
        XCTAssertEqual(try t.store.explainAssignment("t", at: at(250)), cached)
    }

    func test_aReleaseWhoseAssigneeTheEventsCannotNameIsReadInFull() async throws {
        let t = try SwarmTestStore()
        for id in ["x", "y"] { try await t.store.registerAgent(id, capabilities: ["swift"], capacity: 1, at: at(0)) }
        try await t.store.createTask("t", type: "review", requires: ["swift"], at: at(1))
        try await t.store.createTask("probe", type: "review", requires: ["swift"], at: at(1))
        try await t.store.append(NewEvent(stream: SwarmEvents.taskStream("t"), kind: SwarmEvents.taskAssigned,
                                          payload: Array(#"{"task":"t","agent":"x"}"#.utf8), timeMicroseconds: at(2)))
        XCTAssertEqual(try t.store.explainAssignment("probe", at: at(2)).candidates.map(\.agentID), ["y"])
        // Requeued (x freed), then given to y, in one window: the requeue's agent is not in any event of the window.
        try await t.store.requeueTask("t", at: at(3))
        try await t.store.append(NewEvent(stream: SwarmEvents.taskStream("t"), kind: SwarmEvents.taskAssigned,
                                          payload: Array(#"{"task":"t","agent":"y"}"#.utf8), timeMicroseconds: at(3)))
        XCTAssertEqual(try t.store.explainAssignment("probe", at: at(3)).candidates.map(\.agentID), ["x"])
        XCTAssertEqual(t.store.rosterStatistics.loads, 2, "read in full rather than guessed")
        // Completed in a later window: its assignee is named by the task's last assignment, before the window.
        try await t.store.completeTask("t", success: true, durationMilliseconds: 1, at: at(4))
        XCTAssertEqual(try t.store.explainAssignment("probe", at: at(4)).candidates.map(\.agentID).sorted(), ["x", "y"])
        XCTAssertEqual(t.store.rosterStatistics, RosterStatistics(hits: 0, refreshes: 1, loads: 2))
    }

    func test_aSnapshotAheadOfTheTransactionIsNotUsed() async throws {
        let t = try SwarmTestStore()
        try await t.store.registerAgent("a", capabilities: [], capacity: 2, at: at(0))
        // A roster that claims a later position than the view's, with a load the view does not have.
        var ahead = try t.store.swarmView { v in try RosterSnapshot.load(v, position: try v.log.appliedPosition()) }
        ahead.position += 5
        ahead.records[0].load = 2
        ahead.entries[0].load = 2
        let cache = RosterCache(ahead)
        let served = try t.store.swarmView { v in try cache.snapshot(v, needs: [], now: at(1)) }
        XCTAssertEqual(served.records[0].load, 0)
        XCTAssertEqual(served.position, ahead.position - 5)
        XCTAssertEqual(cache.statistics, RosterStatistics(hits: 0, refreshes: 0, loads: 1))
    }

    func test_aWindowOverTheRefreshLimitIsReadInFull() async throws {
        let t = try SwarmTestStore()
        try await t.store.registerAgent("a", capabilities: [], capacity: 2, at: at(0))
        try await t.store.createTask("t", type: "x", at: at(1))
        _ = try t.store.explainAssignment("t", at: at(1))
        let limit = Int(RosterSnapshot.refreshLimit(agents: 1))
        for i in 0...limit { try await t.store.heartbeat(agent: "a", at: at(2) + Int64(i)) }
        XCTAssertEqual(try t.store.agent("a", at: at(3)).lastSeenMicroseconds, at(2) + Int64(limit))
        XCTAssertEqual(try rosters(t.store, needs: [], now: at(3)).cached.records[0].lastSeenMicroseconds, at(2) + Int64(limit))
        XCTAssertEqual(t.store.rosterStatistics.loads, 2)
    }

    /// Random work, raw events included (refused assignments, releases of tasks never assigned,
    /// events on other streams, another context's events), checked against a full read after
    /// windows of random length.
    func test_randomWorkMatchesAFullReadAfterEveryWindow() async throws {
        let t = try SwarmTestStore()
        let s = t.store
        var rng = SplitMix64(seed: 20_261_121)
        func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
        let capabilities = ["swift", "go", "sql"]
        let types = ["review", "build"]
        var agents: [String] = []
        var tasks: [String] = []
        var time = 0.0
        for i in 0..<12 {
            let id = "agent-\(String(format: "%02d", (i * 7) % 12))"
            try await s.registerAgent(id, capabilities: capabilities.filter { _ in rng.next() % 2 == 0 }, capacity: 1 + Int(rng.next() % 2), at: at(0))
            agents.append(id)
        }
        var checks = 0
        for step in 0..<400 {
            time += 1
            let now = at(time)
            switch rng.next() % 12 {
            case 0:
                let id = "late-\(step)"
                try await s.registerAgent(id, capabilities: capabilities.filter { _ in rng.next() % 2 == 0 }, capacity: 2, at: now)
                agents.append(id)
            case 1: try await s.heartbeat(agent: pick(agents), at: now)
            case 2 where step % 5 == 0: _ = try? await s.retireAgent(pick(agents), at: now)
            case 3, 4:
                let id = "task-\(step)"
                try await s.createTask(id, type: pick(types), requires: [pick(capabilities)].filter { _ in rng.next() % 3 != 0 }, at: now)
                tasks.append(id)
            case 5, 6:
                if let id = try s.tasks(in: .queued, limit: 50).map(\.id).randomElement(using: &rng) {
                    _ = try? await s.assign(id, seed: rng.next(), at: now)
                }
            case 7:
                if let task = try s.tasks(in: .assigned, limit: 50).randomElement(using: &rng) {
                    _ = try await s.completeTask(task.id, success: rng.next() % 3 != 0, durationMilliseconds: Double(rng.next() % 5_000), at: now)
                }
            case 8:
                if let task = try s.tasks(in: .assigned, limit: 50).randomElement(using: &rng) {
                    _ = try await rng.next() % 2 == 0 ? s.requeueTask(task.id, at: now) : s.failTask(task.id, at: now)
                }
            case 9:
                // Raw assignments the projection may refuse (agent at capacity, retired, unknown; task not queued).
                if let id = tasks.randomElement(using: &rng) {
                    let agent = rng.next() % 4 == 0 ? "nobody" : pick(agents)
                    try await s.append(NewEvent(stream: SwarmEvents.taskStream(id), kind: SwarmEvents.taskAssigned,
                                                payload: Array(#"{"task":"\#(id)","agent":"\#(agent)"}"#.utf8), timeMicroseconds: now))
                }
            case 10:
                // Releases appended raw: on a task in any state, or naming a task on another stream (ignored).
                if let id = tasks.randomElement(using: &rng) {
                    let stream = rng.next() % 4 == 0 ? SwarmEvents.taskStream("elsewhere") : SwarmEvents.taskStream(id)
                    let (kind, payload) = pick([(SwarmEvents.taskCompleted, #"{"task":"\#(id)","success":true,"durationMilliseconds":10}"#),
                                                (SwarmEvents.taskRequeued, #"{"task":"\#(id)"}"#),
                                                (SwarmEvents.taskFailed, #"{"task":"\#(id)"}"#)])
                    try await s.append(NewEvent(stream: stream, kind: kind, payload: Array(payload.utf8), timeMicroseconds: now))
                }
            default:
                try await s.append(NewEvent(stream: "not-swarm/\(step % 3)", kind: "note", payload: Array(#"{"n":1}"#.utf8), timeMicroseconds: now))
            }
            if rng.next() % 3 == 0 {
                let needs = [(type: pick(types), required: [pick(capabilities)]), (type: pick(types), required: [])]
                let (cached, full) = try rosters(s, needs: needs, now: now)
                assertSame(cached, full, "after step \(step)")
                checks += 1
            }
        }
        let stats = s.rosterStatistics
        XCTAssertGreaterThan(checks, 100)
        XCTAssertGreaterThan(stats.refreshes, stats.loads * 4, "most windows were brought forward: \(stats)")

        // Decisions from the cached roster equal those of a fresh handle.
        let probes = try s.tasks(in: .queued, limit: 20).map(\.id)
        let cached = try probes.map { try s.explainAssignment($0, limit: 100, at: at(time)) }
        try t.reopen()
        XCTAssertEqual(try probes.map { try t.store.explainAssignment($0, limit: 100, at: at(time)) }, cached)
    }

    func test_concurrentDecisionsAndWritesStayConsistent() async throws {
        let t = try SwarmTestStore()
        let s = t.store
        for i in 0..<20 { try await s.registerAgent("a\(i)", capabilities: ["swift"], capacity: 3, at: at(0)) }
        for i in 0..<200 { try await s.createTask("t\(i)", type: "review", requires: ["swift"], at: at(1)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<4 {
                group.addTask {
                    for i in stride(from: w, to: 200, by: 4) {
                        if let o = try? await s.assign("t\(i)", seed: UInt64(i), at: at(2)), o.isAssigned, i % 3 != 0 {
                            try await s.completeTask("t\(i)", success: i % 2 == 0, durationMilliseconds: 10, at: at(3))
                        }
                        _ = try s.explainAssignment("t\(i)", at: at(3))
                    }
                }
            }
            try await group.waitForAll()
        }
        let (cached, full) = try rosters(s, needs: [(type: "review", required: ["swift"])], now: at(3))
        assertSame(cached, full, "after concurrent work")
        let loads = try s.swarmSummary(limit: 50, at: at(3)).agents.map(\.load).reduce(0, +)
        XCTAssertEqual(loads, try s.tasks(in: .assigned, limit: 1_000).count)
    }
}
