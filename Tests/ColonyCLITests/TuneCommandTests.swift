import ColonyStore
import ColonySwarm
import Foundation
import XCTest

final class TuneCommandTests: CLITestCase {
    /// A store whose history has a good, a bad and a middling agent.
    private func storeWithHistory() async throws -> String {
        let p = path("store")
        let store = try Swarm.open(at: p)
        defer { store.close() }
        let t0: Int64 = 1_800_000_000_000_000
        for a in ["good", "bad", "mid"] { try await store.registerAgent(a, capabilities: ["x"], capacity: 2, at: t0) }
        var n = 0
        for round in 0..<40 {
            let t = t0 + Int64(round) * 60_000_000
            let ids = (0..<3).map { "t\(round)-\($0)" }
            for id in ids { try await store.createTask(id, type: "work", requires: ["x"], at: t) }
            for o in try await store.assign(ids, seed: UInt64(round), at: t + 1) where o.isAssigned {
                n += 1
                try await store.completeTask(o.taskID, success: o.agentID == "good" || (o.agentID == "mid" && n % 2 == 0),
                                             durationMilliseconds: 20_000, at: t + 30_000_000)
            }
            for a in ["good", "bad", "mid"] { try await store.heartbeat(agent: a, at: t + 31_000_000) }
        }
        return p
    }

    func test_tuneIsDeterministicForASeedAndWritesNothingWithoutWrite() async throws {
        let p = try await storeWithHistory()
        let head = try ColonyStore.open(at: p).headPosition()
        let args = ["tune", "--store", p, "--seed", "3", "--particles", "4", "--iterations", "2", "--runs", "1"]
        let first = try colony(args)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.output.contains("history     120 tasks"), first.output)
        XCTAssertTrue(first.output.contains("not written"), first.output)
        XCTAssertEqual(try colony(args).output, first.output)
        let store = try ColonyStore.open(at: p)
        defer { store.close() }
        XCTAssertEqual(try store.headPosition(), head)
    }

    func test_tuneWithWriteAppendsTheConfigurationWhenItImproves() async throws {
        let p = try await storeWithHistory()
        let run = try colony(["tune", "--store", p, "--seed", "3", "--particles", "6", "--iterations", "3", "--runs", "1", "--write", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout)) as? [String: Any])
        let improvement = try XCTUnwrap(json["improvement"] as? Double)
        let store = try Swarm.open(at: p)
        defer { store.close() }
        let configured = try store.readStream(SwarmEvents.configStream)
        if improvement > 0 {
            XCTAssertEqual(configured.count, 1)
            XCTAssertEqual(json["writtenAtPosition"] as? Int, Int(configured[0].position))
            let best = try XCTUnwrap((json["result"] as? [String: Any])?["best"] as? [String: Any])
            XCTAssertEqual(try store.swarmConfiguration().alpha, try XCTUnwrap(best["alpha"] as? Double))
        } else {
            XCTAssertEqual(configured.count, 0)
        }
    }

    func test_tuneOnSomethingThatIsNotAStoreSaysSo() throws {
        let run = try colony(["tune", "--store", path("nothing")])
        XCTAssertEqual(run.status, 4, run.stderr)
        let write = try colony(["tune", "--store", path("nothing"), "--write"])
        XCTAssertEqual(write.status, 4, write.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("nothing")), "nothing created")
    }
}
