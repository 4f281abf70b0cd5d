import ColonyContext
import ColonyStore
import Foundation
import XCTest

final class ContextRebuildTests: XCTestCase {
    /// A mixed workload: events at several depths, merged and superseded insights.
    private func workload(_ store: ColonyStore, batched: Bool) async throws {
        var events: [NewEvent] = []
        var rng = SplitMix(seed: 42)
        var insightIDs: [EventID] = []
        for i in 0..<600 {
            let scope = "o\(rng.next() % 3)/p\(rng.next() % 5)/s\(rng.next() % 7)"
            let id = EventID(high: 1, low: UInt64(i))
            let time: Int64 = 1_700_000_000_000_000 + Int64(i) * 1000
            if i % 7 == 0 {
                var payload = #"{"text":"insight \#(rng.next() % 20)","importance":0.\#(rng.next() % 10)"#
                if i % 21 == 0, let target = insightIDs.randomElement(using: &rng) { payload += #","supersedes":"\#(target)""# }
                payload += "}"
                events.append(NewEvent(id: id, stream: scope, kind: "insight", payload: Array(payload.utf8), timeMicroseconds: time))
                insightIDs.append(id)
            } else {
                events.append(NewEvent(id: id, stream: scope, kind: "k\(rng.next() % 4)",
                                       payload: Array(#"{"text":"event \#(i)","data":{"n":\#(i)}}"#.utf8), timeMicroseconds: time))
            }
        }
        if batched {
            for chunk in stride(from: 0, to: events.count, by: 97) {
                try await store.append(Array(events[chunk..<min(chunk + 97, events.count)]))
            }
        } else {
            for e in events { try await store.append(e) }
        }
    }

    func test_rebuildGivesTheSameViewBytesAsLiveUpdates() async throws {
        let t = try TemporaryStore(context: ContextProjection(recentEvents: 4, topInsights: 3))
        try await workload(t.store, batched: true)
        let live = try t.dumpContextView()
        XCTAssertGreaterThan(live.count, 50)
        let applied = try t.store.rebuild(view: "context").eventsApplied
        XCTAssertEqual(applied, 600)
        XCTAssertEqual(try t.dumpContextView(), live)
    }

    func test_viewBytesDoNotDependOnHowAppendsWereBatched() async throws {
        let one = try TemporaryStore(context: ContextProjection(recentEvents: 4, topInsights: 3))
        let many = try TemporaryStore(context: ContextProjection(recentEvents: 4, topInsights: 3))
        try await workload(one.store, batched: false)
        try await workload(many.store, batched: true)
        XCTAssertEqual(try one.dumpContextView(), try many.dumpContextView())
    }

    func test_changingTheLimitsRebuildsTheViewOnOpen() async throws {
        let t = try TemporaryStore(context: ContextProjection(recentEvents: 2, topInsights: 2))
        for i in 1...5 { try await t.store.logEvent(scope: "s", text: "e\(i)") }
        XCTAssertEqual((try t.context("s")["recent"] as? [Any])?.count, 2)
        try t.reopen(context: ContextProjection(recentEvents: 4, topInsights: 2))
        XCTAssertEqual((try t.context("s")["recent"] as? [Any])?.count, 4)
    }
}

/// A small deterministic generator for reproducible workloads.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
