import Foundation

/// The set of environment paths open in this process.
///
/// LMDB must not open one environment twice in a process: closing either
/// handle would drop the other's POSIX file locks. We refuse instead.
enum ProcessRegistry {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var open: Set<String> = []

    static func claim(_ path: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return open.insert(path).inserted
    }

    static func release(_ path: String) {
        lock.lock(); defer { lock.unlock() }
        open.remove(path)
    }
}
