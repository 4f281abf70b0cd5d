/// Where a proposal stands.
public enum ProposalStatus: String, Sendable, Codable, CaseIterable {
    /// Votes are being taken.
    case open
    /// An option met the rule (with the quorum); see `winner`.
    case decided
    /// No option can meet the rule any more, whatever the remaining votes; closed early.
    case unreachable
    /// Closed at the deadline with fewer votes than the quorum.
    case noQuorum
    /// Closed at the deadline with the quorum but no option meeting the rule (a tie, a split).
    case noDecision

    var code: UInt8 {
        switch self {
        case .open: return 0
        case .decided: return 1
        case .unreachable: return 2
        case .noQuorum: return 3
        case .noDecision: return 4
        }
    }

    init?(code: UInt8) {
        guard let s = ProposalStatus.allCases.first(where: { $0.code == code }) else { return nil }
        self = s
    }

    /// Whether votes are still taken.
    public var isOpen: Bool { self == .open }
}
