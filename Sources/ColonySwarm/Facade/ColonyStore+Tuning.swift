import ColonyStore

extension ColonyStore {
    /// Replays the store's swarm history as a simulation (see `AssignmentHistory`) and searches
    /// α, β, ρ by particle swarm optimisation to maximise the simulated success rate, starting
    /// from the configuration in force. Deterministic for a seed. Reads the whole log: O(log size).
    /// Nothing is written; pass `result.best` to `configureSwarm` to adopt it. Needs only the
    /// log (the configuration in force is the last `swarm.configured` event), so it works on a
    /// store opened read-only, with or without the swarm view.
    public func tuneSwarm(seed: UInt64, particles: Int = 10, iterations: Int = 8, runs: Int = 2) throws -> TuningResult {
        guard (1...100).contains(particles), (0...100).contains(iterations), (1...20).contains(runs) else {
            throw SwarmError.parameterOutOfRange(name: "particles/iterations/runs", value: "\(particles)/\(iterations)/\(runs)",
                                                 allowed: "1...100 / 0...100 / 1...20")
        }
        let current = try readStream(SwarmEvents.configStream, direction: .backward, limit: 1).first
            .flatMap { SwarmConfiguration(payload: PayloadReader($0.payload)) } ?? SwarmConfiguration()
        let history = try AssignmentHistory(store: self, seed: seed)
        let tuner = SwarmTuner(seed: seed, particles: particles, iterations: iterations, runsPerSimulation: runs)
        return tuner.tune([history.simulation], from: current)
    }
}
