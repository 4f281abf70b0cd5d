import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Flushes the directory entries of files and directories an environment created.
///
/// `fsync(2)` of a file makes its contents and its inode durable, not the entry in its
/// directory that names it: POSIX leaves that to an `fsync` of the directory, and file systems
/// differ in whether the file's own flush happens to carry it (ext4 usually does; XFS and
/// btrfs need not). LMDB never flushes a directory. Without this, a power cut after a new
/// store's first durable commit could leave `data.mdb`'s contents on the disk and no name
/// for them: every acknowledged event gone with the store. So the environment flushes the
/// store's directory once after LMDB creates `data.mdb` and `lock.mdb` in it, and the parent
/// of each directory it made, before any write can be acknowledged. Colony's other new files
/// (exports, backups, the server's work directories) have their names flushed through it too.
///
/// ```swift
/// try DirectoryEntries.flush("/backups")   // after creating or renaming something in it
/// ```
public enum DirectoryEntries {
    /// `fsync(2)` of the directory at `path`. A file system that cannot flush a directory
    /// (`EINVAL`) is left as it is: it offers nothing more to ask for.
    public static func flush(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw LMDBError(code: code, operation: "open directory \(path) to flush it", message: String(cString: strerror(code)))
        }
        defer { close(fd) }
        if fsync(fd) != 0 && errno != EINVAL {
            let code = errno
            throw LMDBError(code: code, operation: "fsync directory \(path)", message: String(cString: strerror(code)))
        }
    }

    /// The directories from `path` up that do not exist, outermost first: what creating `path`
    /// with its intermediate directories will make.
    static func missing(_ path: String) -> [String] {
        var made: [String] = []
        var p = URL(fileURLWithPath: path).standardizedFileURL.path
        while p != "/" && !p.isEmpty && !FileManager.default.fileExists(atPath: p) {
            made.append(p)
            p = (p as NSString).deletingLastPathComponent
        }
        return made.reversed()
    }
}
