import Foundation

/// A directory only this user may enter, that is really there: not a symbolic link
/// to somewhere else. Where Colony writes files a client asked for (the MCP server's
/// exports and backups) it writes into one of these, so a link planted in the work
/// directory cannot send a backup or an export into another place.
///
/// ```swift
/// try PrivateDirectory.prepare(store.path + "/work/exports")
/// ```
public enum PrivateDirectory {
    /// Creates `path` (mode 0700) and any missing parents, or checks that it exists.
    /// Each component created here, and `path` itself, must be a real directory:
    /// a symbolic link or a file in its place is refused with `StoreError.ioFailed`.
    public static func prepare(_ path: String) throws {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                let what = (info.st_mode & S_IFMT) == S_IFLNK ? "a symbolic link" : "not a directory"
                throw StoreError.ioFailed(operation: "use directory", path: path, reason: "it is \(what); refusing to follow or replace it")
            }
            return
        }
        guard errno == ENOENT else {
            throw StoreError.ioFailed(operation: "use directory", path: path, reason: String(cString: strerror(errno)))
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path && parent != "/" { try prepare(parent) }
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw StoreError.ioFailed(operation: "create directory", path: path, reason: String(cString: strerror(errno)))
        }
        // Created by someone else in between? Check it again, without following links.
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw StoreError.ioFailed(operation: "use directory", path: path, reason: "it was replaced while being created")
        }
    }
}
