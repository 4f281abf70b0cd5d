import Foundation

/// Wakes subscribers when the log's head moves past a position.
///
/// This process's writer reports its commits directly; commits of other
/// processes on the same store are noticed by polling the head (one read
/// transaction) every `pollInterval`, only while someone is waiting.
final class HeadWatcher: @unchecked Sendable {
    private struct Waiter {
        let after: UInt64
        let continuation: CheckedContinuation<Void, Never>
    }

    private let lock = NSLock()
    private var head: UInt64
    private var waiters: [Int: Waiter] = [:]
    private var nextID = 0
    private var polling = false
    private var closed = false
    private let readHead: @Sendable () -> UInt64?
    private let pollIntervalNanoseconds: UInt64

    init(head: UInt64, pollIntervalMilliseconds: Int, readHead: @escaping @Sendable () -> UInt64?) {
        self.head = head
        self.readHead = readHead
        self.pollIntervalNanoseconds = UInt64(max(pollIntervalMilliseconds, 1)) * 1_000_000
    }

    /// Records that the log reached `position`, waking those waiting for it.
    func advanced(to position: UInt64) {
        lock.lock()
        guard position > head else { lock.unlock(); return }
        head = position
        var ready: [CheckedContinuation<Void, Never>] = []
        for (id, w) in waiters where w.after < position {
            ready.append(w.continuation)
            waiters[id] = nil
        }
        lock.unlock()
        for c in ready { c.resume() }
    }

    /// Returns once the head is past `position`, the task is cancelled, or the store closes.
    func wait(after position: UInt64) async {
        let id: Int = {
            lock.lock(); defer { lock.unlock() }
            nextID += 1
            return nextID
        }()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                lock.lock()
                if head > position || closed || Task.isCancelled {
                    lock.unlock()
                    continuation.resume()
                    return
                }
                waiters[id] = Waiter(after: position, continuation: continuation)
                let startPoller = !polling
                polling = true
                lock.unlock()
                if startPoller { startPolling() }
            }
        } onCancel: {
            lock.lock()
            let w = waiters.removeValue(forKey: id)
            lock.unlock()
            w?.continuation.resume()
        }
    }

    private func startPolling() {
        let interval = pollIntervalNanoseconds
        Task.detached { [weak self] in
            while true {
                try? await Task.sleep(nanoseconds: interval)
                guard let self else { return }
                if let h = self.readHead() { self.advanced(to: h) }
                if self.stopPollingIfIdle() { return }
            }
        }
    }

    private func stopPollingIfIdle() -> Bool {
        lock.lock(); defer { lock.unlock() }
        if waiters.isEmpty || closed {
            polling = false
            return true
        }
        return false
    }

    /// Wakes every waiter for good.
    func close() {
        lock.lock()
        closed = true
        let all = waiters.values.map(\.continuation)
        waiters = [:]
        lock.unlock()
        for c in all { c.resume() }
    }
}
