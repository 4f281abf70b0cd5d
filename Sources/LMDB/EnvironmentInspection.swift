import CLMDB
import Foundation

/// The size of one database, as LMDB accounts for it.
public struct DatabaseStatistics: Sendable, Equatable {
    /// Key/value pairs.
    public var entries: Int
    /// Height of the B-tree.
    public var depth: Int
    /// Pages of branch nodes, leaf nodes, and large values.
    public var branchPages: Int
    public var leafPages: Int
    public var overflowPages: Int
    /// LMDB's page size.
    public var pageSizeBytes: Int
    /// Bytes of the pages the database uses.
    public var sizeBytes: Int { (branchPages + leafPages + overflowPages) * pageSizeBytes }
}

/// One slot of LMDB's reader table (`mdb_reader_list`).
public struct ReaderSlot: Sendable, Equatable {
    /// The process holding the slot.
    public var processID: Int32
    /// The thread that took it.
    public var thread: UInt64
    /// The snapshot the slot's read transaction is on, or `nil` when it holds no transaction now
    /// (a reset transaction kept for reuse).
    public var transactionID: Int?
}

extension TransactionReading {
    /// Entries, depth and pages of `db` (`mdb_stat`).
    public func statistics(_ db: Database) throws -> DatabaseStatistics {
        var stat = MDB_stat()
        try check(mdb_stat(handle, db.handle, &stat), "mdb_stat \(db.name ?? "<main>")")
        return DatabaseStatistics(entries: stat.ms_entries, depth: Int(stat.ms_depth), branchPages: stat.ms_branch_pages,
                                  leafPages: stat.ms_leaf_pages, overflowPages: stat.ms_overflow_pages,
                                  pageSizeBytes: Int(stat.ms_psize))
    }
}

extension Environment {
    /// Every named database of the environment with its statistics, from one snapshot.
    ///
    /// The main database holds one record per named database: its name, and LMDB's
    /// `MDB_db` descriptor (the on-disk format of LMDB 0.9: pad u32, flags u16, depth
    /// u16, branch, leaf and overflow pages, entries, root, each a 64-bit word). Reading
    /// those records opens no database handle, so it is safe beside other transactions.
    public func namedDatabases() throws -> [(name: String, statistics: DatabaseStatistics)] {
        let pageSize = try info().pageSizeBytes
        return try withRawTransaction(readOnly: true) { txn in
            let reading = ReadTransaction(handle: txn)
            let main = Database(handle: 1, name: nil)  // MAIN_DBI
            var out: [(String, DatabaseStatistics)] = []
            try reading.scan(main, prefix: []) { key, value in
                guard value.count == 48, let name = String(validating: key, as: UTF8.self) else { return true }
                func word(_ at: Int) -> Int { Int(UInt64(littleEndian: value.loadUnaligned(fromByteOffset: at, as: UInt64.self))) }
                let depth = Int(UInt16(littleEndian: value.loadUnaligned(fromByteOffset: 6, as: UInt16.self)))
                out.append((name, DatabaseStatistics(entries: word(32), depth: depth, branchPages: word(8), leafPages: word(16),
                                                     overflowPages: word(24), pageSizeBytes: pageSize)))
                return true
            }
            return out
        }
    }

    /// The slots of the reader table held by live or dead processes (`mdb_reader_list`).
    /// `checkReaders()` clears those of dead processes.
    public func readers() throws -> [ReaderSlot] {
        final class Lines { var text = "" }
        let lines = Lines()
        try withOpenHandle("mdb_reader_list") { env in
            let context = Unmanaged.passUnretained(lines).toOpaque()
            let rc = mdb_reader_list(env, { message, context in
                guard let message, let context else { return 0 }
                Unmanaged<Lines>.fromOpaque(context).takeUnretainedValue().text += String(cString: message)
                return 0
            }, context)
            if rc < 0 { throw LMDBError(code: rc, operation: "mdb_reader_list") }
        }
        return lines.text.split(separator: "\n").compactMap { row in
            let fields = row.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 3, let pid = Int32(fields[0]), let thread = UInt64(fields[1], radix: 16) else { return nil }
            return ReaderSlot(processID: pid, thread: thread, transactionID: Int(fields[2]))
        }
    }
}
