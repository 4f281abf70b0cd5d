/// Committed events from a position on: first those already in the log, then
/// each new one as it is committed, by this process or any other on the store.
///
/// ```swift
/// for try await event in store.subscribe(after: 0) {
///     print(event.position, event.kind)
/// }
/// ```
///
/// Iteration ends when the task is cancelled or the store closes; it throws if
/// a record cannot be read (`StoreError.corruptRecord`).
public struct EventSubscription: AsyncSequence, Sendable {
    public typealias Element = RecordedEvent

    let store: ColonyStore
    let after: UInt64
    let chunk: Int

    public func makeAsyncIterator() -> Iterator {
        Iterator(store: store, last: after, chunk: chunk)
    }

    /// Reads the log in chunks after the last delivered position, waiting for the head to move when caught up.
    public struct Iterator: AsyncIteratorProtocol {
        let store: ColonyStore
        var last: UInt64
        let chunk: Int
        var buffer: [RecordedEvent] = []
        var index = 0

        /// The next committed event; `nil` once the task is cancelled or the store closes.
        public mutating func next() async throws -> RecordedEvent? {
            while true {
                if index < buffer.count {
                    let e = buffer[index]
                    index += 1
                    last = e.position
                    return e
                }
                if Task.isCancelled || store.isClosed { return nil }
                do {
                    buffer = try store.read(from: last + 1, limit: chunk)
                } catch StoreError.closed {
                    return nil  // the store closed while we were between reads: the sequence ends
                }
                index = 0
                if buffer.isEmpty { await store.headWatcher.wait(after: last) }
            }
        }
    }
}
