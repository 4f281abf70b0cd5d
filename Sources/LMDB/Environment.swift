import CLMDB
import Foundation

/// An LMDB environment: one directory holding `data.mdb` and `lock.mdb`.
///
/// Open an environment once per process (a second `open` of the same path
/// fails with `LMDBError.alreadyOpenInProcess`), then run transactions:
///
/// ```swift
/// let env = try Environment(path: "/tmp/store", options: .init())
/// let db = try env.openDatabase(named: "things", flags: .create)
/// try env.write { txn in try txn.put(db, key: Array("k".utf8), value: Array("v".utf8)) }
/// let v = try env.read { txn in try txn.get(db, key: Array("k".utf8)).map(Array.init) }
/// ```
///
/// Environments are opened with `MDB_NOTLS`, so a transaction may be used from
/// whichever thread a Swift task runs on (one thread at a time). Read
/// transactions are pooled and reused with `mdb_txn_reset`/`mdb_txn_renew`.
/// A write that hits `MDB_MAP_FULL` grows the map and runs again; a map grown
/// by another process is adopted transparently.
public final class Environment: @unchecked Sendable {
    /// How to open an environment.
    public struct Options: Sendable {
        /// Initial size of the memory map; the map doubles when full.
        /// The current map size.
        public var mapSizeBytes: Int = 1 << 30
        /// The map never grows past this; a write that needs more fails with `mapFull` (retryable).
        public var maxMapSizeBytes: Int = 1 << 40
        /// How many named databases may exist.
        public var maxDatabases: UInt32 = 64
        /// Reader slots shared by every process using the environment.
        public var maxReaders: UInt32 = 510
        /// What a commit guarantees.
        public var durability: Durability = .durable
        /// Open without the ability to write.
        public var readOnly: Bool = false
        /// Permissions for a newly created directory and its files.
        public var directoryMode: mode_t = 0o700
        /// Permissions for newly created files.
        public var fileMode: mode_t = 0o600

        public init() {}
    }

    /// The canonical path of the environment's directory.
    public let path: String
    /// The options the environment was opened with.
    public let options: Options
    /// Number of stale reader slots (of dead processes) cleared when opening.
    public let staleReadersCleared: Int

    let handle: OpaquePointer
    let mapLock = MapLock()
    private let poolLock = NSLock()
    private var readPool: [OpaquePointer] = []
    private var isClosed = false
    private let growLock = NSLock()
    /// Taken around every write transaction (nil when read-only): see `WriterGate`.
    private let writerGate: WriterGate?
    /// Zero pages kept ready past the last used page (nil when read-only): see `FileTail`.
    private let fileTail: FileTail?

    /// Opens (creating if needed) the environment in directory `path`.
    public init(path: String, options: Options = Options()) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        // Directories this open makes, outermost first: their names are flushed below.
        var madeDirectories: [String] = []
        if !fm.fileExists(atPath: path, isDirectory: &isDirectory) {
            if options.readOnly {
                throw LMDBError(code: ENOENT, operation: "open \(path)", message: "no such store directory")
            }
            madeDirectories = DirectoryEntries.missing(path)
            do {
                try fm.createDirectory(atPath: path, withIntermediateDirectories: true,
                                       attributes: [.posixPermissions: Int(options.directoryMode)])
            } catch {
                throw LMDBError(code: EACCES, operation: "create directory \(path)", message: "\(error.localizedDescription)")
            }
        } else if !isDirectory.boolValue {
            throw LMDBError(code: ENOTDIR, operation: "open \(path)", message: "not a directory")
        }
        let canonical = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
        guard ProcessRegistry.claim(canonical) else {
            throw LMDBError(code: LMDBError.alreadyOpenInProcess, operation: "open \(canonical)",
                            message: "this environment is already open in this process; share the open instance")
        }
        var env: OpaquePointer?
        do {
            try check(mdb_env_create(&env), "mdb_env_create")
            guard let env else { throw LMDBError(code: ENOMEM, operation: "mdb_env_create") }
            do {
                try check(mdb_env_set_maxdbs(env, options.maxDatabases), "mdb_env_set_maxdbs")
                try check(mdb_env_set_maxreaders(env, options.maxReaders), "mdb_env_set_maxreaders")
                try check(mdb_env_set_mapsize(env, options.mapSizeBytes), "mdb_env_set_mapsize")
                // MDB_NORDAHEAD: a page faulted in through the map comes in alone, as a 4 KB
                // page-cache folio, not with its neighbours in a large one that every later
                // write of one of its pages would make the kernel write whole (see `FileTail`).
                var flags = UInt32(MDB_NOTLS) | UInt32(MDB_NORDAHEAD) | options.durability.environmentFlags
                if options.readOnly { flags |= UInt32(MDB_RDONLY) }
                let dataFileIsNew = !options.readOnly && !fm.fileExists(atPath: canonical + "/data.mdb")
                try check(mdb_env_open(env, canonical, flags, options.fileMode), "open \(canonical)")
                if dataFileIsNew || !madeDirectories.isEmpty {
                    // The names of the new files (and directories) reach the disk before any
                    // commit can be acknowledged: see `DirectoryEntries`.
                    try DirectoryEntries.flush(canonical)
                    for directory in madeDirectories { try DirectoryEntries.flush((directory as NSString).deletingLastPathComponent) }
                }
                var dead: Int32 = 0
                try check(mdb_reader_check(env, &dead), "mdb_reader_check")
                self.staleReadersCleared = Int(dead)
                self.writerGate = options.readOnly ? nil : try WriterGate(dataFile: canonical + "/data.mdb")
                var stat = MDB_stat()
                mdb_env_stat(env, &stat)
                self.fileTail = options.readOnly ? nil : FileTail(dataFile: canonical + "/data.mdb", pageSize: Int(stat.ms_psize))
            } catch {
                mdb_env_close(env)
                throw error
            }
            self.handle = env
        } catch {
            ProcessRegistry.release(canonical)
            throw error
        }
        self.path = canonical
        self.options = options
    }

    deinit { close() }

    /// Closes the environment. Every transaction must have ended.
    public func close() {
        poolLock.lock()
        if isClosed { poolLock.unlock(); return }
        isClosed = true
        let pool = readPool
        readPool = []
        poolLock.unlock()
        mapLock.lockExclusive()
        for txn in pool { mdb_txn_abort(txn) }
        mdb_env_close(handle)
        fileTail?.close()
        mapLock.unlock()
        ProcessRegistry.release(path)
    }

    // MARK: Databases

    /// Opens a named database (or the main one for `nil`), creating it with `.create`.
    public func openDatabase(named name: String?, flags: DatabaseFlags = []) throws -> Database {
        if flags.contains(.create) && !options.readOnly {
            return try write { txn in try txn.openDatabase(named: name, flags: flags) }
        }
        return try withRawTransaction(readOnly: true) { txn in
            var dbi: MDB_dbi = 0
            try check(mdb_dbi_open(txn, name, flags.subtracting(.create).rawValue, &dbi), "mdb_dbi_open \(name ?? "<main>")")
            return Database(handle: dbi, name: name)
        }
    }

    // MARK: Transactions

    /// Runs `body` in a read transaction: a consistent snapshot of the last commit.
    ///
    /// Pointers handed out by the transaction are valid only inside `body`.
    public func read<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        mapLock.lockShared()
        defer { mapLock.unlock() }
        let txn = try takeReadTransaction()
        defer { returnReadTransaction(txn) }
        return try body(ReadTransaction(handle: txn))
    }

    /// Runs `body` in a write transaction and commits it if `body` returns.
    ///
    /// If the map is full, the transaction is aborted, the map grows and
    /// `body` runs again, so `body` must not have effects outside the
    /// transaction that a second run would repeat. Throwing from `body` aborts.
    public func write<T>(_ body: (WriteTransaction) throws -> T) throws -> T {
        precondition(!options.readOnly, "write transaction on a read-only environment")
        while true {
            do {
                return try withRawTransaction(readOnly: false) { txn in
                    let result = try body(WriteTransaction(handle: txn))
                    return result
                }
            } catch let error as LMDBError where error.code == LMDBError.mapFull {
                try grow(failure: error)
            }
        }
    }

    /// Begins, runs and ends one raw transaction under the shared map lock.
    func withRawTransaction<T>(readOnly: Bool, _ body: (OpaquePointer) throws -> T) throws -> T {
        // Before the map lock: a writer waiting for another process must not hold it.
        let gate = readOnly ? nil : writerGate
        try gate?.enter()
        defer { gate?.leave() }
        var resizedRetries = 0
        while true {
            mapLock.lockShared()
            if isClosedNow() {
                mapLock.unlock()
                throw LMDBError(code: LMDBError.closed, operation: "transaction", message: "environment is closed")
            }
            var txn: OpaquePointer?
            let rc = mdb_txn_begin(handle, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn)
            if rc == MDB_MAP_RESIZED && resizedRetries < 8 {
                mapLock.unlock()
                resizedRetries += 1
                adoptForeignMapSize()
                continue
            }
            defer { mapLock.unlock() }
            try check(rc, readOnly ? "mdb_txn_begin(read)" : "mdb_txn_begin(write)")
            guard let txn else { throw LMDBError(code: ENOMEM, operation: "mdb_txn_begin") }
            let result: T
            do {
                result = try body(txn)
            } catch {
                mdb_txn_abort(txn)
                throw error
            }
            let tail = readOnly ? nil : fileTail
            let lastPage = tail.map { _ in lastPageNumber() } ?? 0
            tail?.prepare(lastPage: lastPage)
            // Commit read-only transactions too: a database opened in one that is
            // aborted has its handle closed (lmdb.h, mdb_dbi_open).
            // mdb_txn_commit frees the transaction whether or not it succeeds.
            let committed = mdb_txn_commit(txn)
            if committed == EIO && !readOnly && fileSystemIsFull() {
                // LMDB turns a short write into EIO; with the file's zero pages partly used
                // (FileTail), a commit can fill the disk part-way through one `pwritev`.
                throw LMDBError(code: ENOSPC, operation: "mdb_txn_commit",
                                message: "No space left on device (the commit's write stopped short)")
            }
            try check(committed, "mdb_txn_commit")
            tail?.committed(lastPageBefore: lastPage, lastPageAfter: lastPageNumber())
            return result
        }
    }

    private func takeReadTransaction() throws -> OpaquePointer {
        poolLock.lock()
        if isClosed {
            poolLock.unlock()
            throw LMDBError(code: LMDBError.closed, operation: "read", message: "environment is closed")
        }
        let pooled = readPool.popLast()
        poolLock.unlock()
        if let pooled {
            var rc = mdb_txn_renew(pooled)
            if rc == MDB_MAP_RESIZED {
                // Renewal needs the exclusive lock to adopt the new size; drop ours around it.
                mapLock.unlock()
                adoptForeignMapSize()
                mapLock.lockShared()
                rc = mdb_txn_renew(pooled)
            }
            if rc == 0 { return pooled }
            mdb_txn_abort(pooled)
            try check(rc, "mdb_txn_renew")
        }
        var txn: OpaquePointer?
        var rc = mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &txn)
        if rc == MDB_MAP_RESIZED {
            mapLock.unlock()
            adoptForeignMapSize()
            mapLock.lockShared()
            rc = mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &txn)
        }
        try check(rc, "mdb_txn_begin(read)")
        return txn!
    }

    private func returnReadTransaction(_ txn: OpaquePointer) {
        mdb_txn_reset(txn)
        poolLock.lock()
        if !isClosed && readPool.count < 64 {
            readPool.append(txn)
            poolLock.unlock()
        } else {
            poolLock.unlock()
            mdb_txn_abort(txn)
        }
    }

    /// Whether the file system holding the store has less than 1 MB left for this user.
    private func fileSystemIsFull() -> Bool {
        var fs = statvfs()
        guard statvfs(path, &fs) == 0 else { return false }
        return Int(fs.f_bavail) * Int(fs.f_frsize) < 1 << 20
    }

    /// The last page of the last commit (`mdb_env_info`); the caller holds the map lock.
    private func lastPageNumber() -> Int {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return info.me_last_pgno
    }

    private func isClosedNow() -> Bool {
        poolLock.lock(); defer { poolLock.unlock() }
        return isClosed
    }

    /// Runs `body` with the environment handle, under the shared map lock, if still open.
    func withOpenHandle<T>(_ operation: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        mapLock.lockShared(); defer { mapLock.unlock() }
        if isClosedNow() { throw LMDBError(code: LMDBError.closed, operation: operation, message: "environment is closed") }
        return try body(handle)
    }

    // MARK: Map size

    /// The current size of the memory map (0 once closed).
    public var mapSizeBytes: Int { (try? info().mapSizeBytes) ?? 0 }

    private func grow(failure: LMDBError) throws {
        growLock.lock(); defer { growLock.unlock() }
        let current = try info().mapSizeBytes
        guard current < options.maxMapSizeBytes else {
            throw LMDBError(code: LMDBError.mapFull, operation: failure.operation,
                            message: "the store reached its size limit of \(options.maxMapSizeBytes) bytes")
        }
        let next = min(max(current * 2, current + (64 << 20)), options.maxMapSizeBytes)
        mapLock.lockExclusive()
        defer { mapLock.unlock() }
        try resetPooledReaders()
        try check(mdb_env_set_mapsize(handle, next), "mdb_env_set_mapsize(\(next))")
    }

    private func adoptForeignMapSize() {
        mapLock.lockExclusive()
        defer { mapLock.unlock() }
        try? resetPooledReaders()
        _ = mdb_env_set_mapsize(handle, 0)
    }

    /// Pooled transactions are reset already; abort them so no handle outlives a remap.
    private func resetPooledReaders() throws {
        poolLock.lock()
        let pool = readPool
        readPool = []
        poolLock.unlock()
        for txn in pool { mdb_txn_abort(txn) }
    }

    // MARK: Maintenance

    /// Flushes buffered commits to disk (`mdb_env_sync`); needed only with `Durability.noSync`.
    public func sync(force: Bool = true) throws {
        try withOpenHandle("mdb_env_sync") { try check(mdb_env_sync($0, force ? 1 : 0), "mdb_env_sync") }
    }

    /// Whether `data.mdb` is still linked into a directory. An open environment keeps
    /// working on its file after the file (or the whole store directory) is deleted,
    /// but whatever it commits then is lost when the last process closes it.
    public func dataFileIsLinked() throws -> Bool {
        try withOpenHandle("mdb_env_get_fd") { env in
            var fd: mdb_filehandle_t = -1
            try check(mdb_env_get_fd(env, &fd), "mdb_env_get_fd")
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw LMDBError(code: errno, operation: "fstat data.mdb") }
            return info.st_nlink > 0
        }
    }

    /// Asks the kernel to read the whole data file into the page cache, from a background
    /// thread (`posix_fadvise(POSIX_FADV_WILLNEED)`, 128 KB at a time: Linux reads no more
    /// per call than the device's read-ahead window), unless the file is larger than half
    /// the machine's memory. Returns whether it started.
    ///
    /// The map is opened with `MDB_NORDAHEAD`, so a page faulted in comes alone: right for
    /// lookups, slow for a scan of a cold store. A scan of the whole store (export, verify,
    /// rebuild, backup) or a long-running server calls this first. The kernel reads the file
    /// in large requests but caches it in 4 KB folios, as `FileTail` needs. The thread stops
    /// when the environment closes.
    @discardableResult
    public func adviseWillNeed() throws -> Bool {
        let (fd, size) = try withOpenHandle("posix_fadvise") { env -> (Int32, Int) in
            var fd: mdb_filehandle_t = -1
            try check(mdb_env_get_fd(env, &fd), "mdb_env_get_fd")
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw LMDBError(code: errno, operation: "fstat data.mdb") }
            return (fd, Int(info.st_size))
        }
        let memory = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
        guard memory > 0, size <= memory / 2 else { return false }
        try DetachedThread.start(name: "colony-warm") { [self] in
            let chunk = 128 << 10
            var offset = 0
            while offset < size {
                // Under the map lock, so the descriptor is still the environment's.
                let asked = try? withOpenHandle("posix_fadvise") { _ in
                    posix_fadvise(fd, off_t(offset), off_t(chunk), POSIX_FADV_WILLNEED) == 0
                }
                guard asked == true else { return }
                offset += chunk
            }
        }
        return true
    }

    /// Clears reader slots left by dead processes; returns how many.
    @discardableResult
    public func checkReaders() throws -> Int {
        try withOpenHandle("mdb_reader_check") { env in
            var dead: Int32 = 0
            try check(mdb_reader_check(env, &dead), "mdb_reader_check")
            return Int(dead)
        }
    }

    /// Writes a consistent copy of the environment into directory `destination`
    /// (which must exist and hold no `data.mdb`), from one read snapshot, while
    /// other transactions and processes go on. With `compact`, free pages are
    /// omitted and the copy is renumbered. The copy is not synced to disk.
    public func copy(to destination: String, compact: Bool = true) throws {
        var attempts = 0
        while true {
            let rc = try withOpenHandle("mdb_env_copy2") { env in
                mdb_env_copy2(env, destination, compact ? UInt32(MDB_CP_COMPACT) : 0)
            }
            if rc == MDB_MAP_RESIZED && attempts < 8 {
                // Another process grew the map past ours: adopt its size, drop the partial copy, go again.
                attempts += 1
                unlink(destination + "/data.mdb")
                adoptForeignMapSize()
                continue
            }
            try check(rc, "mdb_env_copy2 \(destination)")
            return
        }
    }

    /// Facts about the environment.
    public struct Info: Sendable {
        public var mapSizeBytes: Int
        /// The highest page number in use.
        public var lastPageNumber: Int
        /// The id of the last committed write transaction.
        public var lastTransactionID: Int
        /// Reader slots available.
        public var maxReaders: Int
        /// Reader slots in use by any process.
        public var readersInUse: Int
        /// LMDB's page size.
        public var pageSizeBytes: Int
        /// Bytes in use: (last page + 1) × page size.
        public var usedBytes: Int { (lastPageNumber + 1) * pageSizeBytes }
    }

    /// Facts about the environment; throws `closed` once closed.
    public func info() throws -> Info {
        try withOpenHandle("mdb_env_info") { env in
            var info = MDB_envinfo()
            mdb_env_info(env, &info)
            var stat = MDB_stat()
            mdb_env_stat(env, &stat)
            return Info(mapSizeBytes: info.me_mapsize, lastPageNumber: info.me_last_pgno,
                    lastTransactionID: info.me_last_txnid, maxReaders: Int(info.me_maxreaders),
                    readersInUse: Int(info.me_numreaders), pageSizeBytes: Int(stat.ms_psize))
        }
    }
}
