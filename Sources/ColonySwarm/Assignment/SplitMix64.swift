/// A small, fast, seeded random number generator (Steele, Lea and Flood's SplitMix64).
///
/// Assignment draws from it so a decision is reproducible from its seed, which
/// the `task.assigned` event records; a replay reads the chosen agent from the
/// event and never draws again.
///
/// ```swift
/// var rng = SplitMix64(seed: 42)
/// let u = rng.nextUnitInterval()   // in [0, 1)
/// ```
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state.
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1) from the top 53 bits.
    @inlinable
    public mutating func nextUnitInterval() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// The seed of the `index`-th decision of a batch seeded with `seed`: decisions
    /// of one batch draw from independent streams, each reproducible on its own.
    @inlinable
    public static func derive(_ seed: UInt64, index: Int) -> UInt64 {
        var g = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
        return g.next()
    }
}
