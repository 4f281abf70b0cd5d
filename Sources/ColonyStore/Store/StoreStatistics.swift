import Foundation
import LMDB

/// A snapshot of a store's size, activity and view lag.
public struct StoreStatistics: Sendable, Codable {
    public struct View: Sendable, Codable {
        public var name: String
        public var version: UInt32
        public var checkpoint: UInt64
        public var lagEvents: UInt64
        public var entries: Int
    }

    public var path: String
    public var headPosition: UInt64
    public var streams: Int
    public var fileSizeBytes: Int
    public var usedBytes: Int
    public var mapSizeBytes: Int
    public var readersInUse: Int
    public var maxReaders: Int
    public var durability: String
    public var views: [View]
    /// This process's writer since the store opened.
    public var batchesCommitted: Int
    public var eventsCommitted: Int
    public var queueDepthEvents: Int
    public var maxQueueDepthEvents: Int
    public var largestBatchEvents: Int
    public var shedEvents: Int
    public var overloadedAppends: Int
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
