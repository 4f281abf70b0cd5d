/// What an append did.
public struct AppendResult: Sendable, Equatable {
    /// The position of each event of the batch, in order. For an event whose id
    /// was already in the log, the position it was first appended at.
    public var positions: [UInt64]
    /// How many of the batch's events were already in the log and were not written again.
    public var duplicates: Int
    /// The stream version after the append, for the batch's (last) stream.
    public var streamVersion: UInt64

    /// The position of the last event of the batch.
    public var lastPosition: UInt64 { positions.last ?? 0 }
}
