import ColonyStore
import ColonyTestSupport
import Foundation
import LMDB
import Synchronization
import XCTest

final class AppendTests: StoreTestCase {
    func test_positionsAreDenseFromOneAcrossBatchesAndStreams() async throws {
        let store = try openStore()
        let a = try await store.append(events("alpha", count: 3))
        let b = try await store.append(event("beta"))
        let c = try await store.append([event("alpha"), event("gamma"), event("beta")])

        XCTAssertEqual(a.positions, [1, 2, 3])
        XCTAssertEqual(b.positions, [4])
        XCTAssertEqual(c.positions, [5, 6, 7])
        XCTAssertEqual(try store.headPosition(), 7)
        XCTAssertEqual(try store.read(from: 1).map(\.position), Array(1...7))
    }

    func test_streamVersionsCountFromOnePerStream() async throws {
        let store = try openStore()
        try await store.append([event("alpha"), event("beta"), event("alpha")])
        try await store.append(event("alpha"))

        XCTAssertEqual(try store.readStream("alpha").map(\.streamVersion), [1, 2, 3])
        XCTAssertEqual(try store.readStream("beta").map(\.streamVersion), [1])
        XCTAssertEqual(try store.streamVersion("alpha"), 3)
        XCTAssertEqual(try store.streamVersion("beta"), 1)
        XCTAssertNil(try store.streamVersion("never-written"))
    }

    func test_appendResultReportsTheStreamVersionOfTheBatchsLastStream() async throws {
        let store = try openStore()
        try await store.append(events("alpha", count: 4))

        let result = try await store.append([event("beta"), event("alpha")])

        XCTAssertEqual(result.streamVersion, 5)
        XCTAssertEqual(result.duplicates, 0)
        XCTAssertEqual(result.lastPosition, 6)
    }

    func test_recordedEventCarriesEverythingThatWasAppended() async throws {
        let store = try openStore()
        let id = EventID()
        let appended = NewEvent(id: id, stream: "orders/42", kind: "order.created",
                                payload: Array(#"{"total":12.5,"items":["a","b"]}"#.utf8),
                                metadata: Array(#"{"agent":"claude"}"#.utf8),
                                timeMicroseconds: 1_700_000_000_123_456, priority: .low)
        try await store.append(appended)

        let recorded = try XCTUnwrap(try store.event(at: 1))

        XCTAssertEqual(recorded.position, 1)
        XCTAssertEqual(recorded.id, id)
        XCTAssertEqual(recorded.stream, "orders/42")
        XCTAssertEqual(recorded.kind, "order.created")
        XCTAssertEqual(Array(recorded.payload), appended.payload)
        XCTAssertEqual(Array(recorded.metadata), appended.metadata)
        XCTAssertEqual(recorded.timeMicroseconds, 1_700_000_000_123_456)
        XCTAssertEqual(recorded.priority, .low)
        XCTAssertEqual(recorded.streamVersion, 1)
    }

    func test_batchIsAllOrNothingWhenOneEventIsInvalid() async throws {
        let store = try openStore()
        try await store.append(event("existing"))
        let batch = [event("alpha"), event("beta"), event("alpha", #"{"broken": }"#), event("alpha")]

        let error = await thrownError { try await store.append(batch) }

        guard case StoreError.invalidJSON(let field, _, let offset)? = error as? StoreError else {
            return XCTFail("expected invalidJSON, got \(String(describing: error))")
        }
        XCTAssertEqual(field, "payload")
        XCTAssertEqual(offset, 11)
        XCTAssertEqual(try store.headPosition(), 1)
        XCTAssertNil(try store.streamVersion("alpha"))
        XCTAssertNil(try store.streamVersion("beta"))
        XCTAssertNil(try store.position(of: batch[0].id))
    }

    func test_emptyBatchIsRefused() async throws {
        let store = try openStore()
        let error = await thrownError { try await store.append([NewEvent]()) }
        guard case StoreError.invalidArgument? = error as? StoreError else {
            return XCTFail("expected invalidArgument, got \(String(describing: error))")
        }
    }

    func test_batchWithAnExpectedVersionMustStayInOneStream() async throws {
        let store = try openStore()
        let error = await thrownError {
            try await store.append([event("alpha"), event("beta")], expectedVersion: .noStream)
        }
        guard case StoreError.invalidArgument? = error as? StoreError else {
            return XCTFail("expected invalidArgument, got \(String(describing: error))")
        }
        XCTAssertEqual(try store.headPosition(), 0)
    }

    func test_appendedEventsSurviveCloseAndReopen() async throws {
        let store = try openStore()
        let batch = events("alpha", count: 10)
        try await store.append(batch)
        store.close()

        let reopened = try openStore()

        XCTAssertEqual(try reopened.headPosition(), 10)
        XCTAssertEqual(try reopened.read(from: 1).map(\.id), batch.map(\.id))
        XCTAssertEqual(try reopened.streamVersion("alpha"), 10)
        let next = try await reopened.append(event("alpha"))
        XCTAssertEqual(next.positions, [11])
        XCTAssertEqual(next.streamVersion, 11)
    }

    func test_appendToAClosedStoreThrowsClosed() async throws {
        let store = try openStore()
        store.close()
        let error = await thrownError { try await store.append(event("alpha")) }
        XCTAssertEqual(error as? StoreError, .closed)
    }

    func test_readsOfAClosedStoreThrowClosed() async throws {
        let store = try openStore()
        try await store.append(event("alpha"))
        store.close()

        XCTAssertEqual(thrownError { try store.headPosition() } as? StoreError, .closed)
        XCTAssertEqual(thrownError { try store.event(at: 1) } as? StoreError, .closed)
        XCTAssertEqual(thrownError { try store.read(from: 1) } as? StoreError, .closed)
        XCTAssertEqual(thrownError { try store.statistics() } as? StoreError, .closed)
        XCTAssertEqual(thrownError { try store.rebuild() } as? StoreError, .closed)
    }

    func test_secondOpenOfTheSameStoreInOneProcessIsRefused() throws {
        _ = try openStore()
        let error = thrownError { try openStore() }
        guard case StoreError.storage(let lmdb)? = error as? StoreError else {
            return XCTFail("expected a storage error, got \(String(describing: error))")
        }
        XCTAssertEqual(lmdb.code, LMDBError.alreadyOpenInProcess)
    }

    func test_readOnlyStoreReadsButRefusesAppends() async throws {
        let writer = try openStore(projections: [StreamSummaryProjection()])
        try await writer.append(events("alpha", count: 3))
        writer.close()

        let reader = try openStore(projections: [StreamSummaryProjection()]) { $0.readOnly = true }

        XCTAssertEqual(try reader.headPosition(), 3)
        XCTAssertEqual(try reader.read(from: 1).count, 3)
        XCTAssertEqual(try reader.summary(of: "alpha")?.count, 3)
        let error = await thrownError { try await reader.append(event("alpha")) }
        guard case StoreError.invalidArgument? = error as? StoreError else {
            return XCTFail("expected invalidArgument, got \(String(describing: error))")
        }
        XCTAssertEqual(try reader.headPosition(), 3)
    }
}

/// `append(_:expectedVersion:completion:)`: the same append, its outcome handed to a closure.
final class AppendCompletionTests: StoreTestCase {
    /// Waits for one completion and returns what it was given and whether it ran on the caller's thread.
    private func appendAndWait(_ store: ColonyStore, _ batch: [NewEvent], expected: ExpectedVersion = .any)
        throws -> (result: Result<AppendResult, Error>, onCallersThread: Bool) {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<(Result<AppendResult, Error>, Bool)?>(nil)
        let caller = pthread_self()
        store.append(batch, expectedVersion: expected) { result in
            outcome.withLock { $0 = (result, pthread_equal(pthread_self(), caller) != 0) }
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success, "the completion was never called")
        let (result, onCallersThread) = try XCTUnwrap(outcome.withLock { $0 })
        return (result, onCallersThread)
    }

    func test_aCommittedBatchIsReportedOnceFromTheWritersThreadAndIsInTheLog() throws {
        let store = try openStore()
        let calls = Mutex(0)
        let done = DispatchSemaphore(value: 0)
        store.append(events("alpha", count: 3)) { _ in
            calls.withLock { $0 += 1 }
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        let (result, onCallersThread) = try appendAndWait(store, [event("alpha")], expected: .exact(3))
        XCTAssertEqual(try result.get().positions, [4])
        XCTAssertFalse(onCallersThread, "a committed batch is reported by the writer")
        XCTAssertEqual(try store.readStream("alpha").map(\.position), [1, 2, 3, 4])
        usleep(50_000)
        XCTAssertEqual(calls.withLock { $0 }, 1, "called exactly once")
    }

    func test_badBatchesFailAtOnceOnTheCallersThreadAndWriteNothing() throws {
        let store = try openStore()
        let empty = try appendAndWait(store, [])
        XCTAssertTrue(empty.onCallersThread)
        XCTAssertThrowsError(try empty.result.get()) { XCTAssertTrue("\($0)".contains("at least one event"), "\($0)") }
        let mixed = try appendAndWait(store, [event("a"), event("b")], expected: .exact(0))
        XCTAssertTrue(mixed.onCallersThread)
        XCTAssertThrowsError(try mixed.result.get()) { XCTAssertTrue("\($0)".contains("one stream"), "\($0)") }
        let conflict = try appendAndWait(store, [event("a")], expected: .exact(7))
        XCTAssertThrowsError(try conflict.result.get()) { error in
            guard case StoreError.wrongExpectedVersion = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try store.headPosition(), 0)
    }

    func test_aClosedStoreAnswersClosed() throws {
        let store = try openStore()
        store.close()
        let closed = try appendAndWait(store, [event("a")])
        XCTAssertThrowsError(try closed.result.get()) { error in
            guard case StoreError.closed = error else { return XCTFail("\(error)") }
        }
    }
}
