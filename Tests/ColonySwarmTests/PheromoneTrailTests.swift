import ColonySwarm
import Foundation
import XCTest

final class PheromoneTrailTests: XCTestCase {
    let config = SwarmConfiguration()  // ρ = 0.1 per minute, τ in [0.1, 10]
    let minute: Int64 = 60_000_000

    func test_strengthEvaporatesByOneMinusRhoPerTimeUnit() {
        let trail = PheromoneTrail(strength: 5, touchedMicroseconds: 0)
        XCTAssertEqual(trail.strength(at: 0, config: config), 5)
        XCTAssertEqual(trail.strength(at: minute, config: config), 4.5, accuracy: 1e-12)
        XCTAssertEqual(trail.strength(at: 3 * minute, config: config), 5 * pow(0.9, 3), accuracy: 1e-12)
        XCTAssertEqual(trail.strength(at: minute / 2, config: config), 5 * pow(0.9, 0.5), accuracy: 1e-12, "fractional units")
    }

    func test_strengthNeverFallsBelowTheMinimumNorRisesAboveTheMaximum() {
        var trail = PheromoneTrail(strength: 5, touchedMicroseconds: 0)
        XCTAssertEqual(trail.strength(at: 10_000 * minute, config: config), config.trailMinimum)
        for i in 0..<100 { trail.deposit(1_000, at: Int64(i), config: config) }
        XCTAssertEqual(trail.strength, config.trailMaximum)
    }

    func test_depositEvaporatesFirstThenAdds() {
        var trail = PheromoneTrail(strength: 5, touchedMicroseconds: 0)
        trail.deposit(1, at: minute, config: config)
        XCTAssertEqual(trail.strength, 5.5, accuracy: 1e-12)
        XCTAssertEqual(trail.touchedMicroseconds, minute)
    }

    func test_aTimeBeforeTheLastTouchEvaporatesNothing() {
        var trail = PheromoneTrail(strength: 5, touchedMicroseconds: minute)
        XCTAssertEqual(trail.strength(at: 0, config: config), 5)
        trail.deposit(1, at: 0, config: config)
        XCTAssertEqual(trail.strength, 6)
        XCTAssertEqual(trail.touchedMicroseconds, minute, "time never moves back")
    }

    func test_readingDoesNotChangeTheTrail() {
        let trail = PheromoneTrail(strength: 5, touchedMicroseconds: 0)
        _ = trail.strength(at: 100 * minute, config: config)
        XCTAssertEqual(trail, PheromoneTrail(strength: 5, touchedMicroseconds: 0))
    }
}
