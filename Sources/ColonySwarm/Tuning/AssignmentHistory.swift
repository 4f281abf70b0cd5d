import ColonyStore

/// A store's swarm history turned into a simulation for the tuner.
///
/// Read from the log (every `swarm:` event, in order): the agents with their capabilities
/// and capacity; each task with its creation time, type, requirements and duration (the
/// reported one, else the time from assignment to the end, else the median); and every
/// outcome of (agent, type). Since an agent the tuner would choose may never have done that
/// task, outcomes are modelled: the chance agent *a* succeeds at type *k* at time *t* is the
/// smoothed success rate (successes + 1) / (outcomes + 2) of (*a*, *k*) within a window of
/// ±`windowMicroseconds` around *t*, falling back to *a*'s rate at *k* over all time, then to
/// *a*'s overall rate. So skills that drifted are replayed as they drifted. This is a model
/// of the history, not the history: a tuned configuration is as good as that model.
public struct AssignmentHistory: Sendable {
    public let simulation: AssignmentSimulation
    /// Tasks that had an outcome (succeeded or failed with an assignee).
    public let outcomes: Int

    struct Outcomes: Sendable {
        var times: [Int64] = []
        var successPrefix: [Int] = [0]
        mutating func add(_ time: Int64, _ success: Bool) {
            times.append(time)
            successPrefix.append(successPrefix.last! + (success ? 1 : 0))
        }
        /// Successes and outcomes with time in [from, to]; `times` is sorted.
        func count(from: Int64, to: Int64) -> (Int, Int) {
            let lo = lowerBound(from), hi = lowerBound(to + 1)
            return (successPrefix[hi] - successPrefix[lo], hi - lo)
        }
        private func lowerBound(_ t: Int64) -> Int {
            var lo = 0, hi = times.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if times[mid] < t { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }

    /// Reads the history of `store`; `seed` draws the outcome of each simulated task.
    public init(store: ColonyStore, seed: UInt64, windowMicroseconds: Int64? = nil) throws {
        var agentIndex: [String: Int] = [:]
        var agents: [AssignmentSimulation.Agent] = []
        var typeIndex: [String: Int] = [:]
        var types: [String] = []
        struct PendingTask { var created: Int64; var type: Int; var requires: [String]; var assigned: Int64?; var assignee: Int?; var duration: Int64? }
        var tasks: [String: PendingTask] = [:]
        var order: [String] = []
        var outcomesByPair: [[Int]: Outcomes] = [:]
        var byAgent: [Int: Outcomes] = [:]
        var count = 0
        var first = Int64.max, last = Int64.min
        var position: UInt64 = 1
        let prefix = Array(SwarmEvents.streamPrefix.utf8)
        while true {
            let chunk = try store.read(from: position, limit: 10_000)
            guard let tail = chunk.last else { break }
            position = tail.position + 1
            for e in chunk where e.streamBytes.starts(with: prefix) {
                let p = PayloadReader(e.payload)
                let t = e.timeMicroseconds
                switch e.kind {
                case SwarmEvents.agentRegistered:
                    guard let id = p.string("agent"), agentIndex[id] == nil else { continue }
                    agentIndex[id] = agents.count
                    agents.append(.init(capabilities: p.strings("capabilities") ?? [], capacity: Int(max(p.integer("capacity") ?? 1, 1))))
                case SwarmEvents.taskCreated:
                    guard let id = p.string("task"), let type = p.string("type"), tasks[id] == nil else { continue }
                    if typeIndex[type] == nil { typeIndex[type] = types.count; types.append(type) }
                    tasks[id] = PendingTask(created: t, type: typeIndex[type]!, requires: p.strings("requires") ?? [])
                    order.append(id)
                    first = min(first, t)
                    last = max(last, t)
                case SwarmEvents.taskAssigned:
                    guard let id = p.string("task"), let agent = p.string("agent").flatMap({ agentIndex[$0] }) else { continue }
                    tasks[id]?.assigned = t
                    tasks[id]?.assignee = agent
                case SwarmEvents.taskCompleted, SwarmEvents.taskFailed:
                    guard let id = p.string("task"), let task = tasks[id], let agent = task.assignee else { continue }
                    let success = e.kind == SwarmEvents.taskCompleted && p.bool("success") == true
                    if let ms = p.number("durationMilliseconds") {
                        tasks[id]?.duration = Int64(ms * 1000)
                    } else if let a = task.assigned {
                        tasks[id]?.duration = max(t - a, 0)
                    }
                    outcomesByPair[[agent, task.type], default: Outcomes()].add(t, success)
                    byAgent[agent, default: Outcomes()].add(t, success)
                    count += 1
                    last = max(last, t)
                default: continue
                }
            }
        }
        let durations = order.compactMap { tasks[$0]?.duration }.sorted()
        let median = durations.isEmpty ? 60_000_000 : durations[durations.count / 2]
        var rng = SplitMix64(seed: seed)
        let simTasks = order.map { id -> AssignmentSimulation.Task in
            let t = tasks[id]!
            return .init(arrivalMicroseconds: t.created, type: t.type, requires: t.requires,
                         durationMicroseconds: t.duration ?? median, outcomeDraw: rng.nextUnitInterval())
        }
        let window = windowMicroseconds ?? max((last > first ? last - first : 0) / 10, 60_000_000)
        let pairs = outcomesByPair, perAgent = byAgent
        simulation = AssignmentSimulation(agents: agents, tasks: simTasks, taskTypes: types) { agent, type, time in
            if let o = pairs[[agent, type]] {
                let (s, n) = o.count(from: time - window, to: time + window)
                if n > 0 { return Double(s + 1) / Double(n + 2) }
                return Double(o.successPrefix.last! + 1) / Double(o.times.count + 2)
            }
            if let o = perAgent[agent] { return Double(o.successPrefix.last! + 1) / Double(o.times.count + 2) }
            return 0.5
        }
        outcomes = count
    }
}
