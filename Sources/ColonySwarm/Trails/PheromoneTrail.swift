import Foundation

/// The pheromone on one (agent, task type) pair, evaporating lazily.
///
/// Only the strength at the last touch and the time of that touch are stored;
/// the strength at any later time is computed when read:
/// `τ(t) = clamp(τ₀ · (1 − ρ)^((t − t₀) / unit), τmin, τmax)`. So a read and a
/// deposit are O(1) and nothing ever sweeps the trails. Times are event
/// timestamps (microseconds), never the clock, so a replay gives the same trails;
/// a time before the last touch evaporates nothing (clocks of several writers may
/// disagree a little).
///
/// ```swift
/// let config = SwarmConfiguration()
/// var trail = PheromoneTrail(initial: config, at: t0)
/// trail.deposit(config.deposit, at: t0 + 30_000_000, config: config)
/// let tau = trail.strength(at: t0 + 90_000_000, config: config)
/// ```
public struct PheromoneTrail: Sendable, Equatable {
    /// The strength when last touched.
    public var strength: Double
    /// When it was last touched, microseconds since the epoch.
    public var touchedMicroseconds: Int64

    public init(strength: Double, touchedMicroseconds: Int64) {
        self.strength = strength
        self.touchedMicroseconds = touchedMicroseconds
    }

    /// A fresh trail at the configured initial strength.
    public init(initial config: SwarmConfiguration, at time: Int64) {
        self.init(strength: config.trailInitial, touchedMicroseconds: time)
    }

    /// The strength at `time`, evaporated since the last touch and kept within the bounds.
    @inlinable
    public func strength(at time: Int64, config: SwarmConfiguration) -> Double {
        let elapsed = time > touchedMicroseconds ? Double(time - touchedMicroseconds) : 0
        var tau = strength
        if elapsed > 0 {
            tau *= Foundation.pow(1 - config.rho, elapsed / Double(config.timeUnitMicroseconds))
        }
        return min(max(tau, config.trailMinimum), config.trailMaximum)
    }

    /// Evaporates up to `time`, then adds `amount`, keeping the result within the bounds.
    @inlinable
    public mutating func deposit(_ amount: Double, at time: Int64, config: SwarmConfiguration) {
        let now = max(time, touchedMicroseconds)
        strength = min(max(strength(at: now, config: config) + max(amount, 0), config.trailMinimum), config.trailMaximum)
        touchedMicroseconds = now
    }
}
