import ColonyStore
import ColonyTestSupport
import Foundation
import XCTest

final class DurabilityTests: StoreTestCase {
    func test_bufferedAppendsAreAcknowledgedAndPresentAfterReopen() async throws {
        let store = try openStore(projections: [StreamSummaryProjection()]) {
            $0.durability = .buffered(syncIntervalMilliseconds: 10)
        }
        let results = try await withThrowingTaskGroup(of: AppendResult.self) { group in
            for i in 0..<100 { group.addTask { try await store.append(event("s\(i % 4)", #"{"i":\#(i)}"#)) } }
            return try await group.reduce(into: [AppendResult]()) { $0.append($1) }
        }
        XCTAssertEqual(results.map(\.lastPosition).sorted(), Array(1...100))
        XCTAssertEqual(try store.statistics().durability, "buffered(10 ms)")
        store.close()

        let reopened = try openStore(projections: [StreamSummaryProjection()])

        XCTAssertEqual(try reopened.headPosition(), 100)
        XCTAssertEqual(try (0..<4).map { try reopened.summary(of: "s\($0)")?.count }, [25, 25, 25, 25])
    }

    func test_durableIsTheDefault() throws {
        let store = try openStore()
        XCTAssertEqual(store.options.durability, .durable)
        XCTAssertEqual(try store.statistics().durability, "durable")
    }

    func test_closeCommitsWhatIsQueued() async throws {
        let store = try openStore { $0.writer.maxBatchDelayMicroseconds = 200_000 }
        let appends = Task { try await store.append(events("s", count: 5)) }
        try await Task.sleep(nanoseconds: 50_000_000)  // queued, the writer still gathering

        store.close()

        let result = try await appends.value
        XCTAssertEqual(result.positions, [1, 2, 3, 4, 5])
        let reopened = try openStore()
        XCTAssertEqual(try reopened.headPosition(), 5)
    }
}
