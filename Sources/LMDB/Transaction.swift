import CLMDB

/// Operations shared by read and write transactions.
///
/// Buffers returned by `get` and by cursors point into the memory map and are
/// valid only until the transaction ends (or, in a write transaction, until the
/// next write to the same database). Copy what must outlive it.
public protocol TransactionReading {
    /// LMDB's transaction handle.
    var handle: OpaquePointer { get }
}

extension TransactionReading {
    /// The value stored under `key`, or `nil`.
    @inlinable
    public func get(_ db: Database, key: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(handle, db.handle, &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        if rc != 0 { throw LMDBError(code: rc, operation: "mdb_get \(db.name ?? "<main>")") }
        return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
    }

    /// The value stored under `key`, or `nil`.
    @inlinable
    public func get(_ db: Database, key: [UInt8]) throws -> UnsafeRawBufferPointer? {
        try key.withUnsafeBytes { try get(db, key: $0) }
    }

    /// A copy of the value stored under `key`, or `nil`.
    @inlinable
    public func getBytes(_ db: Database, key: [UInt8]) throws -> [UInt8]? {
        try get(db, key: key).map { Array($0) }
    }

    /// Runs `body` with a cursor over `db`; the cursor is closed afterwards.
    public func withCursor<T>(_ db: Database, _ body: (Cursor) throws -> T) throws -> T {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(handle, db.handle, &cursor), "mdb_cursor_open \(db.name ?? "<main>")")
        defer { mdb_cursor_close(cursor) }
        return try body(Cursor(handle: cursor!, database: db))
    }

    /// Calls `body` for each entry of `db` whose key starts with `prefix`, in key
    /// order, until it returns false. The buffers are valid only inside `body`.
    public func scan(_ db: Database, prefix: [UInt8],
                     _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        try withCursor(db) { cursor in
            var entry = try cursor.seek(atOrAfter: prefix)
            while let e = entry, e.key.starts(with: prefix) {
                if try !body(e.key, e.value) { return }
                entry = try cursor.next()
            }
        }
    }

    /// Number of entries in `db`.
    public func count(_ db: Database) throws -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(handle, db.handle, &stat), "mdb_stat \(db.name ?? "<main>")")
        return stat.ms_entries
    }
}

/// A read-only snapshot. Obtain one with `Environment.read(_:)`.
public struct ReadTransaction: TransactionReading {
    /// LMDB's transaction handle.
    public let handle: OpaquePointer
}

/// The process's one write transaction. Obtain it with `Environment.write(_:)`.
public struct WriteTransaction: TransactionReading {
    public let handle: OpaquePointer

    /// Stores `value` under `key`.
    @inlinable
    public func put(_ db: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: PutFlags = []) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let rc = mdb_put(handle, db.handle, &k, &v, flags.rawValue)
        if rc != 0 { throw LMDBError(code: rc, operation: "mdb_put \(db.name ?? "<main>")") }
    }

    /// Stores `value` under `key`.
    @inlinable
    public func put(_ db: Database, key: [UInt8], value: [UInt8], flags: PutFlags = []) throws {
        try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try put(db, key: k, value: v, flags: flags) } }
    }

    /// Removes `key`; returns whether it existed.
    @discardableResult
    public func delete(_ db: Database, key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { try delete(db, key: $0) }
    }

    /// Removes `key`; returns whether it existed.
    @discardableResult
    public func delete(_ db: Database, key: UnsafeRawBufferPointer) throws -> Bool {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        let rc = mdb_del(handle, db.handle, &k, nil)
        if rc == MDB_NOTFOUND { return false }
        try check(rc, "mdb_del \(db.name ?? "<main>")")
        return true
    }

    /// Removes every entry of `db` (the database itself stays).
    public func clear(_ db: Database) throws {
        try check(mdb_drop(handle, db.handle, 0), "mdb_drop \(db.name ?? "<main>")")
    }

    /// Deletes `db` from the environment, entries and name; its handle is closed when the
    /// transaction commits, and must not be used again.
    public func drop(_ db: Database) throws {
        try check(mdb_drop(handle, db.handle, 1), "mdb_drop \(db.name ?? "<main>")")
    }

    /// Opens (and with `.create`, creates) a named database inside this transaction.
    public func openDatabase(named name: String?, flags: DatabaseFlags = []) throws -> Database {
        var dbi: MDB_dbi = 0
        try check(mdb_dbi_open(handle, name, flags.rawValue, &dbi), "mdb_dbi_open \(name ?? "<main>")")
        return Database(handle: dbi, name: name)
    }
}
