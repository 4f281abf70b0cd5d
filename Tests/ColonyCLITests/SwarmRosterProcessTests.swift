import ColonyContext
import ColonyStore
import ColonySwarm
import Foundation
import XCTest

/// A store handle keeps a decoded roster of the swarm's agents between decisions (ColonySwarm's
/// RosterCache); another process writing the same store must be seen by the next decision.
final class SwarmRosterProcessTests: CLITestCase {
    private let t0: Int64 = 1_800_000_000_000_000

    private func line(_ stream: String, _ kind: String, _ payload: String, _ time: Int64) -> String {
        #"{"id":"\#(UUID().uuidString.lowercased())","time_us":\#(time),"stream":"\#(stream)","kind":"\#(kind)","payload":\#(payload)}"#
    }

    func test_aDecisionSeesWhatAnotherProcessWroteSinceTheLastOne() async throws {
        // The projections `colony` opens a store with, so both processes keep both views.
        var store = try Colony.open(at: path("s"), extra: [SwarmProjection()])
        defer { store.close() }
        for id in ["a1", "a2", "a3"] { try await store.registerAgent(id, capabilities: ["swift"], capacity: 1, at: t0) }
        try await store.createTask("t", type: "review", requires: ["swift"], at: t0 + 1)
        XCTAssertEqual(try store.explainAssignment("t", at: t0 + 2).candidates.map(\.agentID).sorted(), ["a1", "a2", "a3"])

        // Another process: retires a2, registers a4, gives a3 a task.
        let lines = [
            line("swarm:agent/a2", "agent.retired", #"{"agent":"a2"}"#, t0 + 3),
            line("swarm:agent/a4", "agent.registered", #"{"agent":"a4","capabilities":["swift"],"capacity":1}"#, t0 + 3),
            line("swarm:task/busy", "task.created", #"{"task":"busy","type":"review","requires":["swift"],"priority":0}"#, t0 + 3),
            line("swarm:task/busy", "task.assigned", #"{"task":"busy","agent":"a3"}"#, t0 + 3),
        ]
        let run = try colony(["import", "--store", path("s"), "-"], stdin: Array((lines.joined(separator: "\n") + "\n").utf8))
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.output, "imported 4, duplicates 0, lines 4, batches 1\n")

        let after = try store.explainAssignment("t", at: t0 + 4)
        XCTAssertEqual(after.candidates.map(\.agentID).sorted(), ["a1", "a4"])
        XCTAssertEqual(store.rosterStatistics.loads, 1, "brought forward from the other process's events, not read in full")
        XCTAssertEqual(store.rosterStatistics.refreshes, 1)

        // The other process completes a3's task: a3 is back, with a trail.
        let done = line("swarm:task/busy", "task.completed", #"{"task":"busy","success":true,"durationMilliseconds":20}"#, t0 + 5)
        XCTAssertEqual(try colony(["import", "--store", path("s"), "-"], stdin: Array((done + "\n").utf8)).status, 0)
        let back = try store.explainAssignment("t", at: t0 + 6)
        XCTAssertEqual(back.candidates.map(\.agentID).sorted(), ["a1", "a3", "a4"])
        XCTAssertNotEqual(back.candidates.first { $0.agentID == "a3" }?.trail, SwarmConfiguration().trailInitial)

        // A fresh handle, reading everything in full, explains the same.
        store.close()
        store = try Colony.open(at: path("s"), extra: [SwarmProjection()])
        XCTAssertEqual(try store.explainAssignment("t", at: t0 + 6), back)
    }
}
