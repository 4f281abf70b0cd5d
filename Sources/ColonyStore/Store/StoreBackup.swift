import Foundation
import LMDB

/// What `ColonyStore.backup(to:)` wrote.
public struct BackupResult: Sendable, Codable, Equatable {
    /// The backup's directory: a store that opens like any other.
    public var path: String
    /// The head of the snapshot the backup holds.
    public var headPosition: UInt64
    /// The size of the backup's `data.mdb`.
    public var sizeBytes: Int
    /// How long the copy took.
    public var durationSeconds: Double
}

extension ColonyStore {
    /// Writes a consistent, compacted copy of the store to the new directory
    /// `destination`, while this and other processes keep reading and writing.
    ///
    /// The copy is one read snapshot (LMDB's `mdb_env_copy2` with `MDB_CP_COMPACT`):
    /// every event committed before it began, with the views and indexes as they
    /// were then, and free pages left out. It is written into a temporary directory
    /// beside `destination`, flushed to disk, and renamed into place, so
    /// `destination` never holds half a backup. `destination` must not exist, or be
    /// an empty directory; anything else is refused with `StoreError.destinationExists`.
    ///
    /// ```swift
    /// let result = try store.backup(to: "/backups/colony-2026-11-21")
    /// ```
    ///
    /// To restore, stop every process using the store and replace the store's
    /// directory with the backup's (see docs/cli.md).
    @discardableResult
    public func backup(to destination: String) throws -> BackupResult {
        if isClosed { throw StoreError.closed }
        let started = Date()
        let fm = FileManager.default
        let target = URL(fileURLWithPath: destination).standardizedFileURL
        try Self.checkBackupDestination(target.path)
        let parent = target.deletingLastPathComponent()
        guard fm.fileExists(atPath: parent.path) else {
            throw StoreError.ioFailed(operation: "back up to", path: target.path, reason: "the directory \(parent.path) does not exist")
        }
        let partial = parent.appendingPathComponent(".\(target.lastPathComponent).partial-\(UUID().uuidString)")
        do {
            try fm.createDirectory(at: partial, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError.ioFailed(operation: "create", path: partial.path, reason: "\(error.localizedDescription)")
        }
        var renamed = false
        defer { if !renamed { try? fm.removeItem(at: partial) } }
        warmPageCache()
        try StoreError.wrap { try env.copy(to: partial.path, compact: true) }
        let file = partial.appendingPathComponent("data.mdb").path
        chmod(file, 0o600)  // mdb_env_copy2 creates it 0666 less the umask; a store's files are 0600
        try Self.syncFile(file)
        try Self.syncDirectory(partial.path)  // the name data.mdb in it: flushing the file does not flush that
        if rename(partial.path, target.path) != 0 {
            if errno == ENOTEMPTY || errno == EEXIST || errno == ENOTDIR || errno == EISDIR {
                throw StoreError.destinationExists(path: target.path)
            }
            throw StoreError.ioFailed(operation: "rename to", path: target.path, reason: String(cString: strerror(errno)))
        }
        renamed = true
        try Self.syncDirectory(parent.path)
        var options = StoreOptions()
        options.readOnly = true
        let copy = try ColonyStore.open(at: target.path, options: options)
        defer { copy.close() }
        let size = (try? fm.attributesOfItem(atPath: target.path + "/data.mdb")[.size] as? Int) ?? 0
        return BackupResult(path: target.path, headPosition: try copy.headPosition(), sizeBytes: size,
                            durationSeconds: Date().timeIntervalSince(started))
    }

    /// A backup goes to a path that does not exist or is an empty directory; never
    /// to a symbolic link (which would put the copy somewhere else than named).
    static func checkBackupDestination(_ path: String) throws {
        var info = stat()
        if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
            throw StoreError.ioFailed(operation: "back up to", path: path, reason: "it is a symbolic link; refusing to follow it (name the real directory)")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue, (try? FileManager.default.contentsOfDirectory(atPath: path).isEmpty) == true else {
            throw StoreError.destinationExists(path: path)
        }
    }

    /// fsync(2) of the directory `path`, so the names made in it (or renamed into it) are on
    /// the disk: `DirectoryEntries.flush`, which the store's own creation uses, with its error
    /// as the store's.
    static func syncDirectory(_ path: String) throws {
        do { try DirectoryEntries.flush(path) } catch let e as LMDBError {
            throw StoreError.ioFailed(operation: "fsync directory", path: path, reason: e.message)
        }
    }

    /// `syncDirectory` of the directory that holds `path`: a new file's or directory's name.
    static func syncDirectory(containing path: String) throws {
        let parent = (path as NSString).deletingLastPathComponent
        try syncDirectory(parent.isEmpty ? "." : parent)
    }

    /// fsync(2) of a file.
    static func syncFile(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.ioFailed(operation: "open", path: path, reason: String(cString: strerror(errno))) }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw StoreError.ioFailed(operation: "fsync", path: path, reason: String(cString: strerror(errno))) }
    }
}
