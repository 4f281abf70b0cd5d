import ColonyStore
import ColonyTestSupport
import Foundation
import XCTest

final class ProjectionTests: StoreTestCase {
    func test_viewShowsAnAppendAsSoonAsTheAppendReturns() async throws {
        let store = try openStore(projections: [StreamSummaryProjection()])
        try await store.append(events("alpha", count: 2))

        let result = try await store.append(event("alpha", #"{"n":2}"#))

        let summary = try XCTUnwrap(try store.summary(of: "alpha"))
        XCTAssertEqual(summary.count, 3)
        XCTAssertEqual(summary.lastPosition, result.lastPosition)
        XCTAssertNil(try store.summary(of: "beta"))
    }

    /// `ViewWriter`'s raw-buffer calls (keys made on the stack, values read in place) store,
    /// find and remove what the array calls do, live and in a rebuild.
    func test_aProjectionWritingWithRawBuffersKeepsItsView() async throws {
        let store = try openStore(projections: [RawBufferProjection()])
        try await store.append([event("a", kind: "keep"), event("a", kind: "gone"), event("a", kind: "drop")])
        try await store.append(event("b", kind: "keep"))
        let expected = [(1, "keep"), (3, "drop"), (4, "keep")].map { position, kind in
            ViewEntry(key: withUnsafeBytes(of: UInt64(position).bigEndian) { Array($0) }, value: Array(kind.utf8))
        }
        XCTAssertEqual(try store.dump(view: "raw-buffers"), expected)
        try store.rebuild(view: "raw-buffers")
        XCTAssertEqual(try store.dump(view: "raw-buffers"), expected)
    }

    func test_viewCheckpointEqualsTheHead() async throws {
        let store = try openStore(projections: [StreamSummaryProjection()])
        for i in 0..<5 { try await store.append(events("s\(i % 2)", count: i + 1)) }

        let stats = try store.statistics()

        XCTAssertEqual(stats.headPosition, 15)
        XCTAssertEqual(stats.views.map(\.name), ["stream-summary"])
        XCTAssertEqual(stats.views.first?.checkpoint, 15)
        XCTAssertEqual(stats.views.first?.lagEvents, 0)
    }

    func test_idempotentRetryDoesNotApplyTheEventTwice() async throws {
        let store = try openStore(projections: [StreamSummaryProjection()])
        let e = event("alpha")
        try await store.append(e)
        try await store.append(e)
        XCTAssertEqual(try store.summary(of: "alpha")?.count, 1)
    }

    func test_rejectedAppendLeavesTheViewUntouched() async throws {
        let store = try openStore(projections: [StreamSummaryProjection()])
        try await store.append(event("alpha"))
        let before = try store.dump(view: "stream-summary")

        _ = await thrownError { try await store.append(event("alpha"), expectedVersion: .noStream) }

        XCTAssertEqual(try store.dump(view: "stream-summary"), before)
    }

    func test_rebuildGivesByteForByteTheLiveView() async throws {
        let store = try openStore(projections: [StreamSummaryProjection(), KindIndexProjection()])
        // Many batch shapes and concurrent appends, so live updates saw other splits than the rebuild.
        for i in 0..<20 { try await store.append(events("s\(i % 6)", count: i % 4 + 1, from: i * 10)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<50 {
                group.addTask { try await store.append(event("s\(i % 9)", #"{"c":\#(i)}"#, kind: "k\(i % 3)")) }
            }
            try await group.waitForAll()
        }
        let live = try store.dump(view: "stream-summary")
        let liveKinds = try store.dump(view: "kind-index", table: "last")
        XCTAssertEqual(live.count, 9)

        let applied = try store.rebuild(view: "stream-summary").eventsApplied

        XCTAssertEqual(applied, try store.headPosition())
        XCTAssertEqual(try store.dump(view: "stream-summary"), live)
        try store.rebuild()
        XCTAssertEqual(try store.dump(view: "stream-summary"), live)
        XCTAssertEqual(try store.dump(view: "kind-index", table: "last"), liveKinds)
    }

    func test_rebuildInSmallChunksGivesTheSameView() async throws {
        let store = try openStore(projections: [StreamSummaryProjection()]) { $0.writer.rebuildChunkEvents = 7 }
        for i in 0..<10 { try await store.append(events("s\(i % 3)", count: 5, from: i * 5)) }
        let live = try store.dump(view: "stream-summary")
        var progress: [UInt64] = []

        let report = try store.rebuild(view: "stream-summary") { p in
            if p.phase == .applying { progress.append(p.position) }
        }

        XCTAssertEqual(report.eventsApplied, 50)
        XCTAssertEqual(report.position, 50)
        XCTAssertEqual(progress, [7, 14, 21, 28, 35, 42, 49, 50])
        XCTAssertEqual(try store.dump(view: "stream-summary"), live)
    }

    func test_rebuildOfAnUnknownViewIsRefused() throws {
        let store = try openStore(projections: [StreamSummaryProjection()])
        XCTAssertEqual(thrownError { try store.rebuild(view: "nope") } as? StoreError, .unknownView("nope"))
        XCTAssertEqual(thrownError { try store.withView("nope") { _ in 0 } } as? StoreError, .unknownView("nope"))
    }

    func test_projectionWithANewVersionIsRebuiltOnOpen() async throws {
        let v1 = try openStore(projections: [VersionedProjection(version: 1)])
        try await v1.append([event("alpha"), event("beta"), event("alpha")])
        XCTAssertEqual(try v1.dump(view: "versioned").map(\.description), ["v1:alpha = [2]", "v1:beta = [1]"])
        v1.close()

        let v2 = try openStore(projections: [VersionedProjection(version: 2)])

        XCTAssertEqual(try v2.dump(view: "versioned").map(\.description), ["v2:alpha = [2]", "v2:beta = [1]"])
        let view = try XCTUnwrap(try v2.statistics().views.first)
        XCTAssertEqual(view.version, 2)
        XCTAssertEqual(view.checkpoint, 3)
        try await v2.append(event("beta"))
        XCTAssertEqual(try v2.dump(view: "versioned").map(\.description), ["v2:alpha = [2]", "v2:beta = [2]"])
    }

    func test_projectionWithTheSameVersionIsNotRebuiltOnOpen() async throws {
        let first = try openStore(projections: [VersionedProjection(version: 1)])
        try await first.append(event("alpha"))
        first.close()

        // The same name and version with different behaviour: the stored view is kept as it is.
        let second = try openStore(projections: [VersionedProjection(version: 1, prefixOverride: "other")])

        XCTAssertEqual(try second.dump(view: "versioned").map(\.description), ["v1:alpha = [1]"])
    }

    func test_projectionAddedLaterCatchesUpOnOpen() async throws {
        let plain = try openStore()
        for i in 0..<10 { try await plain.append(events("s\(i % 4)", count: 5, from: i * 5)) }
        plain.close()

        // A small budget makes the catch-up take several transactions.
        let store = try openStore(projections: [StreamSummaryProjection()]) { $0.writer.rebuildChunkEvents = 7 }

        XCTAssertEqual(try store.statistics().views.first?.checkpoint, 50)
        XCTAssertEqual(try (0..<4).map { try store.summary(of: "s\($0)")?.count }, [15, 15, 10, 10])
        let live = try store.dump(view: "stream-summary")
        try store.rebuild()
        XCTAssertEqual(try store.dump(view: "stream-summary"), live)
    }

    func test_viewLeftBehindByAnotherWriterCatchesUpOnOpen() async throws {
        let with = try openStore(projections: [StreamSummaryProjection()])
        try await with.append(events("alpha", count: 3))
        with.close()
        let without = try openStore()
        try await without.append(events("alpha", count: 4, from: 3))
        without.close()

        let store = try openStore(projections: [StreamSummaryProjection()])

        XCTAssertEqual(try store.summary(of: "alpha")?.count, 7)
        XCTAssertEqual(try store.summary(of: "alpha")?.lastPosition, 7)
    }

    func test_twoProjectionsWithOneNameAreRefused() throws {
        let error = thrownError { try openStore(projections: [StreamSummaryProjection(), StreamSummaryProjection()]) }
        guard case StoreError.invalidArgument? = error as? StoreError else { return XCTFail("got \(String(describing: error))") }
    }

    func test_projectionNameWithASlashIsRefused() throws {
        let error = thrownError { try openStore(projections: [VersionedProjection(version: 1, name: "a/b")]) }
        guard case StoreError.invalidArgument? = error as? StoreError else { return XCTFail("got \(String(describing: error))") }
    }
}

/// Writes "v<version>:<stream>" → count (one byte), to tell which version built the view.
struct VersionedProjection: Projection {
    var version: UInt32
    var prefixOverride: String? = nil
    var name = "versioned"

    func apply(_ events: [RecordedEvent], to view: ViewWriter) throws {
        for e in events {
            let key = Array("\(prefixOverride ?? "v\(version)"):\(e.stream)".utf8)
            let n = try view.get(key)?.first ?? 0
            try view.put(key, [n + 1])
        }
    }
}

/// Keeps, per kind, the last position in an extra table "last", and the count in the main one.
struct KindIndexProjection: Projection {
    let name = "kind-index"
    let version: UInt32 = 1
    var tables: [String] { ["last"] }

    func apply(_ events: [RecordedEvent], to view: ViewWriter) throws {
        for e in events {
            let key = Array(e.kindBytes)
            let n = try view.withValue(key) { $0.map { $0.loadUnaligned(as: UInt64.self) } } ?? 0
            try view.put(key, withUnsafeBytes(of: n + 1) { Array($0) })
            try view.put(key, withUnsafeBytes(of: e.position) { Array($0) }, table: "last")
        }
    }
}

/// Position (big-endian, on the stack) → kind, written with `ViewWriter`'s raw-buffer calls only.
/// An event of kind "drop" removes the entry of the position before it, if that entry is there.
private struct RawBufferProjection: Projection {
    let name = "raw-buffers"
    let version: UInt32 = 1

    func apply(_ events: [RecordedEvent], to view: ViewWriter) throws {
        for event in events {
            try withUnsafeBytes(of: event.position.bigEndian) { key in
                try event.kindBytes.withUnsafeBytes { try view.put(key, $0) }
            }
            guard event.kindBytes.elementsEqual("drop".utf8) else { continue }
            try withUnsafeBytes(of: (event.position - 1).bigEndian) { key in
                if try view.withValue(key, { $0 != nil }) { try view.delete(key) }
            }
        }
    }
}
