import Foundation

/// Appends the events of an NDJSON file (docs/ndjson.md) to a store,
/// idempotently and batch by batch.
///
/// ```swift
/// let summary = try await NDJSONImporter(store: store).importFile(atPath: "/backups/acme.ndjson")
/// print(summary.imported, summary.duplicates)
/// for e in summary.errors { print("line \(e.line): \(e.message)") }
/// ```
///
/// - **Every line is checked** as an append would check it (JSON, id, stream,
///   kind, sizes); blank lines are skipped. Bad lines are reported by line
///   number, the first `maxReportedErrors` of them, and counted.
/// - **Idempotent by event id.** An event whose id is already in the store
///   with the same content is a duplicate and is not written again, so running
///   the same import twice, or after an interruption, is safe. The same id with
///   different content is a bad line.
/// - **All or nothing per batch** of `batchLines` lines (or fewer, to keep under
///   `maxBatchBytes`): each batch is one append, one transaction. The first batch
///   holding a bad line is not written, and nothing after it is either, so the
///   store holds the file up to a batch boundary and the events keep their order;
///   the rest of the file is still checked so that every bad line is reported.
/// - Each event keeps its id, time, kind, stream, metadata, payload and priority.
///   The store assigns positions and stream versions: imported in order into
///   an empty store, they are those of the export.
public struct NDJSONImporter: Sendable {
    /// Batching and reporting limits.
    public struct Options: Sendable {
        /// Lines per batch (one append, one transaction).
        public var batchLines = 1_000
        /// A batch ends early once its lines hold this many bytes.
        public var maxBatchBytes = 8 << 20
        /// Bad lines reported with their message; the rest are only counted.
        public var maxReportedErrors = 100
        /// Lines longer than this are bad lines (and are not read into memory).
        public var maxLineBytes = 16 << 20

        public init() {}
    }

    /// A line that was refused.
    public struct LineError: Sendable, Codable, Equatable, CustomStringConvertible {
        /// The line number, from 1 (blank lines count).
        public var line: Int
        /// What is wrong with it.
        public var message: String

        public var description: String { "line \(line): \(message)" }
    }

    /// What an import did.
    public struct Summary: Sendable, Codable, Equatable {
        /// Lines read, blank lines aside.
        public var lines = 0
        /// Events appended.
        public var imported = 0
        /// Events already in the store with the same content, not written again.
        public var duplicates = 0
        /// Batches committed.
        public var batches = 0
        /// Lines refused.
        public var invalidLines = 0
        /// The first `maxReportedErrors` refused lines, in order.
        public var errors: [LineError] = []
        /// When a batch was refused: its first line. Nothing from this line on was written.
        public var firstLineNotImported: Int?

        /// Whether every line was good and every batch was written.
        public var isComplete: Bool { invalidLines == 0 && firstLineNotImported == nil }
    }

    /// The store the events go to (opened for writing).
    public let store: ColonyStore
    /// Batching and reporting limits.
    public var options: Options

    public init(store: ColonyStore, options: Options = Options()) {
        self.store = store
        self.options = options
    }

    /// Imports the file at `path`. Throws `StoreError.ioFailed` if it cannot be read,
    /// and storage errors; bad lines are reported in the summary, not thrown.
    public func importFile(atPath path: String, progress: ((Summary) -> Void)? = nil) async throws -> Summary {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.ioFailed(operation: "open", path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        return try await importLines(from: LineReader(fileDescriptor: fd, maxLineBytes: options.maxLineBytes), progress: progress)
    }

    /// Imports every line `reader` gives. `progress` is called after each batch.
    public func importLines(from reader: LineReader, progress: ((Summary) -> Void)? = nil) async throws -> Summary {
        var summary = Summary()
        var batch = Batch()
        var lineNumber = 0
        while let line = try reader.next() {
            lineNumber += 1
            switch line {
            case .tooLong(let bytes):
                summary.lines += 1
                batch.add(line: lineNumber, bytes: 0)
                refuse(lineNumber, "the line is \(bytes) bytes, longer than the limit of \(reader.maxLineBytes)", &batch, &summary)
            case .text(let bytes):
                if bytes.allSatisfy(JSONText.isWhitespace) { continue }
                summary.lines += 1
                batch.add(line: lineNumber, bytes: bytes.count)
                do {
                    batch.events.append((lineNumber, try NDJSONDecoder.decode(bytes[...], options: store.options).event))
                } catch {
                    refuse(lineNumber, error.description, &batch, &summary)
                }
            }
            if batch.lines >= options.batchLines || batch.bytes >= options.maxBatchBytes {
                try await flush(&batch, &summary)
                progress?(summary)
            }
        }
        if batch.lines > 0 {
            try await flush(&batch, &summary)
            progress?(summary)
        }
        summary.errors.sort { $0.line < $1.line }  // id conflicts are found after the batch's other errors
        return summary
    }

    // MARK: Batches

    private struct Batch {
        var firstLine = 0
        var lines = 0
        var bytes = 0
        var events: [(line: Int, event: NewEvent)] = []
        var isBad = false

        mutating func add(line: Int, bytes: Int) {
            if lines == 0 { firstLine = line }
            lines += 1
            self.bytes += bytes
        }
    }

    private func refuse(_ line: Int, _ message: String, _ batch: inout Batch, _ summary: inout Summary) {
        batch.isBad = true
        summary.invalidLines += 1
        if summary.errors.count < options.maxReportedErrors { summary.errors.append(LineError(line: line, message: message)) }
    }

    /// Checks the batch against the store, then appends it if it is good and nothing before it was refused.
    private func flush(_ batch: inout Batch, _ summary: inout Summary) async throws {
        defer { batch = Batch() }
        try checkIDs(&batch, &summary)
        if summary.firstLineNotImported != nil { return }
        if batch.isBad {
            summary.firstLineNotImported = batch.firstLine
            return
        }
        guard !batch.events.isEmpty else { return }
        let events = batch.events.map(\.event)
        var attempts = 0
        while true {
            do {
                let result = try await store.append(events)
                summary.imported += result.positions.count - result.duplicates
                summary.duplicates += result.duplicates
                summary.batches += 1
                return
            } catch let error as StoreError where error.isRetryable && attempts < 200 {
                attempts += 1  // the store is busy: wait for room rather than fail the import
                try await Task.sleep(nanoseconds: 50_000_000)
            } catch let error as StoreError {
                switch error {
                case .eventIDConflict(let id, _), .duplicateEventIDInBatch(let id):
                    // Written by someone else since the check: the same refusal the check gives.
                    let line = batch.events.first { $0.event.id == id }?.line ?? batch.firstLine
                    refuse(line, error.description, &batch, &summary)
                    summary.firstLineNotImported = batch.firstLine
                    return
                default:
                    throw error
                }
            }
        }
    }

    /// Refuses lines whose event id is in the store, or earlier in the batch, with other content.
    private func checkIDs(_ batch: inout Batch, _ summary: inout Summary) throws {
        var conflicts: [(Int, String)] = []
        try store.read { txn in
            var seen: [EventID: Int] = [:]
            for (i, item) in batch.events.enumerated() {
                let id = item.event.id
                if let j = seen[id] {
                    if !EventLog.sameContent(batch.events[j].event, item.event) {
                        conflicts.append((item.line, "event id \(id) is also on line \(batch.events[j].line), with different content"))
                    }
                    continue
                }
                seen[id] = i
                guard let position = try store.log.position(of: id, txn) else { continue }
                guard let stored = try store.log.event(at: position, txn) else {
                    throw StoreError.corruptView(view: "event-ids", key: id.description, reason: "points at missing position \(position)")
                }
                if !EventLog.sameContent(stored.asNewEvent, item.event) {
                    conflicts.append((item.line, "event id \(id) is already in the store at position \(position) with different content"))
                }
            }
        }
        for (line, message) in conflicts { refuse(line, message, &batch, &summary) }
    }
}

extension ColonyStore {
    /// Imports an NDJSON file with the default options. See `NDJSONImporter`.
    ///
    /// ```swift
    /// let summary = try await store.importNDJSON(atPath: "/tmp/all.ndjson")
    /// ```
    public func importNDJSON(atPath path: String) async throws -> NDJSONImporter.Summary {
        try await NDJSONImporter(store: self).importFile(atPath: path)
    }
}
