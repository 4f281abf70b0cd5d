/// How a store is opened and how its writer behaves.
///
/// ```swift
/// var options = StoreOptions()
/// options.durability = .buffered(syncIntervalMilliseconds: 50)
/// options.writer.queueCapacityEvents = 100_000
/// let store = try ColonyStore.open(at: path, options: options)
/// ```
public struct StoreOptions: Sendable {
    /// When an append is acknowledged.
    public enum Durability: Sendable, Equatable {
        /// Acknowledged after the batch's commit is on stable storage (fsync).
        /// Survives process crashes, OS crashes and power loss.
        case durable
        /// Acknowledged after the batch's commit reaches the OS page cache; the
        /// writer flushes to disk at most `syncIntervalMilliseconds` later.
        /// Survives process crashes (SIGKILL) without loss; an OS crash or
        /// power loss may lose what was acknowledged in the last window.
        case buffered(syncIntervalMilliseconds: Int)
    }

    /// The group-commit writer's limits.
    public struct Writer: Sendable {
        /// Events that may wait in the queue; further appends wait, then fail with `overloaded`.
        public var queueCapacityEvents = 65_536
        /// At most this many events per commit.
        public var maxBatchEvents = 8_192
        /// At most about this many bytes of events per commit.
        public var maxBatchBytes = 16 << 20
        /// How long the writer waits for more appends before committing a batch
        /// smaller than `maxBatchEvents`. 0 commits as soon as the previous commit ends,
        /// which batches naturally under load.
        public var maxBatchDelayMicroseconds = 0
        /// How long an append waits for room in a full queue before failing with `overloaded`.
        public var enqueueTimeoutMilliseconds = 1_000
        /// Low-priority events are shed once the queue is fuller than this fraction.
        public var lowPriorityShedFraction = 0.5
        /// At most this many log events applied per transaction when a view catches up
        /// while the store is serving appends (bounds the latency one catch-up adds).
        public var catchUpBudgetEvents = 65_536
        /// Log events per transaction when rebuilding a view, or catching it up while the
        /// store opens. Larger chunks write each view key fewer times; a chunk that makes
        /// the transaction too large for LMDB is halved and retried.
        public var rebuildChunkEvents = 1_000_000
        public init() {}
    }

    /// When appends are acknowledged; `.durable` by default.
    public var durability: Durability = .durable
    /// The group-commit writer's limits.
    public var writer = Writer()
    /// Largest payload accepted (bytes).
    public var maxPayloadBytes = 1 << 20
    /// Largest metadata accepted (bytes).
    public var maxMetadataBytes = 64 << 10
    /// Initial memory map size; it grows by doubling when full.
    public var mapSizeBytes = 1 << 30
    /// The store never grows past this; appends then fail with a retryable storage error.
    public var maxMapSizeBytes = 1 << 40
    /// Open read-only: no writer, no rebuilds; reads and subscriptions only.
    public var readOnly = false
    /// How often subscriptions look for events committed by other processes.
    public var subscriptionPollIntervalMilliseconds = 20

    public init() {}
}
