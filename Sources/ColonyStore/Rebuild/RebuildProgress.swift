/// Where a rebuild is, reported as it goes (`ColonyStore.rebuild(view:progress:)`).
public struct RebuildProgress: Sendable {
    /// What the rebuild is doing.
    public enum Phase: Sendable, Equatable {
        /// Applying the log to the shadow tables of `view` (or to its live tables, in a rebuild
        /// that is one transaction).
        case applying
        /// Putting the rebuilt tables in place of the live ones (the last transaction): copying
        /// the shadow over them, or, in a rebuild that is one transaction, about to commit.
        case swapping
    }

    public var phase: Phase
    /// The view being worked on.
    public var view: String
    /// That view's position in the log: the last event applied to its rebuilt tables.
    public var position: UInt64
    /// The head of the log as this chunk saw it (it moves while others append).
    public var head: UInt64
    /// Events applied by this call, summed over the views rebuilt.
    public var eventsApplied: UInt64
    /// Events this call has to apply to reach `head`, summed over the views (`eventsApplied` included).
    public var eventsTotal: UInt64
    /// `eventsApplied` in log events, each counted once however many views are rebuilt: the
    /// applications shared out over the views (exact when the views started from one position,
    /// as a fresh rebuild's do).
    public var logEventsApplied: UInt64
    /// Log events from the earliest position a view started from to `head`.
    public var logEventsTotal: UInt64
}
