import ColonyStore

extension ColonyStore {
    /// Opens a proposal. Each voter's weight (for `.weighted`) is its success rate at this moment.
    ///
    /// Throws `proposalAlreadyExists`, `unknownAgent` (a voter that never registered),
    /// `agentRetired`, `invalidIdentifier`, `parameterOutOfRange` (options, voters, quorum, a
    /// deadline not after `time`).
    @discardableResult
    public func openProposal(_ definition: ProposalDefinition, at time: Int64? = nil) async throws -> ProposalInfo {
        let d = definition
        let now = time ?? NewEvent.nowMicroseconds()
        try Identifier.check(d.id, field: "proposal id")
        try ColonyStore.checkText(d.title, field: "title")
        try Identifier.check(d.options, field: "option", max: SwarmLimits.maxOptions)
        guard d.options.count >= 2, Set(d.options).count == d.options.count else {
            throw SwarmError.parameterOutOfRange(name: "options", value: "\(d.options.count) (\(Set(d.options).count) distinct)",
                                                 allowed: "2...\(SwarmLimits.maxOptions) distinct options")
        }
        try Identifier.check(d.voters, field: "voter", max: SwarmLimits.maxVoters)
        guard !d.voters.isEmpty, Set(d.voters).count == d.voters.count else {
            throw SwarmError.parameterOutOfRange(name: "voters", value: "\(d.voters.count) (\(Set(d.voters).count) distinct)",
                                                 allowed: "1...\(SwarmLimits.maxVoters) distinct agents")
        }
        guard (1...d.voters.count).contains(d.quorum) else {
            throw SwarmError.parameterOutOfRange(name: "quorum", value: "\(d.quorum)", allowed: "1...\(d.voters.count)")
        }
        guard d.deadlineMicroseconds > now else {
            throw SwarmError.parameterOutOfRange(name: "deadlineMicroseconds", value: "\(d.deadlineMicroseconds)", allowed: "after \(now)")
        }
        try swarmView { v in
            if try v.proposal(d.id) != nil { throw SwarmError.proposalAlreadyExists(d.id) }
            for voter in d.voters {
                guard let a = try v.agent(voter) else { throw SwarmError.unknownAgent(voter) }
                if a.retired { throw SwarmError.agentRetired(voter) }
            }
        }
        var p = PayloadWriter()
        p.string("proposal", d.id)
        p.string("title", d.title)
        p.strings("options", d.options)
        p.strings("voters", d.voters)
        p.integer("quorum", Int64(d.quorum))
        p.string("rule", d.rule.rawValue)
        p.integer("deadlineMicroseconds", d.deadlineMicroseconds)
        p.bool("allowVoteChange", d.allowsVoteChange)
        do {
            try await append(NewEvent(stream: SwarmEvents.proposalStream(d.id), kind: SwarmEvents.proposalOpened, payload: p.finished(),
                                      timeMicroseconds: now), expectedVersion: .noStream)
        } catch StoreError.wrongExpectedVersion {
            throw SwarmError.proposalAlreadyExists(d.id)
        }
        return try proposal(d.id)
    }

    /// Casts (or, where allowed, changes) an agent's vote. The tally is updated in O(1) and the
    /// proposal decided at once if the rule is met or can no longer be met. Returns the proposal after the vote.
    ///
    /// Throws `unknownProposal`, `unknownOption`, `ineligibleVoter`, `proposalClosed` (decided,
    /// closed, or `time` past the deadline), `voteAlreadyCast`.
    @discardableResult
    public func castVote(proposal id: String, agent agentID: String, option: String, at time: Int64? = nil) async throws -> ProposalInfo {
        try Identifier.check(id, field: "proposal id")
        try Identifier.check(agentID, field: "agent id")
        try Identifier.check(option, field: "option")
        let now = time ?? NewEvent.nowMicroseconds()
        let stream = SwarmEvents.proposalStream(id)
        try await appendChecked(stream: stream, attempts: 16) {
            let version = try swarmView { v -> UInt64 in
                guard let p = try v.proposal(id) else { throw SwarmError.unknownProposal(id) }
                if p.status != .open { throw SwarmError.proposalClosed(proposalID: id, outcome: p.status.rawValue) }
                if now > p.deadlineMicroseconds { throw SwarmError.proposalClosed(proposalID: id, outcome: "deadline passed") }
                guard p.options.contains(option) else { throw SwarmError.unknownOption(proposalID: id, option: option) }
                guard let ballot = try v.ballot(id, agentID) else { throw SwarmError.ineligibleVoter(proposalID: id, agentID: agentID) }
                if ballot.option >= 0 && !p.allowsVoteChange { throw SwarmError.voteAlreadyCast(proposalID: id, agentID: agentID) }
                return p.streamVersion
            }
            var p = PayloadWriter()
            p.string("proposal", id)
            p.string("agent", agentID)
            p.string("option", option)
            return (NewEvent(stream: stream, kind: SwarmEvents.voteCast, payload: p.finished(), timeMicroseconds: now), .exact(version))
        }
        return try proposal(id)
    }

    /// The proposal and its tally. Throws `unknownProposal`.
    public func proposal(_ id: String) throws -> ProposalInfo {
        try Identifier.check(id, field: "proposal id")
        return try swarmView { v in
            guard let p = try v.proposal(id) else { throw SwarmError.unknownProposal(id) }
            return ProposalInfo(id: id, record: p)
        }
    }

    /// Closes every open proposal whose deadline is at or before `now` by appending a
    /// `proposal.closed` event for each (timestamped `now`): the close is in the log, not a timer.
    /// Whoever notices first closes; a proposal another process closed meanwhile is skipped.
    /// Returns the proposals it closed, with their outcome.
    @discardableResult
    public func closeExpiredProposals(now: Int64? = nil, limit: Int = 1_000) async throws -> [ProposalInfo] {
        let now = now ?? NewEvent.nowMicroseconds()
        let due = try swarmView { v -> [(String, UInt64)] in
            var ids: [String] = []
            try v.view.scan(prefix: [], table: SwarmKeys.deadlines) { k, _ in
                guard SwarmKeys.deadlineTime(k) <= now, ids.count < limit else { return false }
                ids.append(String(decoding: k[8...], as: UTF8.self))
                return true
            }
            return try ids.compactMap { id in try v.proposal(id).map { (id, $0.streamVersion) } }
        }
        var closed: [ProposalInfo] = []
        for (id, version) in due {
            var p = PayloadWriter()
            p.string("proposal", id)
            do {
                try await append(NewEvent(stream: SwarmEvents.proposalStream(id), kind: SwarmEvents.proposalClosed, payload: p.finished(),
                                          timeMicroseconds: now), expectedVersion: .exact(version))
            } catch StoreError.wrongExpectedVersion {
                // A vote or another closer got there first; the next call sees the new state.
                continue
            }
            closed.append(try proposal(id))
        }
        return closed
    }
}
