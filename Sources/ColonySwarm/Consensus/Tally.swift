/// The running count of a proposal's votes: per option, the number of votes and
/// their total weight, updated in O(1) per vote (O(options), a small constant
/// bounded by `ProposalDefinition.maxOptions`), never recounted.
///
/// Weights are integers (success rate × 1,000,000) so sums are exact and the
/// same whatever the order of additions and removals.
///
/// ```swift
/// var tally = Tally(options: 2, eligibleVoters: 3, eligibleWeight: 3_000_000)
/// tally.record(option: 0, weight: 1_000_000, replacing: nil)
/// let status = tally.statusWhileOpen(rule: .majority, quorum: 2, allowsVoteChange: false)
/// ```
public struct Tally: Sendable, Equatable {
    /// Votes per option.
    public internal(set) var counts: [UInt64]
    /// Weight per option.
    public internal(set) var weights: [UInt64]
    /// Voters who have cast a vote (a changed vote counts once).
    public internal(set) var votesCast: UInt64
    /// The weight of the voters who have cast a vote.
    public internal(set) var weightCast: UInt64
    /// Voters allowed to vote.
    public let eligibleVoters: UInt64
    /// Their total weight.
    public let eligibleWeight: UInt64

    public init(options: Int, eligibleVoters: UInt64, eligibleWeight: UInt64) {
        counts = Array(repeating: 0, count: options)
        weights = Array(repeating: 0, count: options)
        votesCast = 0
        weightCast = 0
        self.eligibleVoters = eligibleVoters
        self.eligibleWeight = eligibleWeight
    }

    init(counts: [UInt64], weights: [UInt64], votesCast: UInt64, weightCast: UInt64, eligibleVoters: UInt64, eligibleWeight: UInt64) {
        self.counts = counts
        self.weights = weights
        self.votesCast = votesCast
        self.weightCast = weightCast
        self.eligibleVoters = eligibleVoters
        self.eligibleWeight = eligibleWeight
    }

    /// Records a voter's vote for `option`, taking back its earlier vote `previous` if it had one.
    public mutating func record(option: Int, weight: UInt64, replacing previous: Int?) {
        if let previous {
            counts[previous] -= 1
            weights[previous] -= weight
        } else {
            votesCast += 1
            weightCast += weight
        }
        counts[option] += 1
        weights[option] += weight
    }

    private func measure(_ rule: DecisionRule, _ option: Int) -> UInt64 {
        rule == .weighted ? weights[option] : counts[option]
    }

    /// While open: `.decided` with the winning option once an option meets the rule against the
    /// electorate and `quorum` votes are in; `.unreachable` once no option can meet it any more;
    /// otherwise `.open`.
    public func statusWhileOpen(rule: DecisionRule, quorum: UInt64, allowsVoteChange: Bool) -> (ProposalStatus, Int?) {
        let total = rule == .weighted ? eligibleWeight : eligibleVoters
        let uncast = rule == .weighted ? eligibleWeight - weightCast : eligibleVoters - votesCast
        var reachable = false
        for option in counts.indices {
            let have = measure(rule, option)
            if votesCast >= quorum && rule.isMet(votes: have, of: total) { return (.decided, option) }
            // The most this option could still get: every uncast vote, and with changes every vote.
            let most = allowsVoteChange ? total : have + uncast
            if rule.isMet(votes: most, of: total) { reachable = true }
        }
        return reachable ? (.open, nil) : (.unreachable, nil)
    }

    /// At the deadline: `.noQuorum` below the quorum, else the option meeting the rule against the
    /// votes cast (`.decided`), else `.noDecision`.
    public func statusAtDeadline(rule: DecisionRule, quorum: UInt64) -> (ProposalStatus, Int?) {
        guard votesCast >= quorum, votesCast > 0 else { return (.noQuorum, nil) }
        let total = rule == .weighted ? weightCast : votesCast
        for option in counts.indices where rule.isMet(votes: measure(rule, option), of: total) { return (.decided, option) }
        return (.noDecision, nil)
    }
}
