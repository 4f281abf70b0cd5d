import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serialises write transactions across processes with `flock(2)` on the environment's
/// data file, taken before LMDB's own writer mutex and released after the commit.
///
/// LMDB's writer mutex is a process-shared robust mutex: when its holder dies, the kernel
/// marks it and wakes one waiter. A waiter was seen to miss that wake-up and sleep for good
/// (the crash test's surviving writer, after the other two were SIGKILLed; any signal to it
/// made it take the lock at once). A `flock` is dropped by the kernel when its holder dies,
/// after the dead process's robust mutexes are marked, and waiters on it are woken
/// reliably; with every writer of this library queueing on it first, LMDB's mutex is taken
/// uncontended by other processes, so nothing sleeps on it.
///
/// The lock is per open file description, so this process keeps its own descriptor, and a
/// process-local lock keeps this process's threads from releasing each other's `flock`.
/// Programs that write the store through other LMDB code are still serialised by LMDB's mutex.
final class WriterGate: @unchecked Sendable {
    private let fd: Int32
    private let local = NSLock()

    init(dataFile: String) throws {
        let fd = open(dataFile, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LMDBError(code: errno, operation: "open \(dataFile) for the writer lock") }
        self.fd = fd
    }

    deinit { close(fd) }

    func enter() throws {
        local.lock()
        while flock(fd, LOCK_EX) != 0 {
            let e = errno
            if e == EINTR { continue }
            local.unlock()
            throw LMDBError(code: e, operation: "flock(LOCK_EX) on data.mdb")
        }
    }

    func leave() {
        _ = flock(fd, LOCK_UN)
        local.unlock()
    }
}
