/// The swarm view's tables and how their keys are built. Ids never hold a 0 byte
/// (see `Identifier`), so `a 0 b` keys list by prefix `a 0`.
enum SwarmKeys {
    static let agents = "agents"
    static let tasks = "tasks"
    /// state, 255 − priority, created position (big-endian), task id → empty: queued tasks by priority, then age.
    static let tasksByState = "tasks-by-state"
    /// agent 0 task → empty.
    static let tasksByAssignee = "tasks-by-assignee"
    static let trails = "trails"
    static let proposals = "proposals"
    static let ballots = "ballots"
    /// deadline (biased big-endian) proposal → empty, for open proposals only.
    static let deadlines = "proposal-deadlines"

    static let all = [agents, tasks, tasksByState, tasksByAssignee, trails, proposals, ballots, deadlines]

    static let config: [UInt8] = Array("config".utf8)
    static let counts: [UInt8] = Array("counts".utf8)

    static func id(_ s: String) -> [UInt8] { Array(s.utf8) }

    static func pair(_ a: String, _ b: String) -> [UInt8] {
        var k = Array(a.utf8)
        k.append(0)
        k.append(contentsOf: b.utf8)
        return k
    }

    static func prefix(_ a: String) -> [UInt8] { Array(a.utf8) + [0] }

    static func taskByState(_ state: TaskState, priority: UInt8, position: UInt64, task: String) -> [UInt8] {
        var k: [UInt8] = [state.code, 255 - priority]
        withUnsafeBytes(of: position.bigEndian) { k.append(contentsOf: $0) }
        k.append(contentsOf: task.utf8)
        return k
    }

    static func deadline(_ micros: Int64, proposal: String) -> [UInt8] {
        var k: [UInt8] = []
        withUnsafeBytes(of: (UInt64(bitPattern: micros) ^ (1 << 63)).bigEndian) { k.append(contentsOf: $0) }
        k.append(contentsOf: proposal.utf8)
        return k
    }

    static func deadlineTime(_ key: UnsafeRawBufferPointer) -> Int64 {
        Int64(bitPattern: UInt64(bigEndian: key.loadUnaligned(as: UInt64.self)) ^ (1 << 63))
    }
}
