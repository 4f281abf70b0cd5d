import ColonyStore
import ColonyTestSupport
import Foundation
import LMDB
import Synchronization
import XCTest

/// What the store does when one transaction would be too large for LMDB (`MDB_TXN_FULL`):
/// a rebuild in place falls back to chunks beside the live view, and every chunked path
/// (a rebuild, the catch-up at open, `verify`'s rebuild) halves its chunk until it fits.
///
/// LMDB spills dirty pages to disk before it gives up, so a real `MDB_TXN_FULL` needs a
/// transaction of hundreds of megabytes: too slow for a test. `DirtyLimitProjection` raises
/// the same error, from inside the transaction, once one transaction has applied more than a
/// set number of events, as LMDB does once one has dirtied too many pages.
final class TransactionFullTests: StoreTestCase {
    /// 240 events over 6 streams, appended 10 per batch (each batch fits the limit).
    private func fill(_ store: ColonyStore) async throws {
        for i in 0..<24 { try await store.append(events("s\(i % 6)", count: 10, from: i * 10)) }
    }

    func test_aRebuildTooLargeForOneTransactionIsDoneInChunksAndGivesTheSameView() async throws {
        let limited = DirtyLimitProjection(limit: 50)
        let store = try openStore(projections: [limited]) { $0.writer.rebuildChunkEvents = 1_000 }
        try await fill(store)
        let live = try store.dump(view: "dirty-limit")
        XCTAssertEqual(live.count, 6)
        limited.resetCounts()

        let report = try store.rebuild(view: "dirty-limit")

        // In place (240 events in one transaction): refused. Chunks of 1,000, 500, 250, 125 and 62
        // events: refused. Chunks of 31: 8 of them.
        XCTAssertEqual(limited.refusals, 6, "the transaction in place, then one per halving of the chunk")
        XCTAssertEqual(limited.largestCommittedTransaction, 31)
        XCTAssertEqual(report.position, 240)
        XCTAssertEqual(report.eventsApplied, 240)
        XCTAssertEqual(report.resumedFrom, ["dirty-limit": 0])
        XCTAssertEqual(try store.dump(view: "dirty-limit"), live, "the same view as the live updates gave")
        XCTAssertEqual(try store.unfinishedRebuilds(), [:])
        XCTAssertEqual(try store.statistics().views.first?.checkpoint, 240)
    }

    func test_aViewBehindTheLogAtOpenIsCaughtUpInChunksSmallEnoughForLMDB() async throws {
        let unlimited = try openStore(projections: [DirtyLimitProjection(limit: .max)])
        try await fill(unlimited)
        let expected = try unlimited.dump(view: "dirty-limit")
        unlimited.close()
        let logOnly = try openStore()
        try await logOnly.append(events("s0", count: 5, from: 240))
        logOnly.close()

        // Version 2 of the same view: opening rebuilds it from the log (245 events).
        let limited = DirtyLimitProjection(limit: 40, version: 2)
        let store = try openStore(projections: [limited]) { $0.writer.rebuildChunkEvents = 100 }

        XCTAssertEqual(limited.refusals, 2, "chunks of 100 and 50 refused")
        XCTAssertEqual(limited.largestCommittedTransaction, 25)
        XCTAssertEqual(try store.statistics().views.first?.checkpoint, 245)
        var counts = Dictionary(uniqueKeysWithValues: expected.map { (String(decoding: $0.key, as: UTF8.self), StreamSummary(bytes: $0.value).count) })
        counts["s0"]! += 5
        let rebuilt = try store.dump(view: "dirty-limit")
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: rebuilt.map { (String(decoding: $0.key, as: UTF8.self), StreamSummary(bytes: $0.value).count) }),
                       counts)
        XCTAssertEqual(rebuilt.filter { $0.key != Array("s0".utf8) }, expected.filter { $0.key != Array("s0".utf8) },
                       "streams without new events are as the live updates left them")
    }

    func test_verifyRebuildsAViewTooLargeForOneTransactionInChunksAndFindsItEqual() async throws {
        let limited = DirtyLimitProjection(limit: 100)
        let store = try openStore(projections: [limited]) { $0.writer.rebuildChunkEvents = 1_000 }
        try await fill(store)
        limited.resetCounts()

        let report = try store.verify()

        XCTAssertTrue(report.findings.isEmpty, "\(report.findings)")
        XCTAssertEqual(report.views.map(\.outcome), [.equal])
        XCTAssertEqual(report.views.first?.entriesCompared, 6)
        XCTAssertEqual(limited.refusals, 4, "the whole log (chunks of 1,000, 500 and 250), then 125 events refused")
        XCTAssertEqual(limited.largestCommittedTransaction, 62)
    }

    func test_appendsGroupedIntoATransactionTooLargeAreCommittedOneByOneAndAnAppendTooLargeAloneFails() async throws {
        let limited = DirtyLimitProjection(limit: 50)
        // The writer waits 50 ms for a batch to form, so the eight appends below share one.
        let store = try openStore(projections: [limited]) { $0.writer.maxBatchDelayMicroseconds = 50_000 }

        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<8 { group.addTask { (try? await store.append(events("g\(i)", count: 30))) != nil } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }

        XCTAssertEqual(results, Array(repeating: true, count: 8), "every append of 30 events fits alone")
        XCTAssertGreaterThanOrEqual(limited.refusals, 1, "at least one transaction held more than one append")
        XCTAssertEqual(try store.headPosition(), 240)
        XCTAssertEqual(try store.dump(view: "dirty-limit").map { StreamSummary(bytes: $0.value).count }, Array(repeating: 30, count: 8))

        let error = await thrownError { try await store.append(events("big", count: 60)) }

        guard case StoreError.storage(let lmdb)? = error else { return XCTFail("expected a storage error, got \(String(describing: error))") }
        XCTAssertEqual(lmdb.code, LMDBError.transactionFull)
        XCTAssertTrue("\(error!)".contains("split the append into smaller ones"), "the error says what to do: \(error!)")
        XCTAssertEqual(try store.headPosition(), 240, "nothing of the refused append was written")
        XCTAssertNil(try store.withView("dirty-limit") { try $0.get(Array("big".utf8)) })
        try await store.append(events("after", count: 5))
        XCTAssertEqual(try store.headPosition(), 245, "the writer goes on")
    }

    func test_aTransactionThatCannotBeMadeSmallerFailsWithLMDBsErrorAndChangesNothing() async throws {
        let limited = DirtyLimitProjection(limit: 50)
        let store = try openStore(projections: [limited]) { $0.writer.rebuildChunkEvents = 1_000 }
        try await fill(store)
        let live = try store.dump(view: "dirty-limit")
        limited.refuseEverything(true)

        let error = thrownError { try store.rebuild(view: "dirty-limit") }

        guard case StoreError.storage(let lmdb)? = error else { return XCTFail("expected a storage error, got \(String(describing: error))") }
        XCTAssertEqual(lmdb.code, LMDBError.transactionFull)
        XCTAssertEqual(limited.refusals, 11, "in place, then chunks of 1,000, 500, 250, 125, 62, 31, 15, 7, 3 and 1")
        XCTAssertEqual(try store.dump(view: "dirty-limit"), live, "every refused transaction was aborted")
        XCTAssertEqual(try store.unfinishedRebuilds(), ["dirty-limit": 0],
                       "the chunked rebuild was started (its shadow is empty), so the next one resumes it")

        limited.refuseEverything(false)
        let report = try store.rebuild(view: "dirty-limit")
        XCTAssertEqual(report.resumedFrom, ["dirty-limit": 0])
        XCTAssertEqual(try store.dump(view: "dirty-limit"), live)
        XCTAssertEqual(try store.unfinishedRebuilds(), [:])
    }
}

/// The stream summary (see `StreamSummaryProjection`), which throws `MDB_TXN_FULL` from inside
/// the transaction once one transaction (one session) has applied more than `limit` events.
/// Counts its refusals and the largest transaction it let through.
final class DirtyLimitProjection: Projection, @unchecked Sendable {
    let name = "dirty-limit"
    let version: UInt32
    private let limit: Int
    private let state = Mutex<(refusals: Int, largest: Int, refuseAll: Bool)>((0, 0, false))

    init(limit: Int, version: UInt32 = 1) {
        self.limit = limit
        self.version = version
    }

    var refusals: Int { state.withLock { $0.refusals } }
    /// The most events one finished session applied (the sessions of aborted transactions excluded).
    var largestCommittedTransaction: Int { state.withLock { $0.largest } }
    func resetCounts() { state.withLock { $0 = (0, 0, $0.refuseAll) } }
    /// Makes every session refuse its first run (as if LMDB could not take even one event).
    func refuseEverything(_ on: Bool) { state.withLock { $0.refuseAll = on } }

    func apply(_ events: [RecordedEvent], to view: ViewWriter) throws {
        try StreamSummaryProjection().apply(events, to: view)
    }

    func makeSession(_ view: ViewWriter) -> any ProjectionSession { Session(projection: self, view: view) }

    struct Session: ProjectionSession {
        let projection: DirtyLimitProjection
        let view: ViewWriter
        var applied = 0

        mutating func apply(_ events: [RecordedEvent]) throws {
            applied += events.count
            let refuse = projection.state.withLock { s -> Bool in
                guard s.refuseAll || applied > projection.limit else { return false }
                s.refusals += 1
                return true
            }
            if refuse { throw LMDBError(code: LMDBError.transactionFull, operation: "mdb_put") }
            try projection.apply(events, to: view)
        }

        mutating func finish() throws {
            let applied = applied
            projection.state.withLock { $0.largest = max($0.largest, applied) }
        }
    }
}
