import ColonyStore

extension ColonyStore {
    /// Appends a `swarm.configured` event; later events use these parameters.
    /// Throws `SwarmError.parameterOutOfRange` before appending if one is out of range.
    ///
    /// ```swift
    /// try await store.configureSwarm(SwarmConfiguration(alpha: 1, beta: 2, rho: 0.2))
    /// ```
    @discardableResult
    public func configureSwarm(_ config: SwarmConfiguration, at time: Int64? = nil) async throws -> AppendResult {
        try config.validate()
        _ = try swarmView { _ in () }
        return try await append(NewEvent(stream: SwarmEvents.configStream, kind: SwarmEvents.swarmConfigured,
                                         payload: config.payload, timeMicroseconds: time))
    }

    /// The configuration in force (the defaults until one is appended).
    public func swarmConfiguration() throws -> SwarmConfiguration {
        try swarmView { try $0.config }
    }
}
