import ColonyStore
import ColonySwarm
import XCTest

final class ProposalTests: XCTestCase {
    private func storeWithVoters(_ n: Int = 3) async throws -> SwarmTestStore {
        let t = try SwarmTestStore()
        for i in 0..<n { try await t.store.registerAgent("a\(i)", capabilities: [], at: at(0)) }
        return t
    }

    private func open(_ t: SwarmTestStore, rule: DecisionRule = .majority, quorum: Int = 1, change: Bool = false) async throws {
        try await t.store.openProposal(ProposalDefinition(id: "p", title: "Ship?", options: ["yes", "no"], voters: ["a0", "a1", "a2"],
                                                          quorum: quorum, rule: rule, deadlineMicroseconds: at(100), allowsVoteChange: change),
                                       at: at(1))
    }

    func test_majorityIsDecidedAsSoonAsItCannotBeUndone() async throws {
        let t = try await storeWithVoters()
        try await open(t)
        let r1 = try await t.store.castVote(proposal: "p", agent: "a0", option: "yes", at: at(2))
        XCTAssertEqual(r1.status, .open)
        let p = try await t.store.castVote(proposal: "p", agent: "a1", option: "yes", at: at(3))
        XCTAssertEqual(p.status, .decided)
        XCTAssertEqual(p.winner, "yes")
        XCTAssertEqual(p.closedMicroseconds, at(3))
        await XCTAssertThrowsSwarmError(.proposalClosed(proposalID: "p", outcome: "decided")) {
            try await t.store.castVote(proposal: "p", agent: "a2", option: "no", at: at(4))
        }
    }

    func test_unanimityFailsAsSoonAsOneVoteDissents() async throws {
        let t = try await storeWithVoters()
        try await open(t, rule: .unanimous)
        try await t.store.castVote(proposal: "p", agent: "a0", option: "yes", at: at(2))
        let r2 = try await t.store.castVote(proposal: "p", agent: "a1", option: "no", at: at(3))
        XCTAssertEqual(r2.status, .unreachable)
    }

    func test_ineligibleVoterUnknownOptionAndSecondVoteAreRefused() async throws {
        let t = try await storeWithVoters(4)
        try await open(t)
        await XCTAssertThrowsSwarmError(.ineligibleVoter(proposalID: "p", agentID: "a3")) {
            try await t.store.castVote(proposal: "p", agent: "a3", option: "yes", at: at(2))
        }
        await XCTAssertThrowsSwarmError(.unknownOption(proposalID: "p", option: "maybe")) {
            try await t.store.castVote(proposal: "p", agent: "a0", option: "maybe", at: at(2))
        }
        await XCTAssertThrowsSwarmError(.unknownProposal("q")) { try await t.store.castVote(proposal: "q", agent: "a0", option: "yes") }
        try await t.store.castVote(proposal: "p", agent: "a0", option: "yes", at: at(2))
        await XCTAssertThrowsSwarmError(.voteAlreadyCast(proposalID: "p", agentID: "a0")) {
            try await t.store.castVote(proposal: "p", agent: "a0", option: "no", at: at(3))
        }
    }

    func test_aChangedVoteReplacesTheEarlierOneWhenAllowed() async throws {
        let t = try await storeWithVoters()
        try await open(t, quorum: 3, change: true)
        try await t.store.castVote(proposal: "p", agent: "a0", option: "yes", at: at(2))
        let p = try await t.store.castVote(proposal: "p", agent: "a0", option: "no", at: at(3))
        XCTAssertEqual(p.options.map(\.votes), [0, 1])
        XCTAssertEqual(p.votesCast, 1)
    }

    func test_voteAfterTheDeadlineIsRefusedAndTheCloseIsAnEvent() async throws {
        let t = try await storeWithVoters()
        try await open(t, quorum: 2)
        try await t.store.castVote(proposal: "p", agent: "a0", option: "yes", at: at(2))
        await XCTAssertThrowsSwarmError(.proposalClosed(proposalID: "p", outcome: "deadline passed")) {
            try await t.store.castVote(proposal: "p", agent: "a1", option: "yes", at: at(101))
        }
        let r3 = try await t.store.closeExpiredProposals(now: at(99))
        XCTAssertEqual(r3, [], "not due yet")
        let closed = try await t.store.closeExpiredProposals(now: at(101))
        XCTAssertEqual(closed.map(\.status), [.noQuorum])
        XCTAssertEqual(try t.store.readStream(SwarmEvents.proposalStream("p")).last?.kind, SwarmEvents.proposalClosed)
        let r4 = try await t.store.closeExpiredProposals(now: at(102))
        XCTAssertEqual(r4, [], "closed once")
    }

    func test_atTheDeadlineTheRuleAppliesToTheVotesCast() async throws {
        let t = try await storeWithVoters()
        try await open(t, rule: .twoThirds, quorum: 2)
        try await t.store.castVote(proposal: "p", agent: "a0", option: "yes", at: at(2))
        try await t.store.castVote(proposal: "p", agent: "a1", option: "yes", at: at(3))
        XCTAssertEqual(try t.store.proposal("p").status, .decided, "2 of 3 is two thirds of the electorate")
        let t2 = try await storeWithVoters()
        try await open(t2, rule: .twoThirds, quorum: 2)
        try await t2.store.castVote(proposal: "p", agent: "a0", option: "yes", at: at(2))
        try await t2.store.castVote(proposal: "p", agent: "a1", option: "no", at: at(3))
        let closed = try await t2.store.closeExpiredProposals(now: at(100))
        XCTAssertEqual(closed.first?.status, .noDecision, "a tie never wins")
    }

    func test_badProposalsAreRefused() async throws {
        let t = try await storeWithVoters()
        func def(options: [String] = ["y", "n"], voters: [String] = ["a0"], quorum: Int = 1, deadline: Int64 = at(100)) -> ProposalDefinition {
            ProposalDefinition(id: "p", options: options, voters: voters, quorum: quorum, deadlineMicroseconds: deadline)
        }
        await XCTAssertThrowsSwarmError(.parameterOutOfRange(name: "options", value: "1 (1 distinct)", allowed: "2...16 distinct options")) {
            try await t.store.openProposal(def(options: ["y"]), at: at(1))
        }
        await XCTAssertThrowsSwarmError(.parameterOutOfRange(name: "quorum", value: "2", allowed: "1...1")) {
            try await t.store.openProposal(def(quorum: 2), at: at(1))
        }
        await XCTAssertThrowsSwarmError(.unknownAgent("zz")) { try await t.store.openProposal(def(voters: ["zz"]), at: at(1)) }
        await XCTAssertThrowsSwarmError(.parameterOutOfRange(name: "deadlineMicroseconds", value: "\(at(0))", allowed: "after \(at(1))")) {
            try await t.store.openProposal(def(deadline: at(0)), at: at(1))
        }
        XCTAssertEqual(try t.store.headPosition(), 3, "only the registrations")
        try await t.store.openProposal(def(), at: at(1))
        await XCTAssertThrowsSwarmError(.proposalAlreadyExists("p")) { try await t.store.openProposal(def(), at: at(1)) }
    }

    func test_weightedVotesCountEachVotersSuccessRate() async throws {
        // a0 succeeds 3 times: rate (3+1)/(3+2) = 0.8; a1 and a2 stay at 0.5.
        let s = try SwarmTestStore()
        for i in 0..<3 { try await s.store.registerAgent("a\(i)", capabilities: ["c\(i)"], capacity: 1, at: at(0)) }
        for j in 0..<3 {
            try await s.store.createTask("t\(j)", type: "x", requires: ["c0"], at: at(0))
            try await s.store.assign("t\(j)", at: at(0))
            try await s.store.completeTask("t\(j)", success: true, durationMilliseconds: 1, at: at(0))
        }
        try await open(s, rule: .weighted, quorum: 1)
        XCTAssertEqual(try s.store.proposal("p").eligibleWeight, 800_000 + 500_000 + 500_000)
        let p = try await s.store.castVote(proposal: "p", agent: "a0", option: "yes", at: at(2))
        XCTAssertEqual(p.status, .open, "0.8 of 1.8 is not more than half")
        let p2 = try await s.store.castVote(proposal: "p", agent: "a1", option: "yes", at: at(3))
        XCTAssertEqual(p2.status, .decided)
        XCTAssertEqual(p2.options[0].weight, 1_300_000)
    }
}
