import ColonyStore
import Foundation
import XCTest

final class IdempotencyTests: StoreTestCase {
    func test_appendIsIdempotentForSameEventID() async throws {
        let store = try openStore()
        let original = event("orders/1", #"{"total":12}"#)
        let first = try await store.append(original)
        try await store.append(event("orders/2"))

        let again = try await store.append(original)

        XCTAssertEqual(again.positions, first.positions)
        XCTAssertEqual(again.duplicates, 1)
        XCTAssertEqual(try store.headPosition(), 2)
        XCTAssertEqual(try store.streamVersion("orders/1"), 1)
    }

    func test_sameEventIDWithDifferentContentIsAConflict() async throws {
        let store = try openStore()
        let id = EventID()
        try await store.append(event("orders/1", #"{"total":12}"#, id: id))

        let error = await thrownError { try await store.append(event("orders/1", #"{"total":13}"#, id: id)) }

        XCTAssertEqual(error as? StoreError, .eventIDConflict(id: id, existingPosition: 1))
        XCTAssertEqual(try store.headPosition(), 1)
        XCTAssertEqual(try store.event(at: 1).map { text($0.payload) }, #"{"total":12}"#)
    }

    func test_sameEventIDInAnotherStreamIsAConflict() async throws {
        let store = try openStore()
        let id = EventID()
        try await store.append(event("orders/1", id: id))

        let error = await thrownError { try await store.append(event("orders/2", id: id)) }

        XCTAssertEqual(error as? StoreError, .eventIDConflict(id: id, existingPosition: 1))
        XCTAssertNil(try store.streamVersion("orders/2"))
    }

    func test_retryMayDifferInTimeAndPriority() async throws {
        let store = try openStore()
        let id = EventID()
        let first = NewEvent(id: id, stream: "s", kind: "k", payload: Array("1".utf8), timeMicroseconds: 1, priority: .normal)
        let retry = NewEvent(id: id, stream: "s", kind: "k", payload: Array("1".utf8), timeMicroseconds: 2, priority: .low)
        try await store.append(first)

        let result = try await store.append(retry)

        XCTAssertEqual(result.positions, [1])
        XCTAssertEqual(result.duplicates, 1)
        XCTAssertEqual(try store.event(at: 1)?.timeMicroseconds, 1, "the original is kept")
    }

    func test_retryOfAFullBatchReturnsTheSamePositions() async throws {
        let store = try openStore()
        try await store.append(event("before"))
        let batch = [event("orders/1"), event("orders/2"), event("orders/1")]
        let first = try await store.append(batch)
        try await store.append(event("after"))

        let retry = try await store.append(batch)

        XCTAssertEqual(first.positions, [2, 3, 4])
        XCTAssertEqual(retry.positions, first.positions)
        XCTAssertEqual(retry.duplicates, 3)
        XCTAssertEqual(try store.headPosition(), 5)
    }

    func test_retryOfACommittedBatchSucceedsDespiteItsExpectedVersion() async throws {
        let store = try openStore()
        let batch = events("orders/1", count: 2)
        let first = try await store.append(batch, expectedVersion: .noStream)

        let retry = try await store.append(batch, expectedVersion: .noStream)

        XCTAssertEqual(retry.positions, first.positions)
        XCTAssertEqual(retry.streamVersion, 2)
        XCTAssertEqual(try store.headPosition(), 2)
    }

    func test_batchMixingKnownAndNewEventsWritesOnlyTheNewOnes() async throws {
        let store = try openStore()
        let known = event("orders/1")
        try await store.append(known)
        let fresh = event("orders/1")

        let result = try await store.append([known, fresh])

        XCTAssertEqual(result.positions, [1, 2])
        XCTAssertEqual(result.duplicates, 1)
        XCTAssertEqual(result.streamVersion, 2)
        XCTAssertEqual(try store.read(from: 1).map(\.id), [known.id, fresh.id])
    }

    func test_sameEventTwiceInOneBatchIsWrittenOnce() async throws {
        let store = try openStore()
        let e = event("orders/1")

        let result = try await store.append([e, event("orders/1"), e])

        XCTAssertEqual(result.positions, [1, 2, 1])
        XCTAssertEqual(result.duplicates, 1)
        XCTAssertEqual(try store.headPosition(), 2)
    }

    func test_sameEventIDTwiceInOneBatchWithDifferentContentIsRefused() async throws {
        let store = try openStore()
        let id = EventID()

        let error = await thrownError {
            try await store.append([event("orders/1", "1", id: id), event("orders/1", "2", id: id)])
        }

        XCTAssertEqual(error as? StoreError, .duplicateEventIDInBatch(id: id))
        XCTAssertEqual(try store.headPosition(), 0)
    }

    func test_eventIDIsFoundAtItsPosition() async throws {
        let store = try openStore()
        let batch = events("orders/1", count: 3)
        try await store.append(batch)

        XCTAssertEqual(try batch.map { try store.position(of: $0.id) }, [1, 2, 3])
        XCTAssertNil(try store.position(of: EventID()))
    }
}
