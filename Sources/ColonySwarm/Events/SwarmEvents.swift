/// The swarm's event kinds and streams.
///
/// Every swarm stream has a `swarm:` prefix: stream names with `:` are not
/// context scopes, so the context view ignores them and the swarm view reads
/// only them.
///
/// | stream | kinds |
/// |---|---|
/// | `swarm:agent/<id>` | `agent.registered`, `agent.heartbeat`, `agent.retired` |
/// | `swarm:task/<id>` | `task.created`, `task.assigned`, `task.completed`, `task.failed`, `task.requeued` |
/// | `swarm:proposal/<id>` | `proposal.opened`, `vote.cast`, `proposal.closed` |
/// | `swarm:config` | `swarm.configured` |
public enum SwarmEvents {
    public static let agentRegistered = "agent.registered"
    public static let agentHeartbeat = "agent.heartbeat"
    public static let agentRetired = "agent.retired"
    public static let taskCreated = "task.created"
    public static let taskAssigned = "task.assigned"
    public static let taskCompleted = "task.completed"
    public static let taskFailed = "task.failed"
    public static let taskRequeued = "task.requeued"
    public static let proposalOpened = "proposal.opened"
    public static let voteCast = "vote.cast"
    public static let proposalClosed = "proposal.closed"
    public static let swarmConfigured = "swarm.configured"

    /// The prefix every swarm stream starts with.
    public static let streamPrefix = "swarm:"
    /// The configuration stream.
    public static let configStream = "swarm:config"

    /// `swarm:agent/<id>`.
    public static func agentStream(_ id: String) -> String { "swarm:agent/" + id }
    /// `swarm:task/<id>`.
    public static func taskStream(_ id: String) -> String { "swarm:task/" + id }
    /// `swarm:proposal/<id>`.
    public static func proposalStream(_ id: String) -> String { "swarm:proposal/" + id }
}
