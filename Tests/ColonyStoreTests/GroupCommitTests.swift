import ColonyStore
import Foundation
import XCTest

final class GroupCommitTests: StoreTestCase {
    func test_oneAppendsConflictDoesNotFailTheOthersInItsCommit() async throws {
        // A long batch delay makes the writer gather every append below into one commit.
        let store = try openStore { $0.writer.maxBatchDelayMicroseconds = 300_000 }
        try await store.append(event("contended"))
        let conflicting = 16

        let outcomes = await withTaskGroup(of: (Int, Result<AppendResult, Error>).self) { group in
            for i in 0..<32 {
                group.addTask {
                    if i == conflicting {
                        return (i, await outcome { try await store.append(event("contended"), expectedVersion: .exact(7)) })
                    }
                    return (i, await outcome { try await store.append(event("stream-\(i)"), expectedVersion: .noStream) })
                }
            }
            return await group.reduce(into: [Int: Result<AppendResult, Error>]()) { $0[$1.0] = $1.1 }
        }

        for (i, result) in outcomes where i != conflicting {
            XCTAssertNoThrow(try result.get(), "append \(i) failed")
        }
        XCTAssertThrowsError(try outcomes[conflicting]!.get()) { error in
            XCTAssertEqual(error as? StoreError, .wrongExpectedVersion(stream: "contended", expected: .exact(7), actual: 1))
        }
        XCTAssertEqual(try store.headPosition(), 32)
        XCTAssertEqual(try store.statistics().largestBatchEvents, 32, "all 32 appends shared one commit")
        XCTAssertEqual(try store.streamVersion("contended"), 1)
    }

    func test_concurrentAppendsGetDistinctDensePositions() async throws {
        let store = try openStore()
        let results = try await withThrowingTaskGroup(of: AppendResult.self) { group in
            for i in 0..<200 {
                group.addTask { try await store.append([event("s\(i % 7)"), event("s\(i % 5)")]) }
            }
            return try await group.reduce(into: [AppendResult]()) { $0.append($1) }
        }

        let positions = results.flatMap(\.positions).sorted()
        XCTAssertEqual(positions, Array(1...400))
        for r in results { XCTAssertEqual(r.positions[1], r.positions[0] + 1, "a batch's events are adjacent") }
        XCTAssertEqual(try store.headPosition(), 400)
    }

    func test_concurrentAppendsToOneStreamGetDenseVersions() async throws {
        let store = try openStore()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<100 { group.addTask { try await store.append(event("shared")) } }
            try await group.waitForAll()
        }
        XCTAssertEqual(try store.readStream("shared").map(\.streamVersion), Array(1...100))
    }

    func test_maxBatchDelayGathersConcurrentAppendsIntoOneCommit() async throws {
        let store = try openStore { $0.writer.maxBatchDelayMicroseconds = 300_000 }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 { group.addTask { try await store.append(event("s\(i)")) } }
            try await group.waitForAll()
        }

        let stats = try store.statistics()
        XCTAssertEqual(stats.batchesCommitted, 1)
        XCTAssertEqual(stats.eventsCommitted, 20)
    }

    func test_statisticsTimeEachBatchsWorkAndItsCommitApart() async throws {
        let store = try openStore(projections: [SlowProjection(milliseconds: 20)])
        for i in 0..<5 { try await store.append(event("s\(i)")) }

        let stats = try store.statistics()

        XCTAssertEqual(stats.batchesCommitted, 5)
        XCTAssertEqual(stats.batchWork.count, 5)
        XCTAssertEqual(stats.batchCommit.count, 5)
        XCTAssertGreaterThanOrEqual(stats.batchWork.p50Nanoseconds, 20_000_000, "the projection's 20 ms are the transaction's work")
        XCTAssertLessThan(stats.batchCommit.p50Nanoseconds, 20_000_000, "and are not counted in the commit")
        XCTAssertGreaterThan(stats.batchCommit.p50Nanoseconds, 0)
        XCTAssertLessThanOrEqual(stats.batchCommit.p50Nanoseconds, stats.batchCommit.p99Nanoseconds)
        XCTAssertLessThanOrEqual(stats.batchCommit.p99Nanoseconds, stats.batchCommit.maxNanoseconds)
    }

    func test_maxBatchEventsBoundsACommit() async throws {
        let store = try openStore {
            $0.writer.maxBatchDelayMicroseconds = 300_000
            $0.writer.maxBatchEvents = 4
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 { group.addTask { try await store.append(event("s\(i)")) } }
            try await group.waitForAll()
        }

        let stats = try store.statistics()
        XCTAssertEqual(stats.largestBatchEvents, 4)
        XCTAssertGreaterThanOrEqual(stats.batchesCommitted, 5)
        XCTAssertEqual(try store.headPosition(), 20)
    }

    func test_projectionFailureRejectsOnlyTheOffendingAppend() async throws {
        let store = try openStore(projections: [PoisonSensitiveProjection()]) {
            $0.writer.maxBatchDelayMicroseconds = 300_000
        }

        let outcomes = await withTaskGroup(of: (Int, Result<AppendResult, Error>).self) { group in
            for i in 0..<10 {
                group.addTask {
                    (i, await outcome { try await store.append(event("s\(i)", kind: i == 3 ? "poison" : "fine")) })
                }
            }
            return await group.reduce(into: [Int: Result<AppendResult, Error>]()) { $0[$1.0] = $1.1 }
        }

        XCTAssertThrowsError(try outcomes[3]!.get()) { error in
            guard case StoreError.projectionFailed(let name, _) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(name, "poison-sensitive")
        }
        for (i, result) in outcomes where i != 3 { XCTAssertNoThrow(try result.get(), "append \(i) failed") }
        XCTAssertEqual(try store.headPosition(), 9)
        XCTAssertNil(try store.streamVersion("s3"))
        XCTAssertEqual(try store.withView("poison-sensitive") { try $0.get(Array("count".utf8)) }, [9])
    }
}

/// Counts events; refuses (throws on) events of kind "poison".
/// Takes `milliseconds` to apply each run of events, and writes nothing.
struct SlowProjection: Projection {
    let name = "slow"
    let version: UInt32 = 1
    let milliseconds: UInt32

    func apply(_ events: [RecordedEvent], to view: ViewWriter) throws { usleep(milliseconds * 1_000) }
}

struct PoisonSensitiveProjection: Projection {
    struct Poisoned: Error {}
    let name = "poison-sensitive"
    let version: UInt32 = 1

    func apply(_ events: [RecordedEvent], to view: ViewWriter) throws {
        var count = try view.get(Array("count".utf8))?.first ?? 0
        for e in events {
            if e.kind == "poison" { throw Poisoned() }
            count += 1
        }
        try view.put(Array("count".utf8), [count])
    }
}

/// The result of `body`, success or failure.
func outcome<T>(_ body: () async throws -> T) async -> Result<T, Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}
