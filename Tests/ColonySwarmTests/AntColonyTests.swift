import ColonySwarm
import XCTest

final class AntColonyTests: XCTestCase {
    func test_probabilitiesAreProportionalToTauAlphaTimesEtaBeta() {
        let colony = AntColony(alpha: 1, beta: 2)
        let candidates = [AssignmentCandidate(agentID: "a", trail: 2, heuristic: 1),
                          AssignmentCandidate(agentID: "b", trail: 1, heuristic: 0.5),
                          AssignmentCandidate(agentID: "c", trail: 4, heuristic: 0.5)]
        let e = colony.explain(candidates)
        // weights 2, 0.25, 1
        XCTAssertEqual(e.map(\.weight), [2, 0.25, 1])
        XCTAssertEqual(e[0].probability, 2 / 3.25, accuracy: 1e-12)
        XCTAssertEqual(e.map(\.probability).reduce(0, +), 1, accuracy: 1e-12)
    }

    func test_choicesFollowTheProbabilitiesOverManyDraws() {
        let colony = AntColony(alpha: 1, beta: 2)
        let candidates = [AssignmentCandidate(agentID: "a", trail: 2, heuristic: 1),
                          AssignmentCandidate(agentID: "b", trail: 1, heuristic: 0.5),
                          AssignmentCandidate(agentID: "c", trail: 4, heuristic: 0.5)]
        var rng = SplitMix64(seed: 1)
        var counts = [0, 0, 0]
        let n = 100_000
        for _ in 0..<n { counts[colony.choose(candidates, using: &rng)!.index] += 1 }
        let expected = colony.explain(candidates).map(\.probability)
        for i in 0..<3 { XCTAssertEqual(Double(counts[i]) / Double(n), expected[i], accuracy: 0.01) }
    }

    func test_sameSeedSameChoice() {
        let colony = AntColony(alpha: 1.3, beta: 0.7)
        let candidates = (0..<50).map { AssignmentCandidate(agentID: "a\($0)", trail: Double($0 % 7) + 0.1, heuristic: Double($0 % 5 + 1) / 5) }
        for seed in 0..<100 as Range<UInt64> {
            var r1 = SplitMix64(seed: seed), r2 = SplitMix64(seed: seed)
            XCTAssertEqual(colony.choose(candidates, using: &r1)?.index, colony.choose(candidates, using: &r2)?.index)
        }
    }

    func test_noCandidatesNoChoice_allZeroWeightsChooseUniformly() {
        let colony = AntColony(alpha: 1, beta: 2)
        var rng = SplitMix64(seed: 3)
        XCTAssertNil(colony.choose([], using: &rng))
        let zeros = (0..<4).map { AssignmentCandidate(agentID: "a\($0)", trail: 1, heuristic: 0) }
        let pick = colony.choose(zeros, using: &rng)
        XCTAssertEqual(pick?.probability, 0.25)
    }

    func test_derivedSeedsDiffer() {
        XCTAssertEqual(Set((0..<1000).map { SplitMix64.derive(42, index: $0) }).count, 1000)
    }
}
