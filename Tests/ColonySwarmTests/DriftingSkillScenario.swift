import ColonySwarm
import Foundation

/// The simulation's world: agents whose hidden skill per task type drifts over time
/// (a slow sine per pair, with its own period and phase), tasks arriving at random.
///
/// 20 agents, each with 2-3 of 4 capabilities and a capacity of 1-3; 4 task types, each
/// needing one capability; 5,000 tasks arriving every 12 s on average (exponential), each
/// running 2 min on average, over about 17 hours. Skill = clamp(base + amplitude · sin(2πt/period + phase))
/// with base 0.2-0.8, amplitude 0.1-0.4, period 4-12 hours.
enum DriftingSkillScenario {
    static let capabilities = ["swift", "go", "review", "ops"]
    static let taskTypes = ["build", "port", "review", "deploy"]

    static func make(seed: UInt64, agents agentCount: Int = 20, tasks taskCount: Int = 5_000) -> AssignmentSimulation {
        var rng = SplitMix64(seed: seed)
        func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * rng.nextUnitInterval() }
        var agents: [AssignmentSimulation.Agent] = []
        for _ in 0..<agentCount {
            let caps = capabilities.shuffled(using: &rng).prefix(2 + Int(rng.next() % 2))
            agents.append(.init(capabilities: Array(caps), capacity: 1 + Int(rng.next() % 3)))
        }
        struct Skill: Sendable { var base, amplitude, period, phase: Double }
        var skills: [[Skill]] = []
        for _ in 0..<agentCount {
            skills.append(taskTypes.indices.map { _ in
                Skill(base: uniform(0.2, 0.8), amplitude: uniform(0.1, 0.4), period: uniform(4, 12) * 3_600, phase: uniform(0, 2 * .pi))
            })
        }
        var tasks: [AssignmentSimulation.Task] = []
        var time = 0.0
        for _ in 0..<taskCount {
            time += -12 * log(1 - rng.nextUnitInterval())
            let type = Int(rng.next() % UInt64(taskTypes.count))
            let duration = -120 * log(1 - rng.nextUnitInterval())
            tasks.append(.init(arrivalMicroseconds: Int64(time * 1_000_000), type: type, requires: [capabilities[type]],
                               durationMicroseconds: Int64(duration * 1_000_000), outcomeDraw: rng.nextUnitInterval()))
        }
        let frozen = skills
        return AssignmentSimulation(agents: agents, tasks: tasks, taskTypes: taskTypes) { agent, type, micros in
            let s = frozen[agent][type]
            let t = Double(micros) / 1_000_000
            return min(max(s.base + s.amplitude * sin(2 * .pi * t / s.period + s.phase), 0.02), 0.98)
        }
    }
}
