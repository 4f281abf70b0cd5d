/// How a proposal's votes decide it.
///
/// While the proposal is open, an option wins as soon as its votes meet the
/// rule against the whole electorate (so no later vote could undo it) and the
/// quorum of votes has been cast. At the deadline, the rule is applied to the
/// votes cast instead. A tie never wins.
public enum DecisionRule: String, Sendable, Codable, CaseIterable {
    /// More than half of the votes (of the electorate while open; of the votes cast at the deadline).
    case majority
    /// At least two thirds of the votes.
    case twoThirds
    /// Every vote.
    case unanimous
    /// More than half of the weight, each voter weighing its success rate when the proposal opened.
    case weighted

    var code: UInt8 {
        switch self {
        case .majority: return 0
        case .twoThirds: return 1
        case .unanimous: return 2
        case .weighted: return 3
        }
    }

    init?(code: UInt8) {
        switch code {
        case 0: self = .majority
        case 1: self = .twoThirds
        case 2: self = .unanimous
        case 3: self = .weighted
        default: return nil
        }
    }

    /// Whether `votes` (a count or a weight) out of `total` meet the rule.
    @inlinable
    public func isMet(votes: UInt64, of total: UInt64) -> Bool {
        guard total > 0, votes > 0 else { return false }
        switch self {
        case .majority, .weighted: return 2 * votes > total
        case .twoThirds: return 3 * votes >= 2 * total
        case .unanimous: return votes == total
        }
    }
}
