/// What the swarm view keeps about one task (table `tasks`, key: the task id).
struct TaskRecord: ViewRecord, Equatable {
    var type: String
    var required: [String]  // sorted, unique
    var priority: UInt8
    var state: TaskState
    var assignee: String  // empty when none
    var createdMicroseconds: Int64
    var createdPosition: UInt64
    var assignedPosition: UInt64  // of the last task.assigned, 0 when never assigned
    var assignedMicroseconds: Int64
    var finishedMicroseconds: Int64
    var attempts: UInt32
    var durationMilliseconds: Double
    /// Events on the task's stream: the version an optimistic append expects.
    var streamVersion: UInt64

    func encode(into w: inout ViewBytesWriter) {
        w.u8(1)
        w.string(type)
        w.strings(required)
        w.u8(priority)
        w.u8(state.code)
        w.string(assignee)
        w.i64(createdMicroseconds)
        w.u64(createdPosition)
        w.u64(assignedPosition)
        w.i64(assignedMicroseconds)
        w.i64(finishedMicroseconds)
        w.u32(attempts)
        w.f64(durationMilliseconds)
        w.u64(streamVersion)
    }

    init(type: String, required: [String], priority: UInt8, createdMicroseconds: Int64, createdPosition: UInt64) {
        self.type = type
        self.required = required
        self.priority = priority
        state = .queued
        assignee = ""
        self.createdMicroseconds = createdMicroseconds
        self.createdPosition = createdPosition
        assignedPosition = 0
        assignedMicroseconds = 0
        finishedMicroseconds = 0
        attempts = 0
        durationMilliseconds = 0
        streamVersion = 1
    }

    init(from r: inout ViewBytesReader) throws {
        _ = try r.u8()
        type = try r.string()
        required = try r.strings()
        priority = try r.u8()
        guard let s = TaskState(code: try r.u8()) else { throw SwarmError.corruptView(key: "task state") }
        state = s
        assignee = try r.string()
        createdMicroseconds = try r.i64()
        createdPosition = try r.u64()
        assignedPosition = try r.u64()
        assignedMicroseconds = try r.i64()
        finishedMicroseconds = try r.i64()
        attempts = try r.u32()
        durationMilliseconds = try r.f64()
        streamVersion = try r.u64()
    }
}
