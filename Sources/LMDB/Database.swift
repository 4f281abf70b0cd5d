import CLMDB

/// A named database (LMDB's "DBI") inside an `Environment`.
///
/// Handles are cheap values; they stay valid until the environment closes.
/// Open them once with `Environment.openDatabase(named:flags:)`.
public struct Database: Sendable, Hashable {
    /// LMDB's handle.
    public let handle: MDB_dbi
    /// The database's name, or `nil` for the unnamed main database.
    public let name: String?
}

/// Flags for opening a `Database`.
public struct DatabaseFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Create the database if it does not exist (needs a write transaction, taken for you).
    public static let create = DatabaseFlags(rawValue: UInt32(MDB_CREATE))
    /// Keys are native-endian unsigned integers compared numerically.
    public static let integerKey = DatabaseFlags(rawValue: UInt32(MDB_INTEGERKEY))
    /// Keys are compared in reverse byte order.
    public static let reverseKey = DatabaseFlags(rawValue: UInt32(MDB_REVERSEKEY))
}

/// Flags for `WriteTransaction.put`.
public struct PutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Fail with `LMDBError.keyExists` instead of overwriting.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// The key sorts after every existing key: a fast append (fails with `keyExists` otherwise).
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
}
