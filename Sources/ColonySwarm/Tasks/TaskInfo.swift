/// A task as the swarm view sees it.
public struct TaskInfo: Sendable, Equatable, Codable {
    public var id: String
    /// The task type trails are kept per.
    public var type: String
    /// Capabilities an agent needs to take it, sorted.
    public var requires: [String]
    /// 0 (lowest) ... 255; queued tasks list by priority, then age.
    public var priority: Int
    public var state: TaskState
    /// The agent holding it, while assigned.
    public var assignee: String?
    /// How many times it was assigned (a requeue and a new assignment count again).
    public var attempts: Int
    public var createdMicroseconds: Int64
    /// The reported duration of a completed task.
    public var durationMilliseconds: Double?
    /// The log position of `task.created`, whose payload holds the task's own payload.
    public var createdPosition: UInt64

    init(id: String, record t: TaskRecord) {
        self.id = id
        type = t.type
        requires = t.required
        priority = Int(t.priority)
        state = t.state
        assignee = t.assignee.isEmpty ? nil : t.assignee
        attempts = Int(t.attempts)
        createdMicroseconds = t.createdMicroseconds
        durationMilliseconds = t.state.isFinished && t.durationMilliseconds > 0 ? t.durationMilliseconds : nil
        createdPosition = t.createdPosition
    }
}
