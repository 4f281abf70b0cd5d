import ColonyStore
import ColonyTestSupport
import Foundation
import XCTest

final class StatisticsTests: StoreTestCase {
    func test_statisticsOfAnEmptyStore() throws {
        let store = try openStore(projections: [StreamSummaryProjection()])
        let stats = try store.statistics()

        XCTAssertEqual(stats.headPosition, 0)
        XCTAssertEqual(stats.streams, 0)
        XCTAssertEqual(stats.eventsCommitted, 0)
        XCTAssertEqual(stats.batchesCommitted, 0)
        XCTAssertEqual(stats.views.map(\.name), ["stream-summary"])
        XCTAssertEqual(stats.views.first?.entries, 0)
        XCTAssertEqual(stats.path, store.path)
    }

    func test_statisticsReportHeadStreamsViewsAndWriterCounters() async throws {
        let store = try openStore(projections: [StreamSummaryProjection(), KindIndexProjection()])
        try await store.append(events("alpha", count: 3))
        try await store.append([event("beta"), event("gamma")])
        try await store.append(event("alpha"))
        _ = await thrownError { try await store.append(event("alpha"), expectedVersion: .noStream) }

        let stats = try store.statistics()

        XCTAssertEqual(stats.headPosition, 6)
        XCTAssertEqual(stats.streams, 3)
        XCTAssertEqual(stats.eventsCommitted, 6)
        XCTAssertEqual(stats.batchesCommitted, 4)
        XCTAssertEqual(stats.failedAppends, 1)
        XCTAssertEqual(stats.largestBatchEvents, 3)
        XCTAssertEqual(stats.queueDepthEvents, 0)
        XCTAssertEqual(stats.views.map(\.name), ["stream-summary", "kind-index"])
        XCTAssertEqual(stats.views.map(\.checkpoint), [6, 6])
        XCTAssertEqual(stats.views.map(\.lagEvents), [0, 0])
        XCTAssertEqual(stats.views.map(\.entries), [3, 1])
        XCTAssertEqual(stats.views.map(\.version), [1, 1])
    }

    func test_statisticsReportFileAndMapSizes() async throws {
        let store = try openStore { $0.mapSizeBytes = 8 << 20 }
        try await store.append(events("s", count: 10))

        let stats = try store.statistics()

        XCTAssertEqual(stats.mapSizeBytes, 8 << 20)
        XCTAssertGreaterThan(stats.usedBytes, 0)
        XCTAssertLessThanOrEqual(stats.usedBytes, stats.mapSizeBytes)
        XCTAssertGreaterThanOrEqual(stats.fileSizeBytes, stats.usedBytes)
        XCTAssertGreaterThan(stats.maxReaders, 0)
    }

    func test_storeGrowsItsMapUnderAppends() async throws {
        let store = try openStore { $0.mapSizeBytes = 1 << 20 }
        let payload = #"{"blob":"\#(String(repeating: "x", count: 60_000))"}"#
        for _ in 0..<8 { try await store.append((0..<8).map { _ in event("big", payload) }) }

        XCTAssertEqual(try store.headPosition(), 64)
        XCTAssertGreaterThan(try store.statistics().mapSizeBytes, 1 << 20)
    }

    func test_appendPastTheMaximumMapSizeFailsRetryablyAndWritesNothing() async throws {
        let store = try openStore {
            $0.mapSizeBytes = 1 << 20
            $0.maxMapSizeBytes = 2 << 20
        }
        try await store.append(event("small"))
        let payload = #"{"blob":"\#(String(repeating: "x", count: 500_000))"}"#

        let error = await thrownError { try await store.append((0..<8).map { _ in event("big", payload) }) }

        XCTAssertEqual((error as? StoreError)?.isRetryable, true, "got \(String(describing: error))")
        guard case StoreError.storage? = error as? StoreError else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(try store.headPosition(), 1)
        try await store.append(event("small"))
        XCTAssertEqual(try store.headPosition(), 2)
    }

    func test_statisticsCountEventsAndSizeEveryDatabase() async throws {
        let store = try openStore(projections: [StreamSummaryProjection()])
        try await store.append(events("a", count: 70))  // enough for a stream-positions entry (version 63 of stream id 1)
        try await store.append(events("b", count: 2))

        let stats = try store.statistics()

        XCTAssertEqual(stats.events, 72)
        XCTAssertEqual(stats.format, 2)
        XCTAssertEqual(Set(stats.tables.map(\.name)),
                       ["events", "streams", "stream-positions", "stream-links", "event-ids", "checkpoints", "meta", "view:stream-summary"])
        XCTAssertEqual(stats.tables.first { $0.name == "events" }?.entries, 72)
        XCTAssertEqual(stats.tables.first { $0.name == "stream-positions" }?.entries, 1)
        XCTAssertEqual(stats.tables.first { $0.name == "stream-links" }?.entries, 72)
        XCTAssertEqual(stats.tables.first { $0.name == "view:stream-summary" }?.entries, 2)
        XCTAssertTrue(stats.tables.allSatisfy { $0.sizeBytes > 0 }, "\(stats.tables)")
        XCTAssertTrue(stats.readerProcessIDs.contains(ProcessInfo.processInfo.processIdentifier))
        XCTAssertGreaterThanOrEqual(stats.readersInUse, 1)
        XCTAssertEqual(stats.otherViews.count, 0)
    }

    func test_viewsOfProjectionsNotRegisteredAreListedFromTheirCheckpoints() async throws {
        let first = try openStore(projections: [StreamSummaryProjection(), KindIndexProjection()])
        try await first.append(events("a", count: 5))
        first.close()
        let second = try openStore(projections: [StreamSummaryProjection()])
        try await second.append(events("a", count: 3))

        let stats = try second.statistics()

        XCTAssertEqual(stats.views.map(\.name), ["stream-summary"])
        XCTAssertEqual(stats.otherViews.map(\.name), ["kind-index"])
        XCTAssertEqual(stats.otherViews.first?.checkpoint, 5)
        XCTAssertEqual(stats.otherViews.first?.lagEvents, 3)
        XCTAssertEqual(stats.otherViews.first?.entries, 1)
    }
}
