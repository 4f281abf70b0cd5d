import ColonyStore
import ColonySwarm
import Foundation

/// The swarm tools: agents, tasks assigned by ant-colony optimisation, and votes, over
/// `ColonySwarm`'s API. Every write is an event in the log; every read is the swarm view.
/// Results are the library's values as JSON with snake_case keys.
struct SwarmTools: Sendable {
    let store: ColonyStore

    /// Every swarm tool's name.
    static let names: Set<String> = Set(SwarmToolCatalog.all.compactMap { try? JSONParser.parse($0)["name"]?.stringValue })

    /// Tools that only read the view: answered on the request's own thread. (`get_proposal`
    /// may append the close of an expired proposal, so it goes the way of the writes.)
    static let readOnly: Set<String> = ["get_swarm", "explain_assignment"]

    func call(_ name: String, _ raw: JSONValue?) async -> ToolOutcome {
        do {
            switch name {
            case "register_agent": return try await registerAgent(raw)
            case "heartbeat": return try await heartbeat(raw)
            case "create_task": return try await createTask(raw)
            case "assign_task": return try await assignTask(raw)
            case "complete_task": return try await completeTask(raw)
            case "open_proposal": return try await openProposal(raw)
            case "cast_vote": return try await castVote(raw)
            case "get_proposal": return try await getProposal(raw)
            default: return callReading(name, raw)
            }
        } catch {
            return ContextTools.toolError(error)
        }
    }

    func callReading(_ name: String, _ raw: JSONValue?) -> ToolOutcome {
        do {
            switch name {
            case "explain_assignment": return try explainAssignment(raw)
            case "get_swarm": return try getSwarm(raw)
            default: return .failed(message: "unknown swarm tool \(name)")
            }
        } catch {
            return ContextTools.toolError(error)
        }
    }

    // MARK: Agents

    private func registerAgent(_ raw: JSONValue?) async throws -> ToolOutcome {
        let args = try ToolArguments(tool: "register_agent", raw, allowed: ["agent", "capabilities", "capacity"])
        let id = try args.requiredString("agent")
        let capabilities = try args.strings("capabilities") ?? []
        let capacity = Int(try args.int("capacity", in: 1...Int64(SwarmLimits.maxCapacity)) ?? 1)
        return try Self.result(try await store.registerAgent(id, capabilities: capabilities, capacity: capacity))
    }

    private func heartbeat(_ raw: JSONValue?) async throws -> ToolOutcome {
        let args = try ToolArguments(tool: "heartbeat", raw, allowed: ["agent"])
        let id = try args.requiredString("agent")
        try await store.heartbeat(agent: id)
        return try Self.result(try store.agent(id))
    }

    // MARK: Tasks

    private func createTask(_ raw: JSONValue?) async throws -> ToolOutcome {
        let args = try ToolArguments(tool: "create_task", raw, allowed: ["task", "type", "requires", "priority", "payload"])
        let id = try args.requiredString("task")
        let type = try args.requiredString("type")
        let requires = try args.strings("requires") ?? []
        let priority = Int(try args.int("priority", in: 0...Int64(SwarmLimits.maxPriority)) ?? 0)
        let payload = args.value("payload").map(\.jsonBytes)
        return try Self.result(try await store.createTask(id, type: type, requires: requires, priority: priority, payload: payload))
    }

    private func assignTask(_ raw: JSONValue?) async throws -> ToolOutcome {
        let args = try ToolArguments(tool: "assign_task", raw, allowed: ["task", "tasks", "queued", "seed"])
        let seed = try args.int("seed", in: 0...Int64.max).map { UInt64($0) }
        let one = try args.string("task")
        let many = try args.strings("tasks")
        let queued = try args.int("queued", in: 1...Int64(SwarmLimits.maxTasksPerAssignment))
        guard [one != nil, many != nil, queued != nil].filter({ $0 }).count == 1 else {
            throw ToolArguments.Invalid("pass exactly one of task (one id), tasks (a list of ids) or queued (how many queued tasks, highest priority first)")
        }
        struct Assignments: Encodable { var assignments: [AssignmentOutcome] }
        if let one {
            return try Self.result(Assignments(assignments: [try await store.assign(one, seed: seed)]))
        }
        if let many {
            guard !many.isEmpty else { throw ToolArguments.Invalid("tasks must list at least one task id") }
            return try Self.result(Assignments(assignments: try await store.assign(many, seed: seed)))
        }
        return try Self.result(Assignments(assignments: try await store.assignQueued(limit: Int(queued!), seed: seed)))
    }

    private func completeTask(_ raw: JSONValue?) async throws -> ToolOutcome {
        let args = try ToolArguments(tool: "complete_task", raw, allowed: ["task", "success", "duration_ms", "agent"])
        let id = try args.requiredString("task")
        guard let successValue = args.value("success") else { throw ToolArguments.Invalid("missing required argument \"success\" (a boolean)") }
        guard case .bool(let success) = successValue else { throw ToolArguments.Invalid("success must be a boolean, not \(successValue.typeName)") }
        guard let duration = try args.double("duration_ms", in: 0...1e12) else {
            throw ToolArguments.Invalid("missing required argument \"duration_ms\" (a number of milliseconds)")
        }
        let agent = try args.string("agent")
        return try Self.result(try await store.completeTask(id, by: agent, success: success, durationMilliseconds: duration))
    }

    private func explainAssignment(_ raw: JSONValue?) throws -> ToolOutcome {
        let args = try ToolArguments(tool: "explain_assignment", raw, allowed: ["task", "limit"])
        let id = try args.requiredString("task")
        let limit = Int(try args.int("limit", in: 1...500) ?? 20)
        return try Self.result(try store.explainAssignment(id, limit: limit))
    }

    // MARK: Consensus

    private func openProposal(_ raw: JSONValue?) async throws -> ToolOutcome {
        let args = try ToolArguments(tool: "open_proposal", raw, allowed: [
            "proposal", "title", "options", "voters", "quorum", "rule", "deadline_seconds", "deadline", "allow_vote_change",
        ])
        let id = try args.requiredString("proposal")
        guard let options = try args.strings("options") else { throw ToolArguments.Invalid("missing required argument \"options\" (2 to 16 strings)") }
        guard let voters = try args.strings("voters") else { throw ToolArguments.Invalid("missing required argument \"voters\" (agent ids)") }
        let quorum = Int(try args.int("quorum", in: 1...Int64(max(voters.count, 1))) ?? 1)
        let rule = try args.oneOf("rule", DecisionRule.allCases.map(\.rawValue)).flatMap(DecisionRule.init(rawValue:)) ?? .majority
        let deadline: Int64
        switch (try args.int("deadline_seconds", in: 1...366 * 86_400), try args.string("deadline")) {
        case (let seconds?, nil): deadline = NewEvent.nowMicroseconds() + seconds * 1_000_000
        case (nil, let text?):
            guard let t = Timestamp.parse(text) else {
                throw ToolArguments.Invalid("deadline must be an RFC 3339 time such as 2026-12-01T12:00:00Z, not \"\(text.prefix(64))\"")
            }
            deadline = t
        case (nil, nil): throw ToolArguments.Invalid("pass deadline_seconds (from now) or deadline (an RFC 3339 time)")
        default: throw ToolArguments.Invalid("pass deadline_seconds or deadline, not both")
        }
        var allowChange = false
        if let v = args.value("allow_vote_change") {
            guard case .bool(let b) = v else { throw ToolArguments.Invalid("allow_vote_change must be a boolean, not \(v.typeName)") }
            allowChange = b
        }
        let definition = ProposalDefinition(id: id, title: try args.string("title") ?? "", options: options, voters: voters,
                                            quorum: quorum, rule: rule, deadlineMicroseconds: deadline, allowsVoteChange: allowChange)
        return try Self.result(try await store.openProposal(definition))
    }

    private func castVote(_ raw: JSONValue?) async throws -> ToolOutcome {
        let args = try ToolArguments(tool: "cast_vote", raw, allowed: ["proposal", "agent", "option"])
        let proposal = try args.requiredString("proposal")
        // A proposal whose deadline passed is closed in the log first, so the vote is refused with its outcome.
        try await store.closeExpiredProposals()
        return try Self.result(try await store.castVote(proposal: proposal, agent: try args.requiredString("agent"),
                                                        option: try args.requiredString("option")))
    }

    private func getProposal(_ raw: JSONValue?) async throws -> ToolOutcome {
        let args = try ToolArguments(tool: "get_proposal", raw, allowed: ["proposal"])
        let id = try args.requiredString("proposal")
        let info = try store.proposal(id)
        if info.status == .open && info.deadlineMicroseconds <= NewEvent.nowMicroseconds() {
            try await store.closeExpiredProposals()
            return try Self.result(try store.proposal(id))
        }
        return try Self.result(info)
    }

    // MARK: Overview

    private func getSwarm(_ raw: JSONValue?) throws -> ToolOutcome {
        let args = try ToolArguments(tool: "get_swarm", raw, allowed: ["limit"])
        let limit = Int(try args.int("limit", in: 1...100) ?? 20)
        return try Self.result(try store.swarmSummary(limit: limit))
    }

    // MARK: Results

    private static func result(_ value: some Encodable) throws -> ToolOutcome {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return .structured(json: Array(try encoder.encode(value)), text: nil)
    }
}
