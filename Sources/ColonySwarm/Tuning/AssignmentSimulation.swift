/// A discrete-event simulation of assigning tasks to agents, with outcomes drawn from a
/// hidden success probability per (agent, task type, time).
///
/// The ant-colony policy runs the same `AntColony`, `AssignmentHeuristic` and
/// `PheromoneTrail` code the store uses, with simulated time, so it is fast and its result is
/// what the store's rule would do. Every policy meets the same tasks and the same outcome
/// draws (common random numbers): task *i* succeeds with agent *a* when its `outcomeDraw` is below
/// *a*'s probability, so differences come from the choices alone. Feedback (trails, success
/// counts) arrives when a task finishes, not when it is assigned.
///
/// ```swift
/// let sim = AssignmentSimulation(agents: agents, tasks: tasks, taskTypes: ["build", "review"]) { agent, type, time in 0.7 }
/// let aco = sim.run(.antColony(SwarmConfiguration()), seed: 1)
/// let random = sim.run(.random, seed: 1)
/// ```
public struct AssignmentSimulation: Sendable {
    /// An agent of the simulation.
    public struct Agent: Sendable, Equatable {
        public var capabilities: [String]
        public var capacity: Int
        public init(capabilities: [String], capacity: Int) {
            self.capabilities = Array(Set(capabilities)).sorted()
            self.capacity = capacity
        }
    }

    /// A task of the simulation.
    public struct Task: Sendable, Equatable {
        public var arrivalMicroseconds: Int64
        /// Index into `taskTypes`.
        public var type: Int
        public var requires: [String]
        public var durationMicroseconds: Int64
        /// Uniform in [0, 1): the task succeeds with an agent whose probability is above it.
        public var outcomeDraw: Double
        public init(arrivalMicroseconds: Int64, type: Int, requires: [String], durationMicroseconds: Int64, outcomeDraw: Double) {
            self.arrivalMicroseconds = arrivalMicroseconds
            self.type = type
            self.requires = Array(Set(requires)).sorted()
            self.durationMicroseconds = durationMicroseconds
            self.outcomeDraw = outcomeDraw
        }
    }

    public let agents: [Agent]
    /// Sorted by arrival.
    public let tasks: [Task]
    public let taskTypes: [String]
    /// The hidden probability that agent (index) succeeds at a task of type (index) at a time.
    public let successProbability: @Sendable (Int, Int, Int64) -> Double

    public init(agents: [Agent], tasks: [Task], taskTypes: [String],
                successProbability: @escaping @Sendable (Int, Int, Int64) -> Double) {
        self.agents = agents
        self.tasks = tasks.sorted { $0.arrivalMicroseconds < $1.arrivalMicroseconds }
        self.taskTypes = taskTypes
        self.successProbability = successProbability
    }

    private struct Completion {
        var time: Int64
        var agent: Int
        var type: Int
        var success: Bool
        var durationMilliseconds: Double
    }

    /// Runs every task through `policy`; `seed` drives the policy's own randomness.
    public func run(_ policy: AssignmentPolicy, seed: UInt64) -> SimulationResult {
        var rng = SplitMix64(seed: seed)
        var load = Array(repeating: 0, count: agents.count)
        var pending = CompletionHeap()
        let config: SwarmConfiguration
        if case .antColony(let c) = policy { config = c } else { config = SwarmConfiguration() }
        let colony = AntColony(config)
        var trails = Array(repeating: Array(repeating: PheromoneTrail(strength: config.trailInitial, touchedMicroseconds: 0),
                                            count: taskTypes.count), count: agents.count)
        var wins = Array(repeating: Array(repeating: 0, count: taskTypes.count), count: agents.count)
        var tries = wins
        var lastChosen = -1
        var assigned = 0, successes = 0
        var eligible: [Int] = []
        var candidates: [AssignmentCandidate] = []
        eligible.reserveCapacity(agents.count)
        candidates.reserveCapacity(agents.count)
        let capable: [[Bool]] = tasks.isEmpty ? [] : {
            var byRequirement: [[String]: [Bool]] = [:]
            return tasks.map { t in
                if let c = byRequirement[t.requires] { return c }
                let c = agents.map { a in t.requires.allSatisfy { a.capabilities.contains($0) } }
                byRequirement[t.requires] = c
                return c
            }
        }()

        for (n, task) in tasks.enumerated() {
            // Feedback from everything that finished by now.
            while let c = pending.peek, c.time <= task.arrivalMicroseconds {
                pending.pop()
                load[c.agent] -= 1
                tries[c.agent][c.type] += 1
                if c.success {
                    wins[c.agent][c.type] += 1
                    trails[c.agent][c.type].deposit(config.deposit * config.quality(success: true, durationMilliseconds: c.durationMilliseconds),
                                                    at: c.time, config: config)
                }
            }
            eligible.removeAll(keepingCapacity: true)
            for a in agents.indices where load[a] < agents[a].capacity && capable[n][a] { eligible.append(a) }
            guard !eligible.isEmpty else { continue }
            let chosen: Int
            switch policy {
            case .antColony:
                candidates.removeAll(keepingCapacity: true)
                for a in eligible {
                    candidates.append(AssignmentCandidate(
                        agentID: "", trail: trails[a][task.type].strength(at: task.arrivalMicroseconds, config: config),
                        heuristic: AssignmentHeuristic.eta(load: load[a], capacity: agents[a].capacity,
                                                           capabilityCount: agents[a].capabilities.count, requiredCount: task.requires.count)))
                }
                chosen = eligible[colony.choose(candidates, using: &rng)!.index]
            case .random:
                chosen = eligible[Int(rng.next() % UInt64(eligible.count))]
            case .roundRobin:
                chosen = eligible.first { $0 > lastChosen } ?? eligible[0]
            case .greedy:
                var best = eligible[0], bestScore = -Double.infinity
                for a in eligible {
                    let fit = Double(task.requires.count + 1) / Double(agents[a].capabilities.count + 1)
                    let idle = Double(agents[a].capacity - load[a]) / Double(agents[a].capacity)
                    let rate = Double(wins[a][task.type] + 1) / Double(tries[a][task.type] + 2)
                    let score = fit + idle + rate
                    if score > bestScore { best = a; bestScore = score }
                }
                chosen = best
            case .oracle:
                chosen = eligible.max { successProbability($0, task.type, task.arrivalMicroseconds) < successProbability($1, task.type, task.arrivalMicroseconds) }!
            }
            lastChosen = chosen
            assigned += 1
            load[chosen] += 1
            let success = task.outcomeDraw < successProbability(chosen, task.type, task.arrivalMicroseconds)
            if success { successes += 1 }
            pending.push(Completion(time: task.arrivalMicroseconds + task.durationMicroseconds, agent: chosen, type: task.type,
                                    success: success, durationMilliseconds: Double(task.durationMicroseconds) / 1000))
        }
        return SimulationResult(policy: policy.name, tasks: tasks.count, assigned: assigned, successes: successes)
    }

    /// A binary min-heap of completions by time (ties by insertion order, so runs are deterministic).
    private struct CompletionHeap {
        private var items: [(Completion, Int)] = []
        private var counter = 0

        var peek: Completion? { items.first?.0 }

        private func less(_ i: Int, _ j: Int) -> Bool {
            items[i].0.time != items[j].0.time ? items[i].0.time < items[j].0.time : items[i].1 < items[j].1
        }

        mutating func push(_ c: Completion) {
            items.append((c, counter))
            counter += 1
            var i = items.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard less(i, parent) else { break }
                items.swapAt(i, parent)
                i = parent
            }
        }

        mutating func pop() {
            items.swapAt(0, items.count - 1)
            items.removeLast()
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && less(l, m) { m = l }
                if r < items.count && less(r, m) { m = r }
                guard m != i else { return }
                items.swapAt(i, m)
                i = m
            }
        }
    }
}
