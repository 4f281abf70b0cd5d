/// A proposal with its tally, as the swarm view keeps it.
public struct ProposalInfo: Sendable, Equatable, Codable {
    /// One option's share of the votes.
    public struct OptionTally: Sendable, Equatable, Codable {
        public var option: String
        public var votes: Int
        /// Sum of the voters' weights (success rate × 1,000,000).
        public var weight: UInt64
    }

    public var id: String
    public var title: String
    public var rule: DecisionRule
    public var quorum: Int
    public var deadlineMicroseconds: Int64
    public var allowsVoteChange: Bool
    public var status: ProposalStatus
    /// The winning option, when decided.
    public var winner: String?
    public var options: [OptionTally]
    public var votesCast: Int
    public var eligibleVoters: Int
    public var eligibleWeight: UInt64
    /// When it was decided or closed.
    public var closedMicroseconds: Int64?

    init(id: String, record p: ProposalRecord) {
        self.id = id
        title = p.title
        rule = p.rule
        quorum = Int(p.quorum)
        deadlineMicroseconds = p.deadlineMicroseconds
        allowsVoteChange = p.allowsVoteChange
        status = p.status
        winner = p.winner >= 0 && p.winner < p.options.count ? p.options[p.winner] : nil
        options = p.options.indices.map { OptionTally(option: p.options[$0], votes: Int(p.tally.counts[$0]), weight: p.tally.weights[$0]) }
        votesCast = Int(p.tally.votesCast)
        eligibleVoters = Int(p.tally.eligibleVoters)
        eligibleWeight = p.tally.eligibleWeight
        closedMicroseconds = p.status == .open ? nil : p.closedMicroseconds
    }
}
