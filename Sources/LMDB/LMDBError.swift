import CLMDB
#if canImport(Glibc)
import Glibc
#endif

/// The one error type of the `LMDB` module.
///
/// It carries LMDB's return code, LMDB's own message for it, and the operation
/// that failed, so a log line says both what went wrong and where:
///
/// ```swift
/// do { try env.write { try $0.put(db, key: k, value: v) } }
/// catch let error as LMDBError where error.code == LMDBError.mapFull { ... }
/// ```
public struct LMDBError: Error, Equatable, Sendable, CustomStringConvertible {
    /// LMDB's return code (`MDB_*`), or a positive `errno` value from the system.
    public let code: Int32
    /// What was being done: `"mdb_txn_commit"`, `"open /path/to/store"`.
    public let operation: String
    /// LMDB's or the system's description of `code`, or our own for codes we define.
    public let message: String

    public init(code: Int32, operation: String, message: String? = nil) {
        self.code = code
        self.operation = operation
        self.message = message ?? String(cString: mdb_strerror(code))
    }

    public var description: String { "\(operation): \(message) (code \(code))" }

    /// Key/data pair already exists (`MDB_KEYEXIST`).
    public static let keyExists: Int32 = MDB_KEYEXIST
    /// Key/data pair not found (`MDB_NOTFOUND`).
    public static let notFound: Int32 = MDB_NOTFOUND
    /// Environment map size reached (`MDB_MAP_FULL`); `Environment.write` grows the map and retries.
    public static let mapFull: Int32 = MDB_MAP_FULL
    /// Another process grew the map (`MDB_MAP_RESIZED`); handled inside `Environment`.
    public static let mapResized: Int32 = MDB_MAP_RESIZED
    /// All reader slots are taken (`MDB_READERS_FULL`).
    public static let readersFull: Int32 = MDB_READERS_FULL
    /// The file is not an LMDB file, or is corrupted (`MDB_INVALID`, `MDB_CORRUPTED`).
    public static let invalid: Int32 = MDB_INVALID
    public static let corrupted: Int32 = MDB_CORRUPTED
    /// A value or key is too large (`MDB_BAD_VALSIZE`).
    public static let badValueSize: Int32 = MDB_BAD_VALSIZE
    /// The transaction has too many dirty pages (`MDB_TXN_FULL`).
    public static let transactionFull: Int32 = MDB_TXN_FULL
    /// Too many named databases (`MDB_DBS_FULL`).
    public static let databasesFull: Int32 = MDB_DBS_FULL
    /// Our own code: the environment is already open in this process.
    public static let alreadyOpenInProcess: Int32 = -40_001
    /// Our own code: the environment was closed.
    public static let closed: Int32 = -40_002

    /// Whether retrying the same operation later may succeed (the map or the reader table was full).
    public var isRetryable: Bool {
        code == LMDBError.mapFull || code == LMDBError.readersFull || code == ENOSPC
    }
}

@inline(__always)
func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
    if rc != 0 { throw LMDBError(code: rc, operation: operation()) }
}
