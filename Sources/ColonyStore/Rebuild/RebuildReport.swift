/// What `ColonyStore.rebuild(view:progress:)` did.
public struct RebuildReport: Sendable, Codable, Equatable {
    /// The views rebuilt and swapped in.
    public var views: [String]
    /// For each view, the position its rebuild started from: 0 for a fresh rebuild, more
    /// when it resumed the shadow tables of an interrupted one.
    public var resumedFrom: [String: UInt64]
    /// Events applied by this call, summed over the views: an event applied to two views counts twice.
    public var eventsApplied: UInt64
    /// Events of the log this call applied, each counted once however many views it rebuilt:
    /// from the earliest position a view started from to `position`.
    public var logEvents: UInt64
    /// The head of the log when the rebuilt views were swapped in: their checkpoint.
    public var position: UInt64
    /// Keys in the rebuilt live tables: copied there by the swap, or written there by a
    /// rebuild that was one transaction.
    public var entriesSwapped: Int
}
