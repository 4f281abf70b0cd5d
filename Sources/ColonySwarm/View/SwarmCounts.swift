/// Totals the swarm view keeps up to date (main table, key `counts`), so a summary needs no scan.
struct SwarmCounts: ViewRecord, Equatable {
    var agents: UInt64 = 0
    var retiredAgents: UInt64 = 0
    /// Tasks per `TaskState`, indexed by its code.
    var tasks: [UInt64] = [0, 0, 0, 0]
    var proposals: UInt64 = 0
    var openProposals: UInt64 = 0

    init() {}

    func encode(into w: inout ViewBytesWriter) {
        w.u64(agents)
        w.u64(retiredAgents)
        w.u64s(tasks)
        w.u64(proposals)
        w.u64(openProposals)
    }

    init(from r: inout ViewBytesReader) throws {
        agents = try r.u64()
        retiredAgents = try r.u64()
        tasks = try r.u64s()
        guard tasks.count == 4 else { throw SwarmError.corruptView(key: "counts") }
        proposals = try r.u64()
        openProposals = try r.u64()
    }

    mutating func move(task from: TaskState?, to: TaskState) {
        if let from { tasks[Int(from.code)] -= 1 }
        tasks[Int(to.code)] += 1
    }
}
