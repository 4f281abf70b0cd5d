import ColonySwarm
import Foundation

// colony-swarm-bench: the swarm's figures for docs/PERFORMANCE.md.
//
//   cd Benchmarks
//   swift build -c release --product colony-swarm-bench --scratch-path .build-swarm-bench
//   .build-swarm-bench/release/colony-swarm-bench
//
// Stores live in the system's temporary directory and are removed afterwards.
// COLONY_SWARM_BENCH_ONLY=view runs only the decisions read from the stored view (about 2 minutes),
// COLONY_SWARM_BENCH_AGENTS=5000 (or 50) only those with that many agents.

/// COLONY_SWARM_BENCH_AGENTS=N keeps only the from-the-view lines with N agents (50 or 5000).
let onlyAgents = ProcessInfo.processInfo.environment["COLONY_SWARM_BENCH_AGENTS"].flatMap { Int($0) }

/// The read side of a decision from the stored view, in each of the situations `StoreBenchmarks.Between` names.
func decisionsFromView() async throws {
    print("== decision read from the stored view (explainAssignment: one read txn, the handle's roster brought to the view's position) ==")
    for trails in [false, true] {
        print(trails ? "-- every agent has a trail for the task's type --" : "-- no trails yet (τ is the initial strength) --")
        for between in [StoreBenchmarks.Between.nothing, .heartbeats(1), .heartbeats(20), .reconfigure, .reopen] {
            for agents in [50, 5_000] where onlyAgents == nil || onlyAgents == agents {
                let calls = between.isReopen ? (agents == 50 ? 2_000 : 500) : agents == 50 ? 20_000 : 2_000
                let l = try await StoreBenchmarks.decisionFromView(agents: agents, calls: calls, between: between, trails: trails)
                print(String(format: "%5d agents, ", agents) + "\(between): " + l.text)
            }
        }
    }
}

extension StoreBenchmarks.Between {
    var isReopen: Bool { if case .reopen = self { return true } else { return false } }
}

if ProcessInfo.processInfo.environment["COLONY_SWARM_BENCH_ONLY"] == "view" {
    // The from-the-view figures alone (about a minute); also for profiling: perf record -g colony-swarm-bench.
    try await decisionsFromView()
    exit(0)
}

print("== assignment decision, pure core (filter eligible, τ with lazy evaporation, η, roulette) ==")
_ = DecisionBenchmark.run(agents: 50, decisions: 20_000)  // warm-up
print("   50 agents: " + DecisionBenchmark.run(agents: 50, decisions: 200_000).text)
print(" 5000 agents: " + DecisionBenchmark.run(agents: 5_000, decisions: 20_000).text)

try await decisionsFromView()

print("== assignments/s through the library into a real store (50 agents; 100,000 / 20,000 / 2,000 tasks for batches of 1,000 / 100 / 1) ==")
for durable in [true, false] {
    for batch in [1_000, 100, 1] {
        let tasks = batch == 1_000 ? 100_000 : batch == 100 ? 20_000 : 2_000
        let r = try await StoreBenchmarks.assignmentThroughput(agents: 50, tasks: tasks, batch: batch, durable: durable)
        print(String(format: "%@ batch %5d: %9.0f assignments/s   per assign call: ", durable ? "durable " : "buffered", batch, r.perSecond) + r.perCall.text)
        if durable && batch == 1_000 {
            print(String(format: "   rebuild of the swarm view afterwards: %llu events at %.0f events/s", r.rebuild.events, r.rebuild.perSecond))
        }
    }
}

print("== castVote cost (validation read, one append, projection reads/writes 1 proposal + 1 ballot) ==")
// Three rounds, the voter counts interleaved, so a burst of load from elsewhere on the machine
// does not land on one size only; the summary takes the median round of each.
for durable in [false, true] {
    var p50s: [Int: [Double]] = [:], p99s: [Int: [Double]] = [:]
    for round in 1...3 {
        for voters in [10, 1_000, 10_000] {
            let l = try await StoreBenchmarks.voteCost(voters: voters, votes: durable ? 1_000 : 5_000, durable: durable)
            p50s[voters, default: []].append(l.p50)
            p99s[voters, default: []].append(l.p99)
            print(String(format: "%@ round %d %6d voters: ", durable ? "durable " : "buffered", round, voters) + l.text)
        }
    }
    for voters in [10, 1_000, 10_000] {
        let m50 = p50s[voters]!.sorted()[1], m99 = p99s[voters]!.sorted()[1]
        print(String(format: "%@ median of 3 rounds, %6d voters: p50 %7.2f µs   p99 %7.2f µs", durable ? "durable " : "buffered", voters, m50, m99))
    }
}
