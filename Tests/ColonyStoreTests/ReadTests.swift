import ColonyStore
import Foundation
import XCTest

final class ReadTests: StoreTestCase {
    /// A store with 10 events: positions 1…10 alternate between streams "odd" and "even";
    /// event n has payload {"n":n}.
    private func openTenEvents() async throws -> ColonyStore {
        let store = try openStore()
        for n in 1...10 { try await store.append(event(n % 2 == 1 ? "odd" : "even", #"{"n":\#(n)}"#)) }
        return store
    }

    func test_headPositionOfAnEmptyStoreIsZero() throws {
        let store = try openStore()
        XCTAssertEqual(try store.headPosition(), 0)
        XCTAssertEqual(try store.read(from: 1).count, 0)
    }

    func test_readForwardReturnsEventsFromThePositionInOrder() async throws {
        let store = try await openTenEvents()
        let read = try store.read(from: 4)
        XCTAssertEqual(read.map(\.position), Array(4...10))
        XCTAssertEqual(read.map { text($0.payload) }, (4...10).map { #"{"n":\#($0)}"# })
    }

    func test_readForwardFromZeroStartsAtTheFirstEvent() async throws {
        let store = try await openTenEvents()
        XCTAssertEqual(try store.read(from: 0, limit: 2).map(\.position), [1, 2])
    }

    func test_readBackwardReturnsEventsFromThePositionInReverse() async throws {
        let store = try await openTenEvents()
        XCTAssertEqual(try store.read(from: 4, direction: .backward).map(\.position), [4, 3, 2, 1])
    }

    func test_readBackwardFromBeyondTheHeadStartsAtTheLastEvent() async throws {
        let store = try await openTenEvents()
        XCTAssertEqual(try store.read(from: .max, direction: .backward, limit: 3).map(\.position), [10, 9, 8])
    }

    func test_readBackwardFromZeroIsEmpty() async throws {
        let store = try await openTenEvents()
        XCTAssertEqual(try store.read(from: 0, direction: .backward).count, 0)
    }

    func test_readStopsAtTheLimit() async throws {
        let store = try await openTenEvents()
        XCTAssertEqual(try store.read(from: 2, limit: 3).map(\.position), [2, 3, 4])
        XCTAssertEqual(try store.read(from: 9, direction: .backward, limit: 2).map(\.position), [9, 8])
        XCTAssertEqual(try store.read(from: 1, limit: 0).count, 0)
    }

    func test_readPastTheHeadIsEmpty() async throws {
        let store = try await openTenEvents()
        XCTAssertEqual(try store.read(from: 11).count, 0)
    }

    func test_eventAtReturnsTheEventOrNilOutsideTheLog() async throws {
        let store = try await openTenEvents()
        XCTAssertEqual(try store.event(at: 7).map { text($0.payload) }, #"{"n":7}"#)
        XCTAssertNil(try store.event(at: 0))
        XCTAssertNil(try store.event(at: 11))
    }

    func test_readStreamForwardReturnsOnlyThatStreamByVersion() async throws {
        let store = try await openTenEvents()
        let odd = try store.readStream("odd")
        XCTAssertEqual(odd.map(\.streamVersion), [1, 2, 3, 4, 5])
        XCTAssertEqual(odd.map(\.position), [1, 3, 5, 7, 9])
        XCTAssertEqual(Set(odd.map(\.stream)), ["odd"])
    }

    func test_readStreamFromAVersionWithALimit() async throws {
        let store = try await openTenEvents()
        XCTAssertEqual(try store.readStream("even", from: 2, limit: 2).map(\.position), [4, 6])
    }

    func test_readStreamBackwardFromTheEnd() async throws {
        let store = try await openTenEvents()
        XCTAssertEqual(try store.readStream("even", from: .max, direction: .backward, limit: 3).map(\.streamVersion), [5, 4, 3])
        XCTAssertEqual(try store.readStream("even", from: 2, direction: .backward).map(\.position), [4, 2])
    }

    func test_readStreamBackwardWithoutAVersionStartsAtTheLastEvent() async throws {
        let store = try await openTenEvents()
        XCTAssertEqual(try store.readStream("even", direction: .backward, limit: 2).map(\.streamVersion), [5, 4])
    }

    func test_readStreamOfAnUnknownStreamIsEmpty() async throws {
        let store = try await openTenEvents()
        XCTAssertEqual(try store.readStream("nobody").count, 0)
    }
}
