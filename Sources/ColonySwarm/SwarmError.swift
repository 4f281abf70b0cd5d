import ColonyStore

/// The one error type of `ColonySwarm`: what was wrong with a swarm request.
///
/// Every case is thrown before anything is appended, so a thrown call wrote
/// nothing. Errors of the store itself (a full queue, a closed store) stay
/// `StoreError`s.
public enum SwarmError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An agent, task, proposal, capability, task type or option id was empty,
    /// too long, or held characters outside `[A-Za-z0-9._-]`.
    case invalidIdentifier(field: String, value: String, reason: String)
    /// A parameter was outside its allowed range; `allowed` says what is.
    case parameterOutOfRange(name: String, value: String, allowed: String)
    /// No agent with this id has registered.
    case unknownAgent(String)
    /// An agent with this id has registered already.
    case agentAlreadyRegistered(String)
    /// The agent retired; it takes no tasks and casts no votes.
    case agentRetired(String)
    /// No task with this id was created.
    case unknownTask(String)
    /// A task with this id exists already.
    case taskAlreadyExists(String)
    /// The task succeeded or failed already; it cannot be completed, failed or requeued again.
    case taskAlreadyCompleted(taskID: String, state: TaskState)
    /// The task is not queued, so it cannot be assigned.
    case taskNotQueued(taskID: String, state: TaskState)
    /// The task is not assigned to anyone, so it cannot be completed or requeued.
    case taskNotAssigned(String)
    /// The agent completing or failing the task is not its assignee.
    case notTheAssignee(taskID: String, assignee: String, caller: String)
    /// No registered, live agent with the required capabilities has room; the task stays queued.
    case noEligibleAgent(taskID: String, required: [String], reason: String)
    /// No proposal with this id was opened.
    case unknownProposal(String)
    /// A proposal with this id exists already.
    case proposalAlreadyExists(String)
    /// The agent is not among the proposal's eligible voters.
    case ineligibleVoter(proposalID: String, agentID: String)
    /// The option is not one of the proposal's options.
    case unknownOption(proposalID: String, option: String)
    /// The proposal was decided or closed (or its deadline passed) before the vote.
    case proposalClosed(proposalID: String, outcome: String)
    /// The agent voted already and the proposal does not allow a changed vote.
    case voteAlreadyCast(proposalID: String, agentID: String)
    /// Another writer changed the same task or proposal between the check and the
    /// append, and retrying did not settle it. Retry the call.
    case concurrentChange(stream: String)
    /// The store was opened without `SwarmProjection`; open it with `Swarm.open` or register it.
    case swarmViewNotRegistered
    /// A stored swarm view value could not be decoded.
    case corruptView(key: String)

    /// Whether the same call may succeed if retried unchanged.
    public var isRetryable: Bool {
        switch self {
        case .concurrentChange, .noEligibleAgent: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .invalidIdentifier(let f, let v, let r): return "invalid \(f) \"\(v.prefix(80))\": \(r)"
        case .parameterOutOfRange(let n, let v, let a): return "\(n) = \(v) is out of range; allowed: \(a)"
        case .unknownAgent(let id): return "no agent \"\(id)\" has registered"
        case .agentAlreadyRegistered(let id): return "agent \"\(id)\" has registered already"
        case .agentRetired(let id): return "agent \"\(id)\" has retired"
        case .unknownTask(let id): return "no task \"\(id)\" exists"
        case .taskAlreadyExists(let id): return "task \"\(id)\" exists already"
        case .taskAlreadyCompleted(let id, let s): return "task \"\(id)\" is \(s.rawValue) already"
        case .taskNotQueued(let id, let s): return "task \"\(id)\" is \(s.rawValue), not queued"
        case .taskNotAssigned(let id): return "task \"\(id)\" is not assigned"
        case .notTheAssignee(let t, let a, let c): return "task \"\(t)\" is assigned to \"\(a)\", not \"\(c)\""
        case .noEligibleAgent(let t, let req, let r):
            return "no eligible agent for task \"\(t)\" (requires [\(req.joined(separator: ", "))]): \(r); the task stays queued"
        case .unknownProposal(let id): return "no proposal \"\(id)\" exists"
        case .proposalAlreadyExists(let id): return "proposal \"\(id)\" exists already"
        case .ineligibleVoter(let p, let a): return "agent \"\(a)\" is not an eligible voter of proposal \"\(p)\""
        case .unknownOption(let p, let o): return "proposal \"\(p)\" has no option \"\(o)\""
        case .proposalClosed(let p, let o): return "proposal \"\(p)\" is closed (\(o)); no more votes"
        case .voteAlreadyCast(let p, let a): return "agent \"\(a)\" has voted on proposal \"\(p)\" and it does not allow changing a vote"
        case .concurrentChange(let s): return "stream \(s) changed concurrently; retry"
        case .swarmViewNotRegistered: return "the store was opened without the swarm view; open it with Swarm.open"
        case .corruptView(let k): return "swarm view value under \(k) is corrupt"
        }
    }
}
