@testable import ColonyContext
import ColonyStore
import Foundation
import LMDB
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

    /// A batch's fragments are rendered into one array before it is applied (`applyRendered`),
    /// reusing one members list from event to event; a single event is rendered on its own.
    /// Both give the same bytes for every kind of payload: objects, payloads that are not
    /// objects (right after an object, whose members must not carry over), payloads over the
    /// limit shown cut, insights, and streams outside the view in the middle of a batch.
    func test_aBatchRenderedAtOnceGivesTheSameViewBytesAsEventsAppliedOneByOne() async throws {
        var rng = SplitMix(seed: 23)
        var events: [NewEvent] = []
        let payloads = [#"[1,2,{"text":"in an array"}]"#, #""just a string""#, "42", "null", #"{"text":"after","n":1}"#]
        for i in 0..<700 {
            let scope = "o\(rng.next() % 2)/p\(rng.next() % 4)/s\(rng.next() % 9)"
            let id = EventID(high: 4, low: UInt64(i))
            let time: Int64 = 1_700_000_000_000_000 + Int64(i) * 1000
            let payload: String
            var stream = scope, kind = "k\(rng.next() % 3)"
            switch i % 9 {
            case 0: payload = payloads[(i / 9) % payloads.count]
            case 1: payload = #"{"text":"\#(String(repeating: "w", count: 2_100 + Int(rng.next() % 900)))","data":[\#(i)]}"#
            case 2: kind = "insight"; payload = #"{"text":"insight \#(rng.next() % 15)","importance":0.\#(rng.next() % 10)}"#
            case 3: stream = "agent:\(i % 5)"; payload = #"{"n":\#(i)}"#
            default: payload = #"{"text":"event \#(i) \#(String(repeating: "v", count: Int(rng.next() % 400)))","data":{"i":\#(i)}}"#
            }
            events.append(NewEvent(id: id, stream: stream, kind: kind, payload: Array(payload.utf8), timeMicroseconds: time))
        }
        let one = try TemporaryStore(context: ContextProjection(recentEvents: 5, topInsights: 3))
        let batched = try TemporaryStore(context: ContextProjection(recentEvents: 5, topInsights: 3))
        for e in events { try await one.store.append(e) }
        for chunk in stride(from: 0, to: events.count, by: 50) {
            try await batched.store.append(Array(events[chunk..<min(chunk + 50, events.count)]))
        }
        let view = try one.dumpContextView()
        XCTAssertGreaterThan(view.count, 100)
        assertSameView(try batched.dumpContextView(), view)
        // The cut payloads and the non-object ones reached the view as fragments.
        let shown = view.values.map { String(decoding: $0, as: UTF8.self) }
        XCTAssertTrue(shown.contains { $0.contains(#""truncated":true"#) })
        XCTAssertTrue(shown.contains { $0.contains(#""payload":"just a string""#) })
    }

    /// Default limits and payloads of mixed sizes, so that at the end some scopes hold events
    /// in their head value and others have just folded them into the body, by either rule
    /// (N events, or more than `foldBytes` of JSON).
    private func mixedSizes(_ store: ColonyStore, batch: Int) async throws {
        var rng = SplitMix(seed: 7)
        var events: [NewEvent] = []
        for i in 0..<900 {
            let scope = "o\(rng.next() % 2)/p\(rng.next() % 3)/s\(rng.next() % 5)"
            let text = String(repeating: "x", count: Int(rng.next() % 700))
            let kind = i % 11 == 0 ? "insight" : "k\(rng.next() % 3)"
            events.append(NewEvent(id: EventID(high: 2, low: UInt64(i)), stream: scope, kind: kind,
                                   payload: Array(#"{"text":"\#(text) \#(i % 40)"}"#.utf8),
                                   timeMicroseconds: 1_700_000_000_000_000 + Int64(i)))
        }
        for chunk in stride(from: 0, to: events.count, by: batch) {
            try await store.append(Array(events[chunk..<min(chunk + batch, events.count)]))
        }
    }

    func test_defaultLimitsGiveTheSameViewBytesWhateverTheBatchesAndAfterARebuild() async throws {
        let one = try TemporaryStore()
        let many = try TemporaryStore()
        try await mixedSizes(one.store, batch: 1)
        try await mixedSizes(many.store, batch: 61)
        let live = try one.dumpContextView()
        XCTAssertEqual(try many.dumpContextView(), live)
        XCTAssertEqual(try one.store.rebuild(view: "context").eventsApplied, 900)
        XCTAssertEqual(try one.dumpContextView(), live)
        // Both kinds of value are present: heads holding unfolded events, and bodies.
        XCTAssertTrue(live.keys.contains { $0.hasPrefix("main|") && $0.hasSuffix(", 0]") })
    }

    /// A rebuild applies the log in runs of 4,096 events, long enough for the fragments to
    /// be rendered on a second thread (`ContextProjection.pipelineMinimumEvents`); live
    /// batches of 97 are not. Every kind of event is in the mix: leaves and ancestors,
    /// insights (merged and superseded), payloads shown whole and cut, streams outside the view.
    func test_rebuildWithFragmentsRenderedAheadGivesTheSameViewBytesAsLiveUpdates() async throws {
        try await rebuildOfMixedRunsMatchesLiveUpdates(rendererThread: true)
    }

    /// With no thread to be had for the renderer (a process at its thread limit), a rebuild
    /// renders on its own thread and gives the same bytes; it does not wait for a renderer
    /// that never started.
    func test_rebuildWithoutARendererThreadRendersOnItsOwnThreadAndGivesTheSameViewBytes() async throws {
        DetachedThread.injectedFailures.withLock { $0["colony-render"] = EAGAIN }
        defer { DetachedThread.injectedFailures.withLock { $0["colony-render"] = nil } }
        try await rebuildOfMixedRunsMatchesLiveUpdates(rendererThread: false)
    }

    private func rebuildOfMixedRunsMatchesLiveUpdates(rendererThread: Bool) async throws {
        let t = try TemporaryStore(context: ContextProjection(recentEvents: 5, topInsights: 3))
        var rng = SplitMix(seed: 11)
        var events: [NewEvent] = []
        var insightIDs: [EventID] = []
        for i in 0..<9_000 {
            let scope = "o\(rng.next() % 3)/p\(rng.next() % 7)/s\(rng.next() % 40)"
            let id = EventID(high: 3, low: UInt64(i))
            let time: Int64 = 1_700_000_000_000_000 + Int64(i) * 1000
            switch i % 13 {
            case 0:
                var payload = #"{"text":"insight \#(rng.next() % 30)","importance":0.\#(rng.next() % 10)"#
                if i % 39 == 0, let target = insightIDs.randomElement(using: &rng) { payload += #","supersedes":"\#(target)""# }
                events.append(NewEvent(id: id, stream: scope, kind: "insight", payload: Array((payload + "}").utf8), timeMicroseconds: time))
                insightIDs.append(id)
            case 1:
                events.append(NewEvent(id: id, stream: "task:\(i % 17)", kind: "task", payload: Array(#"{"n":\#(i)}"#.utf8), timeMicroseconds: time))
            default:
                let text = String(repeating: "z", count: Int(rng.next() % (i % 5 == 0 ? 3_000 : 300)))
                events.append(NewEvent(id: id, stream: scope, kind: "k\(rng.next() % 4)",
                                       payload: Array(#"{"text":"\#(text) \"\#(i)\"","data":{"n":\#(i)}}"#.utf8), timeMicroseconds: time))
            }
        }
        for chunk in stride(from: 0, to: events.count, by: 97) {
            try await t.store.append(Array(events[chunk..<min(chunk + 97, events.count)]))
        }
        let live = try t.dumpContextView()
        XCTAssertGreaterThan(live.count, 500)
        let runsBefore = ContextProjection.pipelinedRuns
        XCTAssertEqual(try t.store.rebuild(view: "context").eventsApplied, 9_000)
        if rendererThread {
            XCTAssertGreaterThanOrEqual(ContextProjection.pipelinedRuns - runsBefore, 2, "the rebuild's runs of 4,096 were not rendered ahead")
        } else {
            XCTAssertEqual(ContextProjection.pipelinedRuns - runsBefore, 0, "a run was counted as rendered ahead without a renderer")
        }
        assertSameView(try t.dumpContextView(), live)
    }

    func test_recentIsTheNewestNEventsAfterEveryAppendAcrossFolds() async throws {
        let t = try TemporaryStore(context: ContextProjection(recentEvents: 6, topInsights: 2))
        var rng = SplitMix(seed: 3)
        var positions: [Int] = []
        for i in 0..<80 {
            // 0-600 bytes: some events fold after one, others after several.
            let text = String(repeating: "y", count: Int(rng.next() % 600))
            let result = try await t.store.logEvent(scope: "a/b", text: "\(i) \(text)")
            positions.insert(Int(result.lastPosition), at: 0)
            let recent = try XCTUnwrap(t.context("a/b")["recent"] as? [[String: Any]])
            XCTAssertEqual(recent.compactMap { $0["position"] as? Int }, Array(positions.prefix(6)), "after event \(i)")
        }
    }

    func test_aSmallEventAfterAFoldRewritesTheHeadButNotTheBody() async throws {
        let t = try TemporaryStore()
        let head = "main|\(Array("a".utf8))", body = "main|\(Array("a".utf8) + [0])"
        var folds = 0
        var last = try t.dumpContextView()
        for i in 0..<40 {
            try await t.store.logEvent(scope: "a", text: "event \(i)")
            let now = try t.dumpContextView()
            XCTAssertNotEqual(now[head], last[head], "event \(i) left the head as it was")
            if now[body] != last[body] {
                folds += 1
                // One small event after a fold is far from either fold rule.
                try await t.store.logEvent(scope: "a", text: "small")
                let next = try t.dumpContextView()
                XCTAssertEqual(next[body], now[body], "the body was rewritten by an event that did not fold")
                XCTAssertEqual((try t.context("a")["recent"] as? [[String: Any]])?.first?["text"] as? String, "small")
                last = next
            } else {
                last = now
            }
        }
        XCTAssertGreaterThanOrEqual(folds, 2)
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
