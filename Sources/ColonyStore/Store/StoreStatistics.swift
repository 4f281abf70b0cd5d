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

    /// One of the store's LMDB databases.
    public struct Table: Sendable, Codable, Equatable {
        /// `events`, `streams`, `view:context`…
        public var name: String
        /// Key/value pairs.
        public var entries: Int
        /// Bytes of the pages it uses.
        public var sizeBytes: Int
    }

    /// The store directory.
    public var path: String
    /// The store's format (`meta/format`).
    public var format: UInt32
    /// The position of the last event (0 for an empty log).
    public var headPosition: UInt64
    /// Events in the log (equal to the head: positions are dense).
    public var events: UInt64
    /// Streams with at least one event.
    public var streams: Int
    /// Size of `data.mdb` on disk.
    public var fileSizeBytes: Int
    /// Bytes of the map in use (pages up to the last written).
    public var usedBytes: Int
    /// The current memory map size (grows when full).
    public var mapSizeBytes: Int
    /// Reader slots held, by all processes (this one's included).
    public var readersInUse: Int
    /// Of those, the slots with a read transaction open now.
    public var readersReading: Int
    /// The processes holding reader slots.
    public var readerProcessIDs: [Int32]
    /// Reader slots available.
    public var maxReaders: Int
    /// `durable` or `buffered(N ms)`.
    public var durability: String
    /// Each registered projection's view.
    public var views: [View]
    /// Views the store has (they have a checkpoint) whose projection is not registered with
    /// this instance: their checkpoint, lag and keys; `version` is the one that built them.
    public var otherViews: [View]
    /// Views whose rebuild stopped part-way (`colony rebuild` resumes it), and the
    /// position its shadow tables reached.
    public var unfinishedRebuilds: [String: UInt64]
    /// Every database of the store, by name, with its entries and size.
    public var tables: [Table]
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
    /// How long this process's writer spent inside each batch's transaction: the checks,
    /// the log's records and every view's update.
    public var batchWork: Latency
    /// How long LMDB's commit of each batch took: its pages written and, in durable mode, the
    /// two device flushes (the data, then the meta page). An append waits for the commit in
    /// flight and then its own, so this is most of a durable append's latency under load.
    public var batchCommit: Latency

    /// Quantiles of a duration recorded once per committed batch. Each is the upper bound of
    /// a log-linear bucket, at most 1/16 (6.25%) above the durations it counts.
    public struct Latency: Sendable, Codable, Equatable {
        /// Batches recorded.
        public var count: UInt64
        /// Half the batches took at most this long.
        public var p50Nanoseconds: UInt64
        /// 99% of the batches took at most this long.
        public var p99Nanoseconds: UInt64
        /// The longest batch.
        public var maxNanoseconds: UInt64
        /// All the recorded durations added up.
        public var sumNanoseconds: UInt64

        init(_ h: LatencyHistogram) {
            count = h.total
            sumNanoseconds = h.sumNanoseconds
            p50Nanoseconds = h.quantile(0.5)
            p99Nanoseconds = h.quantile(0.99)
            maxNanoseconds = h.quantile(1)
        }
    }
}

extension ColonyStore {
    /// Sizes (of the file and of each database), head, events, view checkpoints and lag,
    /// reader slots, and this process's writer counters.
    public func statistics() throws -> StoreStatistics {
        if isClosed { throw StoreError.closed }  // env.info() on a closed environment reads freed memory
        let info = try StoreError.wrap { try env.info() }
        let counters = writer?.snapshot ?? GroupCommitWriter.Counters()
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as? Int) ?? 0
        let tables = try StoreError.wrap { try env.namedDatabases() }
        // Slots of dead processes are freed first, so the count is of live readers.
        _ = try? env.checkReaders()
        let readers = try StoreError.wrap { try env.readers() }
        return try read { txn in
            let head = try log.head(txn)
            let lags = try projections.lags(txn, head: head)
            var views: [StoreStatistics.View] = []
            for (entry, lag) in zip(projections.entries, lags) {
                views.append(.init(name: lag.name, version: lag.version, checkpoint: lag.position,
                                   lagEvents: head > lag.position ? head - lag.position : 0,
                                   entries: try txn.count(entry.main)))
            }
            var otherViews: [StoreStatistics.View] = []
            let registered = Set(projections.entries.map(\.name))
            try txn.scan(layout.checkpoints, prefix: []) { key, value in
                let name = String(decoding: key, as: UTF8.self)
                guard !registered.contains(name), value.count == 12, ViewRebuild.view(ofCheckpointKey: key) == nil else { return true }
                let position = Bytes.readUInt64LE(value, at: 0)
                otherViews.append(.init(name: name, version: Bytes.readUInt32LE(value, at: 8), checkpoint: position,
                                        lagEvents: head > position ? head - position : 0,
                                        entries: tables.first { $0.name == "view:\(name)" }?.statistics.entries ?? 0))
                return true
            }
            let format = try txn.get(layout.meta, key: StoreLayout.formatKey).flatMap { $0.count == 4 ? Bytes.readUInt32LE($0) : nil } ?? 0
            let durability: String
            switch options.durability {
            case .durable: durability = "durable"
            case .buffered(let ms): durability = "buffered(\(ms) ms)"
            }
            return StoreStatistics(
                path: path, format: format, headPosition: head, events: UInt64(try txn.count(layout.events)),
                streams: try txn.count(layout.streams),
                fileSizeBytes: fileSize, usedBytes: info.usedBytes, mapSizeBytes: info.mapSizeBytes,
                readersInUse: readers.count, readersReading: readers.filter { $0.transactionID != nil }.count,
                readerProcessIDs: Array(Set(readers.map(\.processID))).sorted(),
                maxReaders: info.maxReaders, durability: durability, views: views, otherViews: otherViews,
                unfinishedRebuilds: try ViewRebuild.unfinished(layout, txn),
                tables: tables.map { .init(name: $0.name, entries: $0.statistics.entries, sizeBytes: $0.statistics.sizeBytes) },
                batchesCommitted: counters.batches, eventsCommitted: counters.committedEvents,
                queueDepthEvents: counters.queueDepthEvents, maxQueueDepthEvents: counters.maxQueueDepthEvents,
                largestBatchEvents: counters.largestBatchEvents, shedEvents: counters.shedEvents,
                overloadedAppends: counters.overloadedAppends, failedAppends: counters.failedAppends,
                viewCatchUpError: counters.lastViewError,
                batchWork: .init(counters.workTimes), batchCommit: .init(counters.commitTimes))
        }
    }
}
