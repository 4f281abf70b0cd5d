import ColonySwarm

/// A brute-force model of a proposal, recounting every ballot from scratch after each vote,
/// written independently of `Tally` to check it.
struct ConsensusOracle {
    let options: Int
    let voters: [String: UInt64]  // voter → weight
    let quorum: Int
    let rule: DecisionRule
    let allowsVoteChange: Bool
    let deadline: Int64
    private(set) var ballots: [String: Int] = [:]
    private(set) var status: ProposalStatus = .open
    private(set) var winner: Int?

    init(options: Int, voters: [String: UInt64], quorum: Int, rule: DecisionRule, allowsVoteChange: Bool, deadline: Int64) {
        self.options = options
        self.voters = voters
        self.quorum = quorum
        self.rule = rule
        self.allowsVoteChange = allowsVoteChange
        self.deadline = deadline
    }

    /// Whether `share` of `total` meets the rule, in plain fractions.
    private func meets(_ share: Double, _ total: Double) -> Bool {
        guard share > 0, total > 0 else { return false }
        switch rule {
        case .majority, .weighted: return share > total / 2
        case .twoThirds: return share >= total * 2 / 3
        case .unanimous: return share == total
        }
    }

    private func share(_ option: Int) -> Double {
        ballots.filter { $0.value == option }.map { rule == .weighted ? Double(voters[$0.key]!) : 1 }.reduce(0, +)
    }

    private var electorate: Double { rule == .weighted ? Double(voters.values.reduce(0, +)) : Double(voters.count) }
    private var cast: Double { ballots.keys.map { rule == .weighted ? Double(voters[$0]!) : 1 }.reduce(0, +) }

    /// Applies a vote attempt; returns whether it was accepted (repeating one's own vote, where
    /// changes are allowed, is accepted and changes nothing).
    @discardableResult
    mutating func vote(_ voter: String, _ option: Int, at time: Int64) -> Bool {
        guard status == .open, time <= deadline, voters[voter] != nil else { return false }
        if let previous = ballots[voter] {
            guard allowsVoteChange else { return false }
            if previous == option { return true }
        }
        ballots[voter] = option
        for o in 0..<options where ballots.count >= quorum && meets(share(o), electorate) {
            status = .decided
            winner = o
            return true
        }
        let uncast = electorate - cast
        let reachable = (0..<options).contains { o in meets(allowsVoteChange ? electorate : share(o) + uncast, electorate) }
        if !reachable { status = .unreachable }
        return true
    }

    mutating func close(at time: Int64) {
        guard status == .open, time >= deadline else { return }
        guard ballots.count >= quorum, !ballots.isEmpty else { status = .noQuorum; return }
        for o in 0..<options where meets(share(o), cast) {
            status = .decided
            winner = o
            return
        }
        status = .noDecision
    }

    var counts: [Int] { (0..<options).map { o in ballots.values.filter { $0 == o }.count } }
}
