import Foundation
import LMDB

/// A snapshot of a store's size, activity and view lag.
public struct StoreStatistics: Sendable, Codable {
    /// One projection's view.
    public struct View: Sendable, Codable {
        /// The projection's name.
        public var name: String
        /// The projection's version.
        public var version: UInt32
        /// The last position applied to the view.
        public var checkpoint: UInt64
        /// Events in the log not yet applied (0 when current).
        public var lagEvents: UInt64
        /// Keys in the view's main table.
        public var entries: Int
    }

    /// The store directory.
    public var path: String
    /// The position of the last event (0 for an empty log).
    public var headPosition: UInt64
    /// Streams with at least one event.
    public var streams: Int
    /// Size of `data.mdb` on disk.
    public var fileSizeBytes: Int
    /// Bytes of the map in use (pages up to the last written).
    public var usedBytes: Int
    /// The current memory map size (grows when full).
    public var mapSizeBytes: Int
    /// Reader slots in use, by all processes.
    public var readersInUse: Int
    /// Reader slots available.
    public var maxReaders: Int
    /// `durable` or `buffered(N ms)`.
    public var durability: String
    /// Each registered projection's view.
    public var views: [View]
    /// This process's writer since the store opened.
    public var batchesCommitted: Int
    /// Events this process's writer committed.
    public var eventsCommitted: Int
    /// Events waiting in the write queue now.
    public var queueDepthEvents: Int
    /// The deepest the write queue has been.
    public var maxQueueDepthEvents: Int
    /// The most events committed in one transaction.
    public var largestBatchEvents: Int
    /// Low-priority events shed under load.
    public var shedEvents: Int
    /// Appends that failed with `overloaded` after waiting for room.
    public var overloadedAppends: Int
    /// Appends that failed in the writer (conflicts, storage errors).
    public var failedAppends: Int
    /// Why views that are behind the log could not catch up, if the last attempt failed.
    public var viewCatchUpError: String?
}

extension ColonyStore {
    /// Sizes, head, view checkpoints and lag, and this process's writer counters.
    public func statistics() throws -> StoreStatistics {
        if isClosed { throw StoreError.closed }  // env.info() on a closed environment reads freed memory
        let info = try StoreError.wrap { try env.info() }
        let counters = writer?.snapshot ?? GroupCommitWriter.Counters()
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as? Int) ?? 0
        return try read { txn in
            let head = try log.head(txn)
            let lags = try projections.lags(txn, head: head)
            var views: [StoreStatistics.View] = []
            for (entry, lag) in zip(projections.entries, lags) {
                views.append(.init(name: lag.name, version: lag.version, checkpoint: lag.position,
                                   lagEvents: head > lag.position ? head - lag.position : 0,
                                   entries: try txn.count(entry.main)))
            }
            let durability: String
            switch options.durability {
            case .durable: durability = "durable"
            case .buffered(let ms): durability = "buffered(\(ms) ms)"
            }
            return StoreStatistics(
                path: path, headPosition: head, streams: try txn.count(layout.streams),
                fileSizeBytes: fileSize, usedBytes: info.usedBytes, mapSizeBytes: info.mapSizeBytes,
                readersInUse: info.readersInUse, maxReaders: info.maxReaders, durability: durability, views: views,
                batchesCommitted: counters.batches, eventsCommitted: counters.committedEvents,
                queueDepthEvents: counters.queueDepthEvents, maxQueueDepthEvents: counters.maxQueueDepthEvents,
                largestBatchEvents: counters.largestBatchEvents, shedEvents: counters.shedEvents,
                overloadedAppends: counters.overloadedAppends, failedAppends: counters.failedAppends,
                viewCatchUpError: counters.lastViewError)
        }
    }
}
