import Foundation
import LMDB

/// The one writer of a store in this process.
///
/// Appends wait in a bounded queue; a dedicated thread takes as many as fit
/// in one batch (by events and bytes), appends them and updates every view in
/// one LMDB write transaction, commits once (one fsync in durable mode), then
/// answers every caller of the batch. While a commit is on disk the next batch
/// forms, so batches grow with load and the fsync cost is shared.
///
/// One caller's failure (a version conflict, an id conflict) is that caller's
/// alone: its events are checked before any is written, and the rest of the
/// batch commits. If the transaction itself fails, each request is retried in
/// a transaction of its own so only the culprit fails.
final class GroupCommitWriter: @unchecked Sendable {
    final class Request: @unchecked Sendable {  // mutable fields are guarded by the writer's lock
        let events: [NewEvent]
        let expected: ExpectedVersion
        let sizeBytes: Int
        let isLowPriority: Bool
        /// Called once with the outcome, on the thread that decided it (usually the writer's).
        var completion: (@Sendable (Result<AppendResult, Error>) -> Void)?
        var waiting = false

        init(events: [NewEvent], expected: ExpectedVersion, completion: @escaping @Sendable (Result<AppendResult, Error>) -> Void) {
            self.events = events
            self.expected = expected
            self.sizeBytes = events.reduce(0) { $0 + $1.approximateSizeBytes }
            self.isLowPriority = events.allSatisfy { $0.priority == .low }
            self.completion = completion
        }

        func finish(_ result: Result<AppendResult, Error>) {
            let c = completion
            completion = nil
            c?(result)
        }
    }

    /// Counters read by `ColonyStore.statistics()`.
    struct Counters: Sendable {
        var batches = 0
        var committedEvents = 0
        var shedEvents = 0
        var overloadedAppends = 0
        var failedAppends = 0
        var queueDepthEvents = 0
        var maxQueueDepthEvents = 0
        var largestBatchEvents = 0
        var syncs = 0
        /// Per committed batch: the work inside its transaction (checks, the log, the views).
        var workTimes = LatencyHistogram()
        /// Per committed batch: LMDB's commit (its pages written and, when durable, flushed).
        var commitTimes = LatencyHistogram()
        /// Why the last attempt to bring lagging views up to date failed, if it did.
        var lastViewError: String?
    }

    private let env: Environment
    private let log: EventLog
    private let projections: ProjectionSet
    private let options: StoreOptions.Writer
    private let syncInterval: TimeInterval?
    private let onCommit: @Sendable (UInt64) -> Void

    private let cond = NSCondition()
    private var queue: [Request] = []
    private var queuedEvents = 0
    private var waiters: [Request] = []
    private var stopping = false
    private var counters = Counters()
    private var unsyncedCommits = false
    private var lastSync = Date()
    /// Batches committed since reader slots were last checked for dead processes.
    private var commitsSinceReaderCheck = 0
    private var projectionsLagging = false
    private let done = DispatchSemaphore(value: 0)

    init(env: Environment, log: EventLog, projections: ProjectionSet, options: StoreOptions.Writer,
         durability: StoreOptions.Durability, onCommit: @escaping @Sendable (UInt64) -> Void) throws(LMDBError) {
        self.env = env
        self.log = log
        self.projections = projections
        self.options = options
        self.onCommit = onCommit
        if case .buffered(let ms) = durability { syncInterval = Double(max(ms, 1)) / 1000 } else { syncInterval = nil }
        // A store whose writer cannot start refuses to open: appends would wait forever.
        try DetachedThread.start(name: "colony-writer", stackSize: 4 << 20) { [self] in run() }
    }

    var snapshot: Counters {
        cond.lock(); defer { cond.unlock() }
        var c = counters
        c.queueDepthEvents = queuedEvents
        return c
    }

    // MARK: Submitting

    func submit(_ events: [NewEvent], expected: ExpectedVersion) async throws -> AppendResult {
        try await withCheckedThrowingContinuation { continuation in
            submit(events, expected: expected) { continuation.resume(with: $0) }
        }
    }

    /// Queues an append; `completion` gets its outcome once, on the writer's thread when it
    /// was committed or failed there, else on the caller's or a timer's.
    func submit(_ events: [NewEvent], expected: ExpectedVersion,
                completion: @escaping @Sendable (Result<AppendResult, Error>) -> Void) {
        guard events.count <= options.queueCapacityEvents else {
            completion(.failure(StoreError.invalidArgument("a batch of \(events.count) events is larger than the write queue (\(options.queueCapacityEvents))")))
            return
        }
        enqueue(Request(events: events, expected: expected, completion: completion))
    }

    private func enqueue(_ request: Request) {
        let n = request.events.count
        cond.lock()
        if stopping {
            cond.unlock()
            request.finish(.failure(StoreError.closed))
            return
        }
        let shedThreshold = Int(Double(options.queueCapacityEvents) * options.lowPriorityShedFraction)
        if request.isLowPriority && queuedEvents + n > shedThreshold {
            counters.shedEvents += n
            cond.unlock()
            request.finish(.failure(StoreError.shed))
            return
        }
        var evicted: [Request] = []
        if queuedEvents + n > options.queueCapacityEvents && !request.isLowPriority && waiters.isEmpty
            && queuedEvents - queue.reduce(0, { $0 + ($1.isLowPriority ? $1.events.count : 0) }) + n <= options.queueCapacityEvents {
            // Make room by shedding queued low-priority appends, newest first; only when
            // that admits this append at once, so nothing is shed for an append that would wait anyway.
            var i = queue.count - 1
            while i >= 0 && queuedEvents + n > options.queueCapacityEvents {
                if queue[i].isLowPriority {
                    let r = queue.remove(at: i)
                    queuedEvents -= r.events.count
                    counters.shedEvents += r.events.count
                    evicted.append(r)
                }
                i -= 1
            }
        }
        if queuedEvents + n <= options.queueCapacityEvents && waiters.isEmpty {
            admit(request)
            cond.signal()
            cond.unlock()
        } else {
            request.waiting = true
            waiters.append(request)
            cond.unlock()
            let timeout = UInt64(max(options.enqueueTimeoutMilliseconds, 0)) * 1_000_000
            Task.detached { [weak self] in
                try? await Task.sleep(nanoseconds: timeout)
                self?.expire(request)
            }
        }
        for r in evicted { r.finish(.failure(StoreError.shed)) }
    }

    /// Called with `cond` held.
    private func admit(_ request: Request) {
        queue.append(request)
        queuedEvents += request.events.count
        counters.maxQueueDepthEvents = max(counters.maxQueueDepthEvents, queuedEvents)
    }

    private func expire(_ request: Request) {
        cond.lock()
        guard request.waiting, let i = waiters.firstIndex(where: { $0 === request }) else { cond.unlock(); return }
        waiters.remove(at: i)
        request.waiting = false
        counters.overloadedAppends += 1
        let depth = queuedEvents
        cond.unlock()
        request.finish(.failure(StoreError.overloaded(queuedEvents: depth, waitedMilliseconds: options.enqueueTimeoutMilliseconds)))
    }

    // MARK: Stopping

    /// Commits what is queued, fails waiting appends with `closed`, and stops the thread.
    func stop() {
        cond.lock()
        if stopping {
            cond.unlock()
            done.wait()
            done.signal()
            return
        }
        stopping = true
        let abandoned = waiters
        waiters = []
        for r in abandoned { r.waiting = false }
        cond.signal()
        cond.unlock()
        for r in abandoned { r.finish(.failure(StoreError.closed)) }
        done.wait()
        done.signal()
    }

    // MARK: The writer thread

    private func run() {
        while true {
            cond.lock()
            while queue.isEmpty && !stopping && !projectionsLagging {
                if unsyncedCommits, let interval = syncInterval {
                    let due = lastSync.addingTimeInterval(interval)
                    if Date() >= due { break }
                    _ = cond.wait(until: due)
                } else {
                    cond.wait()
                }
            }
            if queue.isEmpty && stopping { cond.unlock(); break }
            if !queue.isEmpty {
                if options.maxBatchDelayMicroseconds > 0 {
                    // Every enqueue signals `cond`, so wait in a loop until the deadline or a full batch.
                    let deadline = Date().addingTimeInterval(Double(options.maxBatchDelayMicroseconds) / 1_000_000)
                    while queuedEvents < options.maxBatchEvents && !stopping && cond.wait(until: deadline) {}
                }
                let batch = takeBatch()
                cond.unlock()
                commit(batch)
                commitsSinceReaderCheck += 1
            } else {
                cond.unlock()
                if projectionsLagging { catchUpViews() }
            }
            syncIfDue()
            clearStaleReadersIfDue()
        }
        if unsyncedCommits { try? env.sync(force: true) }
        done.signal()
    }

    /// Called with `cond` held.
    private func takeBatch() -> [Request] {
        var events = 0, bytes = 0, count = 0
        for r in queue {
            if count > 0 && (events + r.events.count > options.maxBatchEvents || bytes + r.sizeBytes > options.maxBatchBytes) { break }
            events += r.events.count
            bytes += r.sizeBytes
            count += 1
        }
        let batch = Array(queue[0..<count])
        queue.removeFirst(count)
        queuedEvents -= events
        // Space freed: admit waiting appends in arrival order.
        while let w = waiters.first, queuedEvents + w.events.count <= options.queueCapacityEvents {
            waiters.removeFirst()
            w.waiting = false
            admit(w)
        }
        return batch
    }

    private func commit(_ batch: [Request]) {
        // One fstat per batch: a commit into a deleted file would be acknowledged and then lost.
        if (try? env.dataFileIsLinked()) == false {
            let error = StoreError.storeFileRemoved(path: env.path)
            cond.lock()
            counters.failedAppends += batch.count
            cond.unlock()
            for request in batch { request.finish(.failure(error)) }
            return
        }
        var lagging = false
        var newHead: UInt64 = 0
        let results: [Result<AppendResult, Error>]
        let started = monotonicNanoseconds()
        var workDone: UInt64 = 0
        do {
            results = try env.write { txn in
                var appender = try EventLog.Appender(log: log, txn: txn)
                let headBefore = appender.nextPosition - 1
                var out: [Result<AppendResult, Error>] = []
                out.reserveCapacity(batch.count)
                for request in batch {
                    do {
                        out.append(.success(try appender.append(request.events, expected: request.expected)))
                    } catch let error as StoreError {
                        out.append(.failure(error))  // checked before writing: nothing of it was written
                    }
                }
                try appender.finish()
                lagging = try !projections.advance(txn, headBefore: headBefore, newEvents: appender.appended,
                                                    catchUpBudget: options.catchUpBudgetEvents)
                newHead = appender.nextPosition - 1
                workDone = monotonicNanoseconds()
                return out
            }
        } catch {
            if batch.count > 1 {
                for request in batch { commit([request]) }
                return
            }
            results = [.failure(StoreError.from(error))]
        }
        let finished = monotonicNanoseconds()
        var committed = 0
        for r in results { if case .success(let a) = r { committed += a.positions.count - a.duplicates } }
        cond.lock()
        if workDone > 0 {
            counters.workTimes.record(nanoseconds: workDone &- started)
            counters.commitTimes.record(nanoseconds: finished &- workDone)
        }
        counters.batches += 1
        counters.committedEvents += committed
        counters.failedAppends += results.filter { if case .failure = $0 { return true } else { return false } }.count
        counters.largestBatchEvents = max(counters.largestBatchEvents, batch.reduce(0) { $0 + $1.events.count })
        if committed > 0 { unsyncedCommits = syncInterval != nil }
        projectionsLagging = lagging
        cond.unlock()
        for (request, result) in zip(batch, results) { request.finish(result) }
        if committed > 0 { onCommit(newHead) }
    }

    /// Runs one catch-up transaction for views that are behind the log.
    private func catchUpViews() {
        var lagging = false
        var failure: String?
        do {
            try env.write { txn in
                let head = try log.head(txn)
                lagging = try !projections.advance(txn, headBefore: head, newEvents: [], catchUpBudget: options.catchUpBudgetEvents)
            }
        } catch {
            // Not retried in a loop: statistics report the lag and this error; the next append retries.
            failure = "\(StoreError.from(error))"
        }
        cond.lock()
        projectionsLagging = lagging
        counters.lastViewError = failure
        cond.unlock()
    }

    /// Every this many committed batches the writer looks for reader slots of dead processes.
    static let readerCheckIntervalCommits = 64

    /// Frees the reader slots of processes that died inside a read transaction.
    ///
    /// LMDB clears such slots only when asked (`mdb_reader_check`), and `Environment`
    /// asks once, at open. A slot left by a killed reader pins the snapshot it was
    /// reading, so no page freed after it can be reused and the file grows with every
    /// commit for as long as this store stays open. Asking every 64 commits (a scan of
    /// the reader table, microseconds) bounds that growth to the pages of 64 commits.
    private func clearStaleReadersIfDue() {
        guard commitsSinceReaderCheck >= Self.readerCheckIntervalCommits else { return }
        commitsSinceReaderCheck = 0
        _ = try? env.checkReaders()
    }

    private func syncIfDue() {
        guard let interval = syncInterval else { return }
        cond.lock()
        let due = unsyncedCommits && Date() >= lastSync.addingTimeInterval(interval)
        cond.unlock()
        guard due else { return }
        try? env.sync(force: true)
        cond.lock()
        unsyncedCommits = false
        lastSync = Date()
        counters.syncs += 1
        cond.unlock()
    }
}

extension StoreError {
    /// Any error as a `StoreError`.
    static func from(_ error: Error) -> StoreError {
        if let e = error as? StoreError { return e }
        if let e = error as? LMDBError { return .storage(e) }
        return .projectionFailed(name: "?", reason: "\(error)")
    }
}
