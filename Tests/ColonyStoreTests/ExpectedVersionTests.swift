import ColonyStore
import Foundation
import XCTest

final class ExpectedVersionTests: StoreTestCase {
    func test_noStreamAdmitsAStreamThatWasNeverWritten() async throws {
        let store = try openStore()
        let result = try await store.append(event("orders/1"), expectedVersion: .noStream)
        XCTAssertEqual(result.streamVersion, 1)
    }

    func test_noStreamRejectsAnExistingStreamAndReportsItsVersion() async throws {
        let store = try openStore()
        try await store.append(event("orders/1"))

        let error = await thrownError { try await store.append(event("orders/1"), expectedVersion: .noStream) }

        XCTAssertEqual(error as? StoreError, .wrongExpectedVersion(stream: "orders/1", expected: .noStream, actual: 1))
        XCTAssertEqual(try store.headPosition(), 1)
    }

    func test_exactZeroMeansTheStreamHasNoEventsYet() async throws {
        let store = try openStore()
        let first = try await store.append(event("orders/1"), expectedVersion: .exact(0))
        XCTAssertEqual(first.streamVersion, 1)

        let error = await thrownError { try await store.append(event("orders/1"), expectedVersion: .exact(0)) }

        XCTAssertEqual(error as? StoreError, .wrongExpectedVersion(stream: "orders/1", expected: .exact(0), actual: 1))
    }

    func test_exactAdmitsTheStreamsCurrentVersion() async throws {
        let store = try openStore()
        try await store.append(events("orders/1", count: 2))

        let result = try await store.append(event("orders/1"), expectedVersion: .exact(2))

        XCTAssertEqual(result.streamVersion, 3)
        XCTAssertEqual(result.positions, [3])
    }

    func test_exactRejectsAnyOtherVersionAndReportsTheActualOne() async throws {
        let store = try openStore()
        try await store.append(events("orders/1", count: 3))

        let behind = await thrownError { try await store.append(event("orders/1"), expectedVersion: .exact(2)) }
        let ahead = await thrownError { try await store.append(event("orders/1"), expectedVersion: .exact(4)) }

        XCTAssertEqual(behind as? StoreError, .wrongExpectedVersion(stream: "orders/1", expected: .exact(2), actual: 3))
        XCTAssertEqual(ahead as? StoreError, .wrongExpectedVersion(stream: "orders/1", expected: .exact(4), actual: 3))
        XCTAssertEqual(try store.streamVersion("orders/1"), 3)
    }

    func test_exactOnAMissingStreamReportsNoActualVersion() async throws {
        let store = try openStore()
        let error = await thrownError { try await store.append(event("orders/1"), expectedVersion: .exact(1)) }
        XCTAssertEqual(error as? StoreError, .wrongExpectedVersion(stream: "orders/1", expected: .exact(1), actual: nil))
    }

    func test_streamExistsRejectsAStreamThatWasNeverWritten() async throws {
        let store = try openStore()
        try await store.append(event("other"))

        let error = await thrownError { try await store.append(event("orders/1"), expectedVersion: .streamExists) }

        XCTAssertEqual(error as? StoreError, .wrongExpectedVersion(stream: "orders/1", expected: .streamExists, actual: nil))
        XCTAssertEqual(try store.headPosition(), 1)
        XCTAssertNil(try store.streamVersion("orders/1"))
    }

    func test_streamExistsAdmitsAnyExistingStream() async throws {
        let store = try openStore()
        try await store.append(events("orders/1", count: 5))
        let result = try await store.append(event("orders/1"), expectedVersion: .streamExists)
        XCTAssertEqual(result.streamVersion, 6)
    }

    func test_conflictWritesNothingOfTheBatch() async throws {
        let store = try openStore()
        try await store.append(events("orders/1", count: 2))
        let batch = events("orders/1", count: 3, from: 100)

        let error = await thrownError { try await store.append(batch, expectedVersion: .exact(1)) }

        XCTAssertEqual(error as? StoreError, .wrongExpectedVersion(stream: "orders/1", expected: .exact(1), actual: 2))
        XCTAssertEqual(try store.headPosition(), 2)
        XCTAssertEqual(try store.streamVersion("orders/1"), 2)
        for e in batch { XCTAssertNil(try store.position(of: e.id)) }
    }

    func test_wrongExpectedVersionIsNotRetryable() {
        XCTAssertFalse(StoreError.wrongExpectedVersion(stream: "s", expected: .exact(1), actual: 2).isRetryable)
    }
}
