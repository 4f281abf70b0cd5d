/// What `openProposal` needs: the question, the options, who may vote and how votes decide.
///
/// ```swift
/// let p = ProposalDefinition(id: "release-42", title: "Ship 4.2?", options: ["yes", "no"],
///                            voters: ["a1", "a2", "a3"], quorum: 2, rule: .majority,
///                            deadlineMicroseconds: now + 3_600_000_000)
/// ```
public struct ProposalDefinition: Sendable, Equatable, Codable {
    public var id: String
    public var title: String
    /// 2 ... 16 distinct options.
    public var options: [String]
    /// 1 ... 10,000 distinct registered agents.
    public var voters: [String]
    /// Votes that must be cast before anything is decided; 1 ... voters.count.
    public var quorum: Int
    public var rule: DecisionRule
    /// After this time (microseconds since the epoch) votes are refused and the proposal is closed.
    public var deadlineMicroseconds: Int64
    /// Whether a voter may change its vote while the proposal is open.
    public var allowsVoteChange: Bool

    public init(id: String, title: String = "", options: [String], voters: [String], quorum: Int = 1,
                rule: DecisionRule = .majority, deadlineMicroseconds: Int64, allowsVoteChange: Bool = false) {
        self.id = id
        self.title = title
        self.options = options
        self.voters = voters
        self.quorum = quorum
        self.rule = rule
        self.deadlineMicroseconds = deadlineMicroseconds
        self.allowsVoteChange = allowsVoteChange
    }
}
