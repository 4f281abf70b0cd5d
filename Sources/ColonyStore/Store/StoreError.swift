import LMDB

/// The one error type of `ColonyStore`. Each case says what was wrong and
/// carries what a caller needs to act on it. A thrown append wrote nothing.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stream name was empty, too long, not UTF-8, or held a forbidden byte.
    case invalidStream(String, reason: String)
    /// An event kind was empty, too long, or held characters outside `[A-Za-z0-9._-]`.
    case invalidKind(String, reason: String)
    /// A payload or metadata was larger than the store's limit.
    case payloadTooLarge(field: String, sizeBytes: Int, limitBytes: Int)
    /// A payload or metadata was not valid JSON; `offset` is the byte where parsing failed.
    case invalidJSON(field: String, reason: String, offset: Int)
    /// The stream was not at the version the append expected; nothing was written.
    case wrongExpectedVersion(stream: String, expected: ExpectedVersion, actual: UInt64?)
    /// An event id already in the log was appended again with different content.
    case eventIDConflict(id: EventID, existingPosition: UInt64)
    /// The same event id appears twice in one batch with different content.
    case duplicateEventIDInBatch(id: EventID)
    /// A stored record failed its checksum or could not be decoded; it is not served.
    case corruptRecord(position: UInt64, reason: String)
    /// A stored view or index value could not be decoded.
    case corruptView(view: String, key: String, reason: String)
    /// The write queue stayed full until the deadline. Retry after a short wait.
    case overloaded(queuedEvents: Int, waitedMilliseconds: Int)
    /// A low-priority event was dropped to make room for others. Retry later or accept the loss.
    case shed
    /// The store was closed.
    case closed
    /// The store's format is newer than this build understands.
    case unsupportedFormat(found: UInt32, supported: UInt32)
    /// A projection failed while applying events; the batch it was part of was not committed.
    case projectionFailed(name: String, reason: String)
    /// A call's argument was out of range.
    case invalidArgument(String)
    /// No projection with this name is registered with the store.
    case unknownView(String)
    /// LMDB or the file system failed.
    case storage(LMDBError)
    /// A read-only open (or a command that needs an existing store) found no store at `path`:
    /// no such directory, no `data.mdb`, or a file that is not a Colony store.
    case notAStore(path: String, reason: String)
    /// A backup or export refused to write over something that exists.
    case destinationExists(path: String)
    /// The store's `data.mdb` was deleted (or its directory removed) while the store was open.
    /// Appends are refused: committed to an unlinked file, they would be lost at close.
    /// Reads go on serving what was committed before.
    case storeFileRemoved(path: String)
    /// Reading or writing a file other than the store's own failed (an export's output, an import's input).
    case ioFailed(operation: String, path: String, reason: String)

    /// Whether the same call may succeed if retried later unchanged.
    public var isRetryable: Bool {
        switch self {
        case .overloaded, .shed: return true
        case .storage(let e): return e.isRetryable
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .invalidStream(let s, let r): return "invalid stream \"\(s.prefix(80))\": \(r)"
        case .invalidKind(let k, let r): return "invalid event kind \"\(k.prefix(80))\": \(r)"
        case .payloadTooLarge(let f, let size, let limit): return "\(f) is \(size) bytes, over the limit of \(limit) bytes"
        case .invalidJSON(let f, let r, let o): return "\(f) is not valid JSON: \(r) at byte \(o)"
        case .wrongExpectedVersion(let s, let e, let a):
            return "stream \"\(s)\" expected \(e) but is at \(a.map { "version \($0)" } ?? "no stream")"
        case .eventIDConflict(let id, let p): return "event id \(id) is already at position \(p) with different content"
        case .duplicateEventIDInBatch(let id): return "event id \(id) appears twice in one batch with different content"
        case .corruptRecord(let p, let r): return "record at position \(p) is corrupt: \(r)"
        case .corruptView(let v, let k, let r): return "view \(v) key \"\(k)\" is corrupt: \(r)"
        case .overloaded(let q, let w): return "write queue full (\(q) events queued); waited \(w) ms; retry later"
        case .shed: return "low-priority event shed under load; retry later"
        case .closed: return "the store is closed"
        case .unsupportedFormat(let f, let s): return "store format \(f) is newer than this build supports (\(s)); upgrade colony"
        case .projectionFailed(let n, let r): return "projection \(n) failed: \(r)"
        case .invalidArgument(let m): return m
        case .unknownView(let n): return "no view named \(n) is registered"
        case .storage(let e) where e.code == LMDBError.transactionFull:
            return "storage error: \(e); one append (or one rebuild step) wrote more than one LMDB transaction can hold: split the append into smaller ones"
        case .storage(let e): return "storage error: \(e)"
        case .notAStore(let p, let r): return "\(p) is not a Colony store: \(r)"
        case .destinationExists(let p): return "\(p) exists and is not empty; refusing to write over it"
        case .storeFileRemoved(let p):
            return "the store's data file \(p)/data.mdb was deleted while the store was open; appends are refused because they would be lost (reads still serve what was committed); restore the directory from a backup or open the store again"
        case .ioFailed(let o, let p, let r): return "\(o) \(p): \(r)"
        }
    }
}

extension StoreError {
    /// Runs `body`, turning an `LMDBError` into `StoreError.storage`.
    @inline(__always)
    static func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() }
        catch let e as LMDBError { throw StoreError.storage(e) }
    }
}
