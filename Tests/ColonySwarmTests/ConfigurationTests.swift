import ColonyStore
import ColonySwarm
import XCTest

final class ConfigurationTests: XCTestCase {
    func test_defaultsAreAlphaOneBetaTwoRhoOneTenth() async throws {
        let t = try SwarmTestStore()
        let c = try t.store.swarmConfiguration()
        XCTAssertEqual([c.alpha, c.beta, c.rho], [1, 2, 0.1])
    }

    func test_configurationIsAnEventAndSurvivesRebuild() async throws {
        let t = try SwarmTestStore()
        let c = SwarmConfiguration(alpha: 1.5, beta: 0.5, rho: 0.25, deposit: 2, trailMinimum: 0.01, trailMaximum: 5, trailInitial: 0.5)
        try await t.store.configureSwarm(c)
        XCTAssertEqual(try t.store.swarmConfiguration(), c)
        XCTAssertEqual(try t.store.readStream(SwarmEvents.configStream).map(\.kind), [SwarmEvents.swarmConfigured])
        try t.store.rebuild(view: "swarm")
        XCTAssertEqual(try t.store.swarmConfiguration(), c)
    }

    func test_parametersOutOfRangeAreRefusedWithTheirName() async throws {
        let t = try SwarmTestStore()
        let cases: [(SwarmConfiguration, String)] = [
            (SwarmConfiguration(alpha: -1), "alpha"),
            (SwarmConfiguration(beta: 11), "beta"),
            (SwarmConfiguration(rho: 0), "rho"),
            (SwarmConfiguration(rho: 1), "rho"),
            (SwarmConfiguration(deposit: 0), "deposit"),
            (SwarmConfiguration(trailMinimum: 0), "trailMinimum"),
            (SwarmConfiguration(trailMinimum: 1, trailMaximum: 1), "trailMaximum"),
            (SwarmConfiguration(trailInitial: 100), "trailInitial"),
            (SwarmConfiguration(timeUnitMicroseconds: 0), "timeUnitMicroseconds"),
            (SwarmConfiguration(heartbeatTimeoutMicroseconds: -5), "heartbeatTimeoutMicroseconds"),
            (SwarmConfiguration(alpha: .nan), "alpha"),
        ]
        for (config, name) in cases {
            do {
                try await t.store.configureSwarm(config)
                XCTFail("\(name) accepted")
            } catch SwarmError.parameterOutOfRange(let n, _, _) {
                XCTAssertEqual(n, name)
            }
        }
        XCTAssertEqual(try t.store.headPosition(), 0)
    }
}
