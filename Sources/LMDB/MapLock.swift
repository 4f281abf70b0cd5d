import Foundation

/// Guards LMDB's memory map against being resized under an active transaction.
///
/// Every transaction holds the lock shared; growing the map
/// (`mdb_env_set_mapsize`) holds it exclusively, as LMDB requires that no
/// transaction of this process is active while it remaps.
final class MapLock: @unchecked Sendable {
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    @inline(__always) func lockShared() { pthread_rwlock_rdlock(lock) }
    @inline(__always) func lockExclusive() { pthread_rwlock_wrlock(lock) }
    @inline(__always) func unlock() { pthread_rwlock_unlock(lock) }
}
