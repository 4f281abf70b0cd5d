import CLMDB

/// What a committed write transaction guarantees, as LMDB's sync flags give it.
///
/// | mode | a process crash (SIGKILL) | an OS crash or power loss |
/// |---|---|---|
/// | `durable` | loses nothing committed | loses nothing committed: `mdb_txn_commit` returns after `fdatasync` of the data and then the meta page |
/// | `noSync` | loses nothing committed (the OS page cache holds it) | may lose transactions committed since the last `Environment.sync()`; LMDB does not promise the file's integrity then, so run a verify after such a crash |
public enum Durability: Sendable, Equatable {
    /// Every commit is flushed to stable storage before it returns (LMDB's default).
    case durable
    /// Commits return once in the OS page cache; call `Environment.sync(force:)` to flush (`MDB_NOSYNC`).
    case noSync

    var environmentFlags: UInt32 {
        switch self {
        case .durable: return 0
        case .noSync: return UInt32(MDB_NOSYNC)
        }
    }
}
