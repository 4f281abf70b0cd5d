import Foundation

/// Writes a store's events as NDJSON (docs/ndjson.md), one line per event,
/// in log order.
///
/// ```swift
/// var exporter = NDJSONExporter(filter: EventFilter(afterPosition: lastShipped, scope: "acme"))
/// let summary = try exporter.export(from: store, toFile: "/backups/acme.ndjson")
/// lastShipped = summary.headPosition
/// ```
///
/// The export takes the events up to the head as it was when the export
/// started; events appended meanwhile are left for the next one. It reads
/// the log in chunks, each in its own short read transaction, so a slow
/// output never holds a snapshot of the store open (the log never changes
/// what it has committed, so the chunks together are one consistent prefix).
public struct NDJSONExporter: Sendable {
    /// What an export wrote.
    public struct Summary: Sendable, Codable, Equatable {
        /// Lines written: the events that passed the filter.
        public var events: UInt64 = 0
        /// Events read from the log, passing the filter or not.
        public var scanned: UInt64 = 0
        /// The position of the last event written; 0 when none was.
        public var lastPosition: UInt64 = 0
        /// The head the export read up to: pass it as the next export's `afterPosition`.
        public var headPosition: UInt64 = 0
    }

    /// Which events to write.
    public var filter: EventFilter
    /// Events read per read transaction.
    public var chunkEvents = 4_096

    public init(filter: EventFilter = EventFilter()) {
        self.filter = filter
    }

    /// Writes the events to `sink`, a chunk of whole lines at a time (the
    /// buffer is valid only during the call). An error `sink` throws ends the export.
    public func export(from store: ColonyStore, to sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Summary {
        let matcher = EventFilter.Matcher(filter)
        var summary = Summary()
        if filter.afterPosition == 0 { store.warmPageCache() }
        let head = try store.headPosition()
        let last = min(head, filter.throughPosition ?? head)
        summary.headPosition = last
        var next = filter.afterPosition + 1
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        while next <= last {
            let limit = Int(min(UInt64(max(chunkEvents, 1)), last - next + 1))
            var read = 0
            try store.read { txn in
                try store.log.scanRecords(from: next, limit: limit, txn) { position, record, layout in
                    guard position == next else {
                        throw StoreError.corruptRecord(position: next, reason: "missing from the log (the next key is \(position))")
                    }
                    next += 1
                    read += 1
                    if matcher.matches(position: position, record: record, layout: layout) {
                        NDJSONEncoder.append(position: position, record: record, layout: layout, to: &buffer)
                        summary.events += 1
                        summary.lastPosition = position
                    }
                    return true
                }
            }
            if read < limit { throw StoreError.corruptRecord(position: next, reason: "missing from the log before the head \(head)") }
            summary.scanned += UInt64(read)
            if !buffer.isEmpty {
                try buffer.withUnsafeBytes { try sink($0) }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        return summary
    }

    /// Writes the events to an open file descriptor (left open).
    public func export(from store: ColonyStore, toFileDescriptor fd: Int32, name: String = "output") throws -> Summary {
        try export(from: store) { try FileOutput.writeAll($0, to: fd, name: name) }
    }

    /// Writes the events to a new file at `path`, refusing one that exists
    /// (`StoreError.destinationExists`). The file, and its name in its directory, are
    /// flushed to disk before this returns; the file is removed if the export fails.
    /// `written` sees each chunk once it is in the file (a progress report counts its lines).
    public func export(from store: ColonyStore, toFile path: String,
                       written: (UnsafeRawBufferPointer) -> Void = { _ in }) throws -> Summary {
        // O_EXCL already refuses an existing path, a symbolic link included; O_NOFOLLOW says so.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { throw StoreError.destinationExists(path: path) }
            throw StoreError.ioFailed(operation: "create", path: path, reason: String(cString: strerror(errno)))
        }
        do {
            let summary = try export(from: store) { chunk in
                try FileOutput.writeAll(chunk, to: fd, name: path)
                written(chunk)
            }
            guard fsync(fd) == 0 else {
                throw StoreError.ioFailed(operation: "fsync", path: path, reason: String(cString: strerror(errno)))
            }
            // The file's flush does not make its new name durable: its directory's does.
            try ColonyStore.syncDirectory(containing: path)
            close(fd)
            return summary
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
    }
}

extension ColonyStore {
    /// Exports the events after position `since` (and, when given, whose stream
    /// starts with `streamPrefix`) as NDJSON to a new file. See `NDJSONExporter`.
    ///
    /// ```swift
    /// let summary = try store.export(to: "/tmp/all.ndjson")
    /// ```
    @discardableResult
    public func export(to path: String, since: UInt64 = 0, streamPrefix: String? = nil) throws -> NDJSONExporter.Summary {
        try NDJSONExporter(filter: EventFilter(afterPosition: since, streamPrefix: streamPrefix)).export(from: self, toFile: path)
    }
}

/// Writing whole buffers to file descriptors.
enum FileOutput {
    /// Writes every byte of `bytes`, retrying short writes and interruptions.
    static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32, name: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw StoreError.ioFailed(operation: "write", path: name, reason: String(cString: strerror(errno)))
        }
    }
}
