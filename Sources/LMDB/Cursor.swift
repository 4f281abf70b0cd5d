import CLMDB

/// A position in a database, moved key by key in sorted order.
///
/// Obtain one with `TransactionReading.withCursor(_:_:)`. Entries returned are
/// valid until the transaction ends.
public struct Cursor {
    /// A key and its value, pointing into the map.
    public typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    let handle: OpaquePointer
    /// The database the cursor walks.
    public let database: Database

    @inline(__always)
    private func move(_ op: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws -> Entry? {
        var k = MDB_val(mv_size: key?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: key?.baseAddress))
        var v = MDB_val()
        let rc = mdb_cursor_get(handle, &k, &v, op)
        if rc == MDB_NOTFOUND { return nil }
        if rc != 0 { throw LMDBError(code: rc, operation: "mdb_cursor_get \(database.name ?? "<main>")") }
        return (UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    /// The first entry.
    public func first() throws -> Entry? { try move(MDB_FIRST) }
    /// The last entry.
    public func last() throws -> Entry? { try move(MDB_LAST) }
    /// The entry after the current one.
    public func next() throws -> Entry? { try move(MDB_NEXT) }
    /// The entry before the current one.
    public func previous() throws -> Entry? { try move(MDB_PREV) }
    /// The entry at the cursor.
    public func current() throws -> Entry? { try move(MDB_GET_CURRENT) }

    /// The first entry whose key is ≥ `key`.
    public func seek(atOrAfter key: [UInt8]) throws -> Entry? {
        if key.isEmpty { return try first() }  // LMDB refuses a zero-length key
        return try key.withUnsafeBytes { try move(MDB_SET_RANGE, key: $0) }
    }

    /// The entry whose key is exactly `key`.
    public func seek(exactly key: [UInt8]) throws -> Entry? {
        try key.withUnsafeBytes { try move(MDB_SET_KEY, key: $0) }
    }

    /// The last entry whose key is ≤ `key`.
    public func seek(atOrBefore key: [UInt8]) throws -> Entry? {
        if let entry = try seek(atOrAfter: key) {
            if entry.key.elementsEqual(key) { return entry }
            return try previous()
        }
        return try last()
    }

    /// Stores an entry through the cursor (write transactions only).
    public func put(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: PutFlags = []) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_cursor_put(handle, &k, &v, flags.rawValue), "mdb_cursor_put \(database.name ?? "<main>")")
    }

    /// Deletes the entry at the cursor (write transactions only).
    public func deleteCurrent() throws {
        try check(mdb_cursor_del(handle, 0), "mdb_cursor_del \(database.name ?? "<main>")")
    }
}
