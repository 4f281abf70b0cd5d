import ColonyStore
import ColonySwarm
import Foundation

/// The swarm through the library into a real store in a temporary directory.
enum StoreBenchmarks {
    static let t0: Int64 = 1_800_000_000_000_000

    static func options(durable: Bool) -> StoreOptions {
        var o = StoreOptions()
        o.durability = durable ? .durable : .buffered(syncIntervalMilliseconds: 50)
        return o
    }

    /// Assignments per second: `tasks` queued tasks assigned in calls of `batch` tasks each,
    /// among `agents` agents with room for all. Only the `assign` calls are timed.
    static func assignmentThroughput(agents: Int, tasks: Int, batch: Int, durable: Bool) async throws
        -> (perSecond: Double, perCall: Latency, rebuild: (events: UInt64, perSecond: Double)) {
        let path = temporaryStorePath("assign")
        let store = try Swarm.open(at: path, options: options(durable: durable))
        defer { store.close(); try? FileManager.default.removeItem(atPath: path) }
        for i in 0..<agents {
            try await store.registerAgent("agent-\(i)", capabilities: ["swift", "review"], capacity: SwarmLimits.maxCapacity, at: t0)
        }
        let ids = (0..<tasks).map { "task-\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for chunk in stride(from: 0, to: tasks, by: 1_000) {
                group.addTask {
                    for id in ids[chunk..<min(chunk + 1_000, tasks)] {
                        try await store.createTask(id, type: "review", requires: ["swift"], at: t0 + 1)
                    }
                }
            }
            try await group.waitForAll()
        }
        var samples: [UInt64] = []
        var assigned = 0
        let start = nowNanos()
        for (n, chunk) in stride(from: 0, to: tasks, by: batch).enumerated() {
            let s = nowNanos()
            let outcomes = try await store.assign(Array(ids[chunk..<min(chunk + batch, tasks)]), seed: UInt64(n), at: t0 + 2)
            samples.append(nowNanos() - s)
            assigned += outcomes.filter(\.isAssigned).count
        }
        let seconds = Double(nowNanos() - start) / 1e9
        precondition(assigned == tasks, "every task assigned (\(assigned) of \(tasks))")
        let rebuildStart = nowNanos()
        let events = try store.rebuild(view: "swarm").eventsApplied
        let rebuildSeconds = Double(nowNanos() - rebuildStart) / 1e9
        return (Double(assigned) / seconds, Latency(samples), (events, Double(events) / rebuildSeconds))
    }

    /// What happens to the store between two timed decisions of `decisionFromView`.
    enum Between: CustomStringConvertible {
        /// Nothing: the view has not moved, the handle's roster is used as it is.
        case nothing
        /// `n` agents send a heartbeat (round robin): the roster is brought forward from those events.
        case heartbeats(Int)
        /// A `swarm.configured` event: the roster is brought forward (the configuration read again).
        case reconfigure
        /// The store is closed and opened again: the new handle's first decision reads every record.
        case reopen

        var description: String {
            switch self {
            case .nothing: return "view unchanged since the last decision"
            case .heartbeats(let n): return "\(n) heartbeat\(n == 1 ? "" : "s") appended before each decision"
            case .reconfigure: return "swarm.configured before each decision"
            case .reopen: return "the store reopened before each decision (full read)"
            }
        }
    }

    /// `explainAssignment` on a queued task: the read side of one decision from the stored view
    /// (one read transaction; the handle's roster of agents and trails, brought to the view's
    /// position; every candidate's probability). Only the `explainAssignment` calls are timed.
    /// With `trails`, every agent has a trail for the task's type (one completed task each).
    static func decisionFromView(agents: Int, calls: Int, between: Between = .nothing, trails: Bool = false) async throws -> Latency {
        let path = temporaryStorePath("explain")
        var store = try Swarm.open(at: path, options: options(durable: false))
        defer { store.close(); try? FileManager.default.removeItem(atPath: path) }
        for i in 0..<agents {
            try await store.registerAgent("agent-\(i)", capabilities: ["swift"], capacity: 4, at: t0)
        }
        if trails {
            // One task per agent, assigned to it and completed, by raw events (the facade's `assign` picks at random).
            try await withThrowingTaskGroup(of: Void.self) { group in
                for chunk in stride(from: 0, to: agents, by: 500) {
                    group.addTask { [store] in
                        for i in chunk..<min(chunk + 500, agents) {
                            let stream = SwarmEvents.taskStream("done-\(i)")
                            let events = [
                                (SwarmEvents.taskCreated, #"{"task":"done-\#(i)","type":"review","requires":["swift"],"priority":0}"#),
                                (SwarmEvents.taskAssigned, #"{"task":"done-\#(i)","agent":"agent-\#(i)","seed":"0"}"#),
                                (SwarmEvents.taskCompleted, #"{"task":"done-\#(i)","success":true,"durationMilliseconds":\#(500 + i % 1000)}"#),
                            ]
                            for (n, (kind, payload)) in events.enumerated() {
                                try await store.append(NewEvent(stream: stream, kind: kind, payload: Array(payload.utf8),
                                                                timeMicroseconds: t0 + Int64(n) * 1_000_000 + Int64(i)))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let made = try store.trails(of: "agent-0", at: t0).count
            precondition(made == 1, "agent-0 has a trail")
        }
        let start = t0 + 10_000_000
        try await store.createTask("task", type: "review", requires: ["swift"], at: start)
        _ = try store.explainAssignment("task", limit: 1, at: start)
        var samples: [UInt64] = []
        var heartbeat = 0
        for i in 0..<calls {
            let now = start + 1 + Int64(i)
            switch between {
            case .nothing: break
            case .heartbeats(let n):
                for _ in 0..<n {
                    try await store.heartbeat(agent: "agent-\(heartbeat % agents)", at: now)
                    heartbeat += 1
                }
            case .reconfigure: try await store.configureSwarm(SwarmConfiguration(), at: now)
            case .reopen:
                store.close()
                store = try Swarm.open(at: path, options: options(durable: false))
            }
            let s = nowNanos()
            let e = try store.explainAssignment("task", limit: 1, at: now)
            samples.append(nowNanos() - s)
            precondition(e.eligibleCount == agents, "every agent eligible (\(e.eligibleCount) of \(agents))")
        }
        return Latency(samples)
    }

    /// Per-vote latency of `castVote` on a proposal with `voters` eligible voters (unanimity
    /// with changed votes allowed and mixed options, so it stays open for every vote).
    static func voteCost(voters: Int, votes: Int, durable: Bool) async throws -> Latency {
        let path = temporaryStorePath("vote")
        let store = try Swarm.open(at: path, options: options(durable: durable))
        defer { store.close(); try? FileManager.default.removeItem(atPath: path) }
        let ids = (0..<voters).map { "voter-\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for chunk in stride(from: 0, to: voters, by: 500) {
                group.addTask {
                    for id in ids[chunk..<min(chunk + 500, voters)] { try await store.registerAgent(id, capabilities: [], at: t0) }
                }
            }
            try await group.waitForAll()
        }
        try await store.openProposal(ProposalDefinition(id: "p", options: ["yes", "no"], voters: ids, quorum: voters, rule: .unanimous,
                                                        deadlineMicroseconds: t0 + 86_400_000_000, allowsVoteChange: true), at: t0)
        var samples: [UInt64] = []
        for v in 0..<votes {
            let voter = ids[v % voters]
            let option = (v + v / voters) % 2 == 0 ? "yes" : "no"
            let s = nowNanos()
            let p = try await store.castVote(proposal: "p", agent: voter, option: option, at: t0 + 1 + Int64(v))
            samples.append(nowNanos() - s)
            precondition(p.status == .open)
        }
        return Latency(samples)
    }
}
