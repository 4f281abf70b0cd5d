import ColonyStore
import ColonySwarm
import XCTest

final class AgentTests: XCTestCase {
    func test_registeredAgentIsInTheViewWithItsCapabilitiesSortedAndDeduplicated() async throws {
        let t = try SwarmTestStore()
        let info = try await t.store.registerAgent("a1", capabilities: ["swift", "go", "swift"], capacity: 3, at: at(0))
        XCTAssertEqual(info.capabilities, ["go", "swift"])
        XCTAssertEqual(info.capacity, 3)
        XCTAssertEqual(info.load, 0)
        XCTAssertEqual(info.successRate, 0.5)
        XCTAssertTrue(info.alive)
    }

    func test_registeringTwiceIsRefused() async throws {
        let t = try SwarmTestStore()
        try await t.store.registerAgent("a1", capabilities: [], at: at(0))
        await XCTAssertThrowsSwarmError(.agentAlreadyRegistered("a1")) { try await t.store.registerAgent("a1", capabilities: [], at: at(1)) }
    }

    func test_badIdentifiersAndCapacityAreRefusedBeforeAppending() async throws {
        let t = try SwarmTestStore()
        await XCTAssertThrowsSwarmError(.invalidIdentifier(field: "agent id", value: "a/b", reason: "only A-Z a-z 0-9 . _ - are allowed")) {
            try await t.store.registerAgent("a/b", capabilities: [])
        }
        await XCTAssertThrowsSwarmError(.invalidIdentifier(field: "agent id", value: "", reason: "empty")) {
            try await t.store.registerAgent("", capabilities: [])
        }
        await XCTAssertThrowsSwarmError(.parameterOutOfRange(name: "capacity", value: "0", allowed: "1...10000")) {
            try await t.store.registerAgent("a", capabilities: [], capacity: 0)
        }
        XCTAssertEqual(try t.store.headPosition(), 0)
    }

    func test_heartbeatOfAnUnknownAgentIsRefused() async throws {
        let t = try SwarmTestStore()
        await XCTAssertThrowsSwarmError(.unknownAgent("ghost")) { try await t.store.heartbeat(agent: "ghost") }
    }

    func test_agentWithoutHeartbeatWithinTheTimeoutIsNotAlive() async throws {
        let t = try SwarmTestStore()
        try await t.store.registerAgent("a1", capabilities: [], at: at(0))
        XCTAssertFalse(try t.store.agent("a1", at: at(301)).alive)
        try await t.store.heartbeat(agent: "a1", at: at(290))
        XCTAssertTrue(try t.store.agent("a1", at: at(301)).alive)
    }

    func test_retiredAgentTakesNoHeartbeatAndNoTask() async throws {
        let t = try SwarmTestStore()
        try await t.store.registerAgent("a1", capabilities: [], at: at(0))
        try await t.store.retireAgent("a1", at: at(1))
        await XCTAssertThrowsSwarmError(.agentRetired("a1")) { try await t.store.heartbeat(agent: "a1", at: at(2)) }
        try await t.store.createTask("t1", type: "x", at: at(2))
        await XCTAssertThrowsSwarmError(.noEligibleAgent(taskID: "t1", required: [],
                                                         reason: "no live agent (registered, not retired, heartbeat within the timeout)")) {
            try await t.store.assign("t1", at: at(3))
        }
        XCTAssertEqual(try t.store.task("t1").state, .queued)
    }

    func test_storeWithoutTheSwarmViewSaysSo() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("colony-swarm-\(UUID().uuidString)").path
        let store = try ColonyStore.open(at: path)
        defer { store.close(); try? FileManager.default.removeItem(atPath: path) }
        await XCTAssertThrowsSwarmError(.swarmViewNotRegistered) { try await store.registerAgent("a", capabilities: []) }
    }
}
