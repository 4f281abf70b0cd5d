/// What the swarm view keeps about one proposal (table `proposals`, key: the proposal id):
/// its definition, status and running tally.
struct ProposalRecord: ViewRecord, Equatable {
    var title: String
    var options: [String]
    var rule: DecisionRule
    var quorum: UInt64
    var deadlineMicroseconds: Int64
    var allowsVoteChange: Bool
    var status: ProposalStatus
    var winner: Int  // -1 when none
    var openedMicroseconds: Int64
    var closedMicroseconds: Int64
    var tally: Tally
    /// Events on the proposal's stream: the version an optimistic append expects.
    var streamVersion: UInt64

    func encode(into w: inout ViewBytesWriter) {
        w.u8(1)
        w.string(title)
        w.strings(options)
        w.u8(rule.code)
        w.u64(quorum)
        w.i64(deadlineMicroseconds)
        w.bool(allowsVoteChange)
        w.u8(status.code)
        w.i64(Int64(winner))
        w.i64(openedMicroseconds)
        w.i64(closedMicroseconds)
        w.u64s(tally.counts)
        w.u64s(tally.weights)
        w.u64(tally.votesCast)
        w.u64(tally.weightCast)
        w.u64(tally.eligibleVoters)
        w.u64(tally.eligibleWeight)
        w.u64(streamVersion)
    }

    init(title: String, options: [String], rule: DecisionRule, quorum: UInt64, deadlineMicroseconds: Int64,
         allowsVoteChange: Bool, openedMicroseconds: Int64, tally: Tally) {
        self.title = title
        self.options = options
        self.rule = rule
        self.quorum = quorum
        self.deadlineMicroseconds = deadlineMicroseconds
        self.allowsVoteChange = allowsVoteChange
        status = .open
        winner = -1
        self.openedMicroseconds = openedMicroseconds
        closedMicroseconds = 0
        self.tally = tally
        streamVersion = 1
    }

    init(from r: inout ViewBytesReader) throws {
        _ = try r.u8()
        title = try r.string()
        options = try r.strings()
        guard let rule = DecisionRule(code: try r.u8()) else { throw SwarmError.corruptView(key: "proposal rule") }
        self.rule = rule
        quorum = try r.u64()
        deadlineMicroseconds = try r.i64()
        allowsVoteChange = try r.bool()
        guard let status = ProposalStatus(code: try r.u8()) else { throw SwarmError.corruptView(key: "proposal status") }
        self.status = status
        winner = Int(try r.i64())
        openedMicroseconds = try r.i64()
        closedMicroseconds = try r.i64()
        let counts = try r.u64s()
        let weights = try r.u64s()
        tally = Tally(counts: counts, weights: weights, votesCast: try r.u64(), weightCast: try r.u64(),
                      eligibleVoters: try r.u64(), eligibleWeight: try r.u64())
        streamVersion = try r.u64()
    }

    /// Re-evaluates the status after a vote.
    mutating func settle(at time: Int64) {
        guard status == .open else { return }
        let (s, w) = tally.statusWhileOpen(rule: rule, quorum: quorum, allowsVoteChange: allowsVoteChange)
        if s != .open {
            status = s
            winner = w ?? -1
            closedMicroseconds = time
        }
    }
}
