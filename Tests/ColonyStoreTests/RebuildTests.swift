import ColonyStore
import ColonyTestSupport
import Foundation
import Synchronization
import XCTest

/// `ColonyStore.rebuild`: beside the live view, resumable, swapped in atomically.
final class RebuildTests: StoreTestCase {
    func test_readersSeeTheWholeOldViewUntilTheSwap() async throws {
        let store = try openStore(projections: [StreamSummaryProjection()]) { $0.writer.rebuildChunkEvents = 10 }
        for i in 0..<12 { try await store.append(events("s\(i % 5)", count: 5, from: i * 5)) }
        let live = try store.dump(view: "stream-summary")
        var seenDuringRebuild: [[ViewEntry]] = []

        try store.rebuild(view: "stream-summary") { p in
            guard p.phase == .applying else { return }
            // Another thread's read transaction, taken while the rebuild's chunk is open.
            let seen = DispatchQueue.global().sync { try? store.dump(view: "stream-summary") }
            seenDuringRebuild.append(seen ?? [])
        }

        XCTAssertEqual(seenDuringRebuild.count, 6, "one progress report per chunk of 10 events")
        for seen in seenDuringRebuild { XCTAssertEqual(seen, live, "a reader during the rebuild sees the old view, whole") }
        XCTAssertEqual(try store.dump(view: "stream-summary"), live)
        XCTAssertEqual(try store.unfinishedRebuilds(), [:])
    }

    func test_interruptedRebuildResumesFromItsLastChunk() async throws {
        let failing = FailingProjection()
        let store = try openStore(projections: [failing]) { $0.writer.rebuildChunkEvents = 10 }
        try await store.append(events("a", count: 45))
        let live = try store.dump(view: "failing")

        failing.stop(at: 27)
        XCTAssertNotNil(thrownError { try store.rebuild() }, "the rebuild stops at position 27")

        XCTAssertEqual(try store.unfinishedRebuilds(), ["failing": 20], "the chunks up to 20 were committed")
        XCTAssertEqual(try store.statistics().unfinishedRebuilds, ["failing": 20])
        XCTAssertEqual(try store.dump(view: "failing"), live, "the live view is untouched")
        XCTAssertEqual(try store.statistics().views.first?.checkpoint, 45)

        failing.stop(at: nil)
        let report = try store.rebuild()

        XCTAssertEqual(report.resumedFrom, ["failing": 20])
        XCTAssertEqual(report.eventsApplied, 25)
        XCTAssertEqual(report.position, 45)
        XCTAssertEqual(try store.dump(view: "failing"), live)
        XCTAssertEqual(try store.unfinishedRebuilds(), [:])
    }

    func test_rebuildLeftByAnOlderProjectionVersionStartsOver() async throws {
        try await leaveAShadowOfVersion1()

        let second = try openStore(projections: [FailingProjection(version: 2)]) { $0.writer.rebuildChunkEvents = 10 }
        let report = try second.rebuild()

        XCTAssertEqual(report.resumedFrom, ["failing": 0], "shadow tables of another version are not resumed")
        XCTAssertEqual(report.eventsApplied, 30)
        XCTAssertEqual(try second.dump(view: "failing").map(\.description), ["v2:a = [30]"])
    }

    /// Leaves, in the store at `path`, 30 events and the shadow of a version-1 rebuild stopped at 20.
    private func leaveAShadowOfVersion1() async throws {
        let v1 = FailingProjection(version: 1)
        let first = try openStore(projections: [v1]) { $0.writer.rebuildChunkEvents = 10 }
        try await first.append(events("a", count: 30))
        v1.stop(at: 25)
        XCTAssertNotNil(thrownError { try first.rebuild() })
        XCTAssertEqual(try first.unfinishedRebuilds(), ["failing": 20])
        first.close()
    }

    func test_appendsDuringARebuildAreInTheSwappedView() async throws {
        try await appendsDuringRebuilds(chunk: 50)
    }

    func test_appendsDuringARebuildInPlaceAreInTheRebuiltView() async throws {
        try await appendsDuringRebuilds(chunk: 1_000_000)
    }

    /// Rebuilds three times while another task appends, then checks every event is in the view once.
    private func appendsDuringRebuilds(chunk: Int) async throws {
        let store = try openStore(projections: [StreamSummaryProjection()]) { $0.writer.rebuildChunkEvents = chunk }
        for i in 0..<40 { try await store.append(events("s\(i % 7)", count: 25, from: i * 25)) }
        let appending = Task {
            var n = 0
            while !Task.isCancelled && n < 2_000 {
                try await store.append(event("w\(n % 3)", #"{"n":\#(n)}"#))
                n += 1
            }
            return n
        }
        var rebuilds = 0
        while rebuilds < 3 {
            try store.rebuild()
            rebuilds += 1
        }
        appending.cancel()
        let appended = try await appending.value
        XCTAssertGreaterThan(appended, 0)

        let head = try store.headPosition()
        XCTAssertEqual(head, 1_000 + UInt64(appended))
        let counts = try store.dump(view: "stream-summary").map { StreamSummary(bytes: $0.value).count }
        XCTAssertEqual(counts.reduce(0, +), head, "every event is in the view once")
        let swapped = try store.dump(view: "stream-summary")
        try store.rebuild()
        XCTAssertEqual(try store.dump(view: "stream-summary"), swapped)
    }

    func test_rebuildOfEveryViewSwapsThemTogether() async throws {
        let store = try openStore(projections: [StreamSummaryProjection(), KindIndexProjection()]) {
            $0.writer.rebuildChunkEvents = 16
        }
        for i in 0..<10 { try await store.append(events("s\(i % 4)", count: 10, from: i * 10)) }
        let summary = try store.dump(view: "stream-summary")
        let kinds = try store.dump(view: "kind-index", table: "last")
        var phases: [RebuildProgress.Phase] = []
        var last: RebuildProgress?

        let report = try store.rebuild { phases.append($0.phase); last = $0 }

        XCTAssertEqual(report.views, ["stream-summary", "kind-index"])
        XCTAssertEqual(report.eventsApplied, 200, "100 events for each of the two views")
        XCTAssertEqual(report.logEvents, 100, "each event of the log counted once")
        XCTAssertEqual(last?.eventsApplied, 200)
        XCTAssertEqual(last?.logEventsApplied, 100, "progress in log events too")
        XCTAssertEqual(last?.logEventsTotal, 100)
        XCTAssertEqual(phases.last, .swapping)
        XCTAssertEqual(phases.filter { $0 == .swapping }.count, 1)
        XCTAssertEqual(try store.dump(view: "stream-summary"), summary)
        XCTAssertEqual(try store.dump(view: "kind-index", table: "last"), kinds)
    }

    // MARK: A log that fits one chunk: rebuilt in place, in one transaction

    func test_aLogThatFitsOneChunkIsRebuiltInPlaceWhileReadersSeeTheOldView() async throws {
        let store = try openStore(projections: [StreamSummaryProjection()]) { $0.writer.rebuildChunkEvents = 10_000 }
        for i in 0..<2_000 { try await store.append(events("s\(i % 5)", count: 5, from: i * 5)) }
        let live = try store.dump(view: "stream-summary")
        var seen: [(view: [ViewEntry], unfinished: [String: UInt64])] = []
        var phases: [RebuildProgress.Phase] = []

        let report = try store.rebuild(view: "stream-summary") { p in
            phases.append(p.phase)
            // Another thread's read transaction, while the rebuild's one transaction is open.
            seen.append(DispatchQueue.global().sync {
                ((try? store.dump(view: "stream-summary")) ?? [], (try? store.unfinishedRebuilds()) ?? ["error": 0])
            })
        }

        XCTAssertEqual(phases.filter { $0 == .applying }.count, 3, "a report per run of 4,096 events (10,000 events)")
        XCTAssertEqual(phases.last, .swapping)
        for s in seen {
            XCTAssertEqual(s.view, live, "a reader sees the old view, whole, until the transaction commits")
            XCTAssertEqual(s.unfinished, [:], "no shadow tables: the view is rebuilt in place")
        }
        XCTAssertEqual(report.views, ["stream-summary"])
        XCTAssertEqual(report.resumedFrom, ["stream-summary": 0])
        XCTAssertEqual(report.eventsApplied, 10_000)
        XCTAssertEqual(report.logEvents, 10_000)
        XCTAssertEqual(report.position, 10_000)
        XCTAssertEqual(report.entriesSwapped, live.count, "the keys of the rebuilt view")
        XCTAssertEqual(try store.dump(view: "stream-summary"), live)
        XCTAssertEqual(try store.statistics().views.first?.checkpoint, 10_000)
    }

    func test_aFailedRebuildInPlaceLeavesTheLiveViewAndNothingToResume() async throws {
        let failing = FailingProjection()
        let store = try openStore(projections: [failing])
        try await store.append(events("a", count: 45))
        let live = try store.dump(view: "failing")

        failing.stop(at: 27)
        XCTAssertNotNil(thrownError { try store.rebuild() })

        XCTAssertEqual(try store.dump(view: "failing"), live, "the transaction was aborted")
        XCTAssertEqual(try store.unfinishedRebuilds(), [:], "nothing was committed, so nothing is resumed")
        failing.stop(at: nil)
        XCTAssertEqual(try store.rebuild().resumedFrom, ["failing": 0])
        XCTAssertEqual(try store.dump(view: "failing"), live)
    }

    func test_anInterruptedRebuildIsResumedEvenWhenTheLogFitsOneChunk() async throws {
        let failing = FailingProjection()
        let store = try openStore(projections: [failing]) { $0.writer.rebuildChunkEvents = 10 }
        try await store.append(events("a", count: 45))
        let live = try store.dump(view: "failing")
        failing.stop(at: 27)
        XCTAssertNotNil(thrownError { try store.rebuild() })
        failing.stop(at: nil)

        let report = try store.rebuild(chunkEvents: 1_000)

        XCTAssertEqual(report.resumedFrom, ["failing": 20], "the shadow's chunks are not thrown away")
        XCTAssertEqual(report.eventsApplied, 25)
        XCTAssertEqual(try store.dump(view: "failing"), live)
        XCTAssertEqual(try store.unfinishedRebuilds(), [:])
    }

    func test_aRebuildInPlaceDiscardsTheShadowOfAnotherVersion() async throws {
        try await leaveAShadowOfVersion1()

        let second = try openStore(projections: [FailingProjection(version: 2)])
        let report = try second.rebuild()

        XCTAssertEqual(report.resumedFrom, ["failing": 0])
        XCTAssertEqual(try second.unfinishedRebuilds(), [:], "the old shadow and its checkpoint are gone")
        XCTAssertEqual(try second.dump(view: "failing").map(\.description), ["v2:a = [30]"])
    }

    func test_verifyNamesAnUnfinishedRebuildAndStillPasses() async throws {
        let failing = FailingProjection()
        let store = try openStore(projections: [failing]) { $0.writer.rebuildChunkEvents = 5 }
        try await store.append(events("a", count: 12))
        failing.stop(at: 8)
        XCTAssertNotNil(thrownError { try store.rebuild() })
        failing.stop(at: nil)

        let report = try store.verify()

        XCTAssertTrue(report.findings.isEmpty, "\(report.findings)")
        XCTAssertTrue(report.notes.contains { $0.contains("failing") && $0.contains("position 5") }, "\(report.notes)")
    }
}

/// Counts events per stream (`v<version>:<stream>`), and throws when it reaches a set position,
/// to stop a rebuild part-way the way a crash would.
final class FailingProjection: Projection, @unchecked Sendable {
    let name = "failing"
    let version: UInt32
    private let failAtPosition = Mutex<UInt64?>(nil)

    /// Makes `apply` throw at events from `position` on (nil: never).
    func stop(at position: UInt64?) { failAtPosition.withLock { $0 = position } }
    init(version: UInt32 = 1) { self.version = version }

    struct Stop: Error {}

    func apply(_ events: [RecordedEvent], to view: ViewWriter) throws {
        for e in events {
            if let stop = failAtPosition.withLock({ $0 }), e.position >= stop { throw Stop() }
            let key = Array("v\(version):".utf8) + Array(e.streamBytes)
            let n = try view.get(key)?.first ?? 0
            try view.put(key, [n + 1])
        }
    }
}
