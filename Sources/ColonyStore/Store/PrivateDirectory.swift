import Foundation

/// A directory only this user may enter, that is really there: not a symbolic link
/// to somewhere else. Where Colony writes files a client asked for (the MCP server's
/// exports and backups) it writes into one of these, so a link planted in place of the
/// output directory cannot send a backup or an export into another place.
///
/// ```swift
/// try PrivateDirectory.prepare(store.path + "/work/exports")
/// ```
public enum PrivateDirectory {
    /// Creates `path` (mode 0700, and any missing parents 0700), or checks that it exists.
    /// `path` itself must be a real directory: a symbolic link or a file in its place is
    /// refused with `StoreError.ioFailed`. Parents that exist are taken as they are (a
    /// store directory may well be reached through a link the operator made).
    public static func prepare(_ path: String) throws {
        try createParents(of: path)
        try make(path)
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw StoreError.ioFailed(operation: "use directory", path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            let what = (info.st_mode & S_IFMT) == S_IFLNK ? "a symbolic link" : "not a directory"
            throw StoreError.ioFailed(operation: "use directory", path: path, reason: "it is \(what); refusing to follow or replace it")
        }
    }

    private static func createParents(of path: String) throws {
        let parent = (path as NSString).deletingLastPathComponent
        guard !parent.isEmpty, parent != "/", parent != path else { return }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw StoreError.ioFailed(operation: "use directory", path: parent, reason: "not a directory")
            }
            return
        }
        try createParents(of: parent)
        try make(parent)
    }

    /// `mkdir` (0700), taking one that exists as it is. A directory it makes has its name
    /// flushed in its parent: what a ticket writes and flushes in it (an export, a backup)
    /// would otherwise be flushed under a name that a power cut could lose.
    private static func make(_ path: String) throws {
        if mkdir(path, 0o700) == 0 {
            try ColonyStore.syncDirectory(containing: path)
        } else if errno != EEXIST {
            throw StoreError.ioFailed(operation: "create directory", path: path, reason: String(cString: strerror(errno)))
        }
    }
}
