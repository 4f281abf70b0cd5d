#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Starts the package's long-lived threads (the group-commit writer, the stdio reader,
/// the context renderer, ticket workers, the page warmer) and says when one could not be
/// started.
///
/// Foundation's `Thread.start()` ignores `pthread_create`'s result: at a process's or a
/// container's thread limit (`EAGAIN`) the thread silently never runs, and whoever waits
/// for it (a caller of `append`, a rebuild waiting for rendered slices) waits forever.
/// Here the failure is an `LMDBError` carrying the `errno`, so the caller can refuse to
/// open, fail a ticket, or do the work itself.
///
/// Public, not package-level, because the fuzz targets (`Fuzz/`, another package) compile
/// ColonyContext's and ColonyMCP's sources, which call it.
///
/// ```swift
/// try DetachedThread.start(name: "my-worker", stackSize: 1 << 20) { work() }
/// ```
public enum DetachedThread {
    /// Runs `body` on a new detached thread named `name` (the kernel keeps 15 bytes of it) with a stack of `stackSize` bytes (the system's default if nil).
    /// Throws, and `body` never runs, if no thread could be created.
    public static func start(name: String, stackSize: Int? = nil,
                             _ body: @escaping @Sendable () -> Void) throws(LMDBError) {
        if let code = injectedFailures.withLock({ $0[name] }) {
            throw LMDBError(code: code, operation: "pthread_create \(name)")
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if let stackSize {
            let rc = pthread_attr_setstacksize(&attributes, stackSize)
            if rc != 0 { throw LMDBError(code: rc, operation: "pthread_attr_setstacksize \(name) \(stackSize)") }
        }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let box = Unmanaged.passRetained(Body(name: name, run: body))
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attributes, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            Thread.current.name = String(body.name.prefix(15))  // Foundation sets the kernel's name of the current thread
            body.run()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            throw LMDBError(code: rc, operation: "pthread_create \(name)")
        }
    }

    /// For tests of what each caller does when no thread can be had: a start of a thread
    /// with one of these names fails with the given `errno` instead of creating it.
    package static let injectedFailures = Mutex<[String: Int32]>([:])

    private final class Body: Sendable {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }
}
