import ColonyStore
import ColonySwarm
import XCTest

/// Random ballots, with a fixed seed, checked against a brute-force recount.
final class ConsensusPropertyTests: XCTestCase {
    /// Pure: the O(1) tally against the recount, 5,000 random elections.
    func test_tallyAgreesWithABruteForceRecountOverRandomBallots() {
        var rng = SplitMix64(seed: 2026)
        func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
        var decidedEarly = 0, unreachable = 0, noQuorum = 0, noDecision = 0
        for _ in 0..<5_000 {
            let options = int(2...4)
            let n = int(1...9)
            var weights: [String: UInt64] = [:]
            for v in 0..<n { weights["v\(v)"] = UInt64(int(1...1_000_000)) }
            let rule = DecisionRule.allCases[int(0...3)]
            let quorum = int(1...n)
            let change = Bool.random(using: &rng)
            var oracle = ConsensusOracle(options: options, voters: weights, quorum: quorum, rule: rule, allowsVoteChange: change, deadline: 100)
            var tally = Tally(options: options, eligibleVoters: UInt64(n), eligibleWeight: weights.values.reduce(0, +))
            var ballots: [String: Int] = [:]
            var status = ProposalStatus.open
            var winner: Int?
            for step in 0..<int(0...20) {
                let voter = "v\(int(0...n))"  // v<n> is not eligible
                let option = int(0...(options - 1))
                let time = Int64(step * 7)
                let counted = oracle.vote(voter, option, at: time)
                // The projection's rules, on the O(1) tally.
                guard status == .open, time <= 100, let w = weights[voter] else { XCTAssertFalse(counted); continue }
                let previous = ballots[voter]
                if previous != nil, !change { XCTAssertFalse(counted); continue }
                if let previous, previous == option { XCTAssertTrue(counted); continue }
                XCTAssertTrue(counted)
                tally.record(option: option, weight: w, replacing: previous)
                ballots[voter] = option
                (status, winner) = tally.statusWhileOpen(rule: rule, quorum: UInt64(quorum), allowsVoteChange: change)
                XCTAssertEqual(status, oracle.status, "rule \(rule) quorum \(quorum) of \(n) change \(change) ballots \(ballots)")
                XCTAssertEqual(winner, oracle.winner)
                XCTAssertEqual(tally.counts.map { Int($0) }, oracle.counts)
            }
            if status == .open {
                (status, winner) = tally.statusAtDeadline(rule: rule, quorum: UInt64(quorum))
                oracle.close(at: 100)
                XCTAssertEqual(status, oracle.status, "at deadline: rule \(rule) quorum \(quorum) ballots \(ballots)")
                XCTAssertEqual(winner, oracle.winner)
                if status == .noQuorum { noQuorum += 1 } else if status == .noDecision { noDecision += 1 }
            } else if status == .decided { decidedEarly += 1 } else { unreachable += 1 }
        }
        // The generator reaches every outcome.
        XCTAssertGreaterThan(decidedEarly, 100)
        XCTAssertGreaterThan(unreachable, 10)
        XCTAssertGreaterThan(noQuorum, 100)
        XCTAssertGreaterThan(noDecision, 50)
    }

    /// Through the store: votes as events, the view's tally against the recount, weights from success rates.
    func test_storedTallyAgreesWithABruteForceRecount() async throws {
        let t = try SwarmTestStore()
        let s = t.store
        let agents = (0..<10).map { "agent\($0)" }
        for (i, a) in agents.enumerated() {
            // A capability of its own, so its tasks can only go to it (assign draws among the capable).
            try await s.registerAgent(a, capabilities: ["only-\(a)"], capacity: 1, at: at(0))
            // Agent i has i completions, the even ones successful: different success rates, different weights.
            for j in 0..<i {
                try await s.createTask("\(a)-t\(j)", type: "x", requires: ["only-\(a)"], at: at(0))
                try await s.assign("\(a)-t\(j)", at: at(0))
                if j % 2 == 0 || i % 3 == 0 {
                    try await s.completeTask("\(a)-t\(j)", success: true, durationMilliseconds: 1, at: at(0))
                } else {
                    try await s.failTask("\(a)-t\(j)", at: at(0))
                }
            }
        }
        var weights: [String: UInt64] = [:]
        for a in agents { weights[a] = UInt64((try s.agent(a, at: at(0)).successRate * 1_000_000).rounded()) }
        XCTAssertGreaterThan(Set(weights.values).count, 4)
        var rng = SplitMix64(seed: 7)
        func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
        for p in 0..<120 {
            let voters = Array(agents.shuffled(using: &rng).prefix(int(1...7)))
            let options = (0..<int(2...3)).map { "o\($0)" }
            let rule = DecisionRule.allCases[p % 4]
            let quorum = int(1...voters.count)
            let change = Bool.random(using: &rng)
            let deadline = at(Double(1_000 + p * 100 + 50))
            let id = "p\(p)"
            try await s.openProposal(ProposalDefinition(id: id, options: options, voters: voters, quorum: quorum, rule: rule,
                                                        deadlineMicroseconds: deadline, allowsVoteChange: change), at: at(Double(1_000 + p * 100)))
            var oracle = ConsensusOracle(options: options.count, voters: weights.filter { voters.contains($0.key) }, quorum: quorum,
                                         rule: rule, allowsVoteChange: change, deadline: deadline)
            for step in 0..<int(0...9) {
                let voter = agents[int(0...agents.count - 1)]
                let option = int(0...options.count - 1)
                let time = at(Double(1_000 + p * 100 + step * 7))  // steps past 7 are after the deadline
                let counted = oracle.vote(voter, option, at: time)
                do {
                    try await s.castVote(proposal: id, agent: voter, option: options[option], at: time)
                    XCTAssertTrue(counted, "the store took a vote the recount refuses")
                } catch let e as SwarmError {
                    XCTAssertFalse(counted, "the store refused a vote the recount takes: \(e)")
                }
            }
            let wasOpen = oracle.status == .open
            let closed = try await s.closeExpiredProposals(now: deadline)
            oracle.close(at: deadline)
            XCTAssertEqual(closed.map(\.id), wasOpen ? [id] : [], "closed by the deadline event only if still open")
            let info = try s.proposal(id)
            XCTAssertEqual(info.status, oracle.status, "\(id) \(rule) quorum \(quorum) of \(voters.count) change \(change)")
            XCTAssertEqual(info.winner, oracle.winner.map { options[$0] })
            XCTAssertEqual(info.options.map(\.votes), oracle.counts)
        }
        let live = try t.dumpSwarmView()
        try s.rebuild(view: "swarm")
        XCTAssertEqual(try t.dumpSwarmView(), live, "tallies rebuilt from the log are byte for byte the live ones")
    }
}
