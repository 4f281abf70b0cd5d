import ColonyContext
import ColonyStore
import Foundation
import XCTest

final class ContextViewTests: XCTestCase {
    func test_eventUpdatesItsScopeAndEveryAncestor() async throws {
        let t = try TemporaryStore()
        try await t.store.logEvent(scope: "acme/api/s1", text: "deployed", kind: "deploy")
        for scope in ["acme", "acme/api", "acme/api/s1"] {
            let c = try t.context(scope)
            XCTAssertEqual(c["events"] as? Int, 1, scope)
            XCTAssertEqual((c["counts"] as? [String: Int])?["deploy"], 1, scope)
            let recent = try XCTUnwrap(c["recent"] as? [[String: Any]])
            XCTAssertEqual(recent.first?["text"] as? String, "deployed")
            XCTAssertEqual(recent.first?["scope"] as? String, "acme/api/s1")
        }
        XCTAssertEqual(try t.context("acme/web")["events"] as? Int, 0)
        XCTAssertEqual(try t.context("acme/api/s2")["events"] as? Int, 0)
    }

    /// Found by FuzzContextView: rendering a time near `Int64.min` overflowed, so
    /// `colony import` of a line with `"time_us":-9223372036854775808` crashed.
    func test_eventsAtTheExtremesOfTimeAreAppliedAndShownAtTheEndsOfYears0001To9999() async throws {
        let t = try TemporaryStore()
        for time in [Int64.min, Int64.min + 1, Int64.max] {
            try await t.store.append(NewEvent(stream: "far", kind: "context.event", payload: Array(#"{"text":"x"}"#.utf8),
                                              timeMicroseconds: time))
        }
        let c = try t.context("far")
        XCTAssertEqual(c["events"] as? Int, 3)
        XCTAssertEqual(c["first_time"] as? String, "0001-01-01T00:00:00.000Z")
        XCTAssertEqual(c["last_time"] as? String, "9999-12-31T23:59:59.999Z")
    }

    func test_recentEventsAreNewestFirstAndBoundedByN() async throws {
        let t = try TemporaryStore(context: ContextProjection(recentEvents: 5, topInsights: 3))
        for i in 1...12 { try await t.store.logEvent(scope: "s", text: "e\(i)") }
        let c = try t.context("s")
        let texts = (c["recent"] as? [[String: Any]])?.compactMap { $0["text"] as? String }
        XCTAssertEqual(texts, ["e12", "e11", "e10", "e9", "e8"])
        XCTAssertEqual(c["events"] as? Int, 12)
        XCTAssertEqual(c["position"] as? Int, 12)
    }

    func test_countsByKindAndTimes() async throws {
        let t = try TemporaryStore()
        let base: Int64 = 1_700_000_000_000_000
        for (i, kind) in ["a", "b", "a", "c", "a"].enumerated() {
            try await t.store.append(NewEvent(stream: "s", kind: kind, payload: Array(#"{"text":"x"}"#.utf8),
                                              timeMicroseconds: base + Int64(i) * 1_000_000))
        }
        let c = try t.context("s")
        XCTAssertEqual(c["counts"] as? [String: Int], ["a": 3, "b": 1, "c": 1])
        XCTAssertEqual(c["first_time"] as? String, "2023-11-14T22:13:20.000Z")
        XCTAssertEqual(c["last_time"] as? String, "2023-11-14T22:13:24.000Z")
    }

    /// A scope counts 31 kinds by name and the rest as "other"; a rebuild (whose runs of 2,048
    /// events or more are applied with the kinds compared in place) counts the same.
    func test_kindsPastTheBoundAreCountedAsOtherLiveAndRebuilt() async throws {
        let t = try TemporaryStore()
        let kinds = (0..<40).map { "kind\($0)" }
        let events = (0..<3_000).map { i in
            NewEvent(stream: "o/p/s\(i % 3)", kind: kinds[(i * 7) % kinds.count],
                     payload: Array(#"{"text":"e\#(i)"}"#.utf8))
        }
        try await t.store.append(events)
        let live = try t.dumpContextView()
        let counts = try XCTUnwrap(t.context("o")["counts"] as? [String: Int])
        XCTAssertEqual(counts.count, 32, "31 named kinds and other")
        XCTAssertEqual(counts.values.reduce(0, +), 3_000, "every event counted once")
        let named = Set(counts.keys).subtracting(["other"])
        XCTAssertEqual(named.count, 31)
        XCTAssertTrue(named.isSubset(of: Set(kinds)))
        let leaf = try XCTUnwrap(t.context("o/p/s1")["counts"] as? [String: Int])
        XCTAssertEqual(leaf.values.reduce(0, +), 1_000)

        try t.store.rebuild(view: "context")
        XCTAssertEqual(try t.dumpContextView(), live, "the rebuild counts the same kinds")
    }

    func test_insightsRankByImportanceThenRecencyAndAreBoundedByK() async throws {
        let t = try TemporaryStore(context: ContextProjection(recentEvents: 5, topInsights: 3))
        try await t.store.logInsight(scope: "s", text: "low", importance: 0.1)
        try await t.store.logInsight(scope: "s", text: "high", importance: 0.9)
        try await t.store.logInsight(scope: "s", text: "mid old", importance: 0.5)
        try await t.store.logInsight(scope: "s", text: "mid new", importance: 0.5)
        let texts = (try t.context("s")["insights"] as? [[String: Any]])?.compactMap { $0["text"] as? String }
        XCTAssertEqual(texts, ["high", "mid new", "mid old"])
        let recent = try t.context("s")["recent"] as? [Any]
        XCTAssertEqual(recent?.count, 0, "insights are not repeated among recent events")
    }

    func test_insightsWithTheSameNormalisedTextMerge() async throws {
        let t = try TemporaryStore()
        let first = EventID()
        try await t.store.logInsight(scope: "p/s", text: "Run migrations first.", importance: 0.4, id: first)
        try await t.store.logInsight(scope: "p/s", text: "run   MIGRATIONS first", importance: 0.8)
        let insights = try XCTUnwrap(t.context("p")["insights"] as? [[String: Any]])
        XCTAssertEqual(insights.count, 1)
        XCTAssertEqual(insights[0]["mentions"] as? Int, 2)
        XCTAssertEqual(insights[0]["importance"] as? Double, 0.8)
        XCTAssertEqual(insights[0]["id"] as? String, first.description)
    }

    func test_supersedingRemovesTheInsightAndBackfillsTheNextBest() async throws {
        let t = try TemporaryStore(context: ContextProjection(recentEvents: 5, topInsights: 2))
        let old = EventID()
        try await t.store.logInsight(scope: "s", text: "use port 80", importance: 0.9, id: old)
        try await t.store.logInsight(scope: "s", text: "tests are slow", importance: 0.7)
        try await t.store.logInsight(scope: "s", text: "cache is cold", importance: 0.2)
        var texts = (try t.context("s")["insights"] as? [[String: Any]])?.compactMap { $0["text"] as? String }
        XCTAssertEqual(texts, ["use port 80", "tests are slow"])
        try await t.store.logInsight(scope: "s", text: "use port 8080", importance: 0.1, supersedes: old)
        texts = (try t.context("s")["insights"] as? [[String: Any]])?.compactMap { $0["text"] as? String }
        XCTAssertEqual(texts, ["tests are slow", "cache is cold"], "the superseded insight is gone and the next best returns")
        // The same text again is a new insight, not a revival of the superseded one.
        try await t.store.logInsight(scope: "s", text: "use port 80", importance: 0.95)
        let top = try XCTUnwrap((t.context("s")["insights"] as? [[String: Any]])?.first)
        XCTAssertEqual(top["text"] as? String, "use port 80")
        XCTAssertEqual(top["mentions"] as? Int, 1)
    }

    func test_supersedingAnUnknownIdIsRefused() async throws {
        let t = try TemporaryStore()
        let eventID = EventID()
        try await t.store.logEvent(scope: "s", text: "not an insight", id: eventID)
        for target in [EventID(), eventID] {
            do {
                try await t.store.logInsight(scope: "s", text: "x", supersedes: target)
                XCTFail("expected unknownInsight")
            } catch ContextError.unknownInsight(let id) {
                XCTAssertEqual(id, target)
            }
        }
        XCTAssertEqual(try t.store.headPosition(), 1)
    }

    func test_answerIsCappedInBytesAndSaysSo() async throws {
        let t = try TemporaryStore()
        let long = String(repeating: "lorem ipsum ", count: 80)
        for i in 0..<20 { try await t.store.logEvent(scope: "s", text: "\(i) \(long)") }
        try await t.store.logInsight(scope: "s", text: "keep me", importance: 1)
        let capped = try t.store.context(of: "s", ContextQuery(maxBytes: 4_096))
        XCTAssertLessThanOrEqual(capped.json.count, 4_096)
        XCTAssertTrue(capped.truncated)
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(capped.json)) as? [String: Any])
        XCTAssertEqual(parsed["truncated"] as? Bool, true)
        XCTAssertEqual((parsed["insights"] as? [[String: Any]])?.first?["text"] as? String, "keep me", "insights are kept first")
        let full = try t.store.context(of: "s")
        XCTAssertFalse(full.truncated)
        XCTAssertGreaterThan(full.json.count, 4_096)
    }

    func test_limitsOnEventsAndInsightsAndSincePosition() async throws {
        let t = try TemporaryStore()
        for i in 1...6 { try await t.store.logEvent(scope: "s", text: "e\(i)") }
        try await t.store.logInsight(scope: "s", text: "i7")
        var c = try t.context("s", ContextQuery(maxEvents: 2, maxInsights: 0))
        XCTAssertEqual((c["recent"] as? [[String: Any]])?.compactMap { $0["text"] as? String }, ["e6", "e5"])
        XCTAssertEqual((c["insights"] as? [Any])?.count, 0)
        c = try t.context("s", ContextQuery(sincePosition: 4))
        XCTAssertEqual((c["recent"] as? [[String: Any]])?.compactMap { $0["position"] as? Int }, [6, 5])
        XCTAssertEqual((c["insights"] as? [[String: Any]])?.count, 1)
        XCTAssertThrowsError(try t.store.context(of: "s", ContextQuery(maxEvents: 300)))
        XCTAssertThrowsError(try t.store.context(of: "s", ContextQuery(maxBytes: 100)))
    }

    func test_largePayloadsAreShownByTheirTextOnly() async throws {
        let t = try TemporaryStore()
        let data = Array(("[" + Array(repeating: "1234567890", count: 400).joined(separator: ",") + "]").utf8)
        try await t.store.logEvent(scope: "s", text: String(repeating: "é", count: 2_000), data: data)
        let e = try XCTUnwrap((t.context("s")["recent"] as? [[String: Any]])?.first)
        XCTAssertEqual(e["truncated"] as? Bool, true)
        XCTAssertNil(e["data"])
        let text = try XCTUnwrap(e["text"] as? String)
        XCTAssertLessThanOrEqual(text.utf8.count, 1_024)
        XCTAssertTrue(text.hasSuffix("…"))
    }

    func test_textWithQuotesControlCharactersAndUnicodeRoundTrips() async throws {
        let t = try TemporaryStore()
        let text = "say \"hi\"\n\ttab \\ back \u{1} ☃ 🐜"
        try await t.store.logEvent(scope: "s", text: text, data: Array(#"{"k":"v\u00e9"}"#.utf8), agent: "a\"b")
        let e = try XCTUnwrap((t.context("s")["recent"] as? [[String: Any]])?.first)
        XCTAssertEqual(e["text"] as? String, text)
        XCTAssertEqual(e["agent"] as? String, "a\"b")
        XCTAssertEqual((e["data"] as? [String: String])?["k"], "vé")
    }

    func test_eventsInNamespacedStreamsStayOutOfTheContextView() async throws {
        let t = try TemporaryStore()
        try await t.store.append(NewEvent(stream: "swarm:agent/1", kind: "registered", payload: Array("{}".utf8)))
        XCTAssertEqual(try t.dumpContextView().count, 0)
    }

    func test_badInputIsRefusedAndNothingIsWritten() async throws {
        let t = try TemporaryStore()
        func expectFailure(_ what: String, _ body: () async throws -> Void) async {
            do { try await body(); XCTFail("\(what) should fail") } catch {}
        }
        await expectFailure("empty text") { try await t.store.logEvent(scope: "s", text: "  ") }
        await expectFailure("blank text") { try await t.store.logEvent(scope: "s", text: " \n\t\r\u{00A0}\u{2003}") }
        await expectFailure("bad data") { try await t.store.logEvent(scope: "s", text: "x", data: Array("{nope".utf8)) }
        await expectFailure("insight kind") { try await t.store.logEvent(scope: "s", text: "x", kind: "insight") }
        await expectFailure("bad kind") { try await t.store.logEvent(scope: "s", text: "x", kind: "no spaces") }
        await expectFailure("bad scope") { try await t.store.logEvent(scope: "a//b", text: "x") }
        await expectFailure("importance") { try await t.store.logInsight(scope: "s", text: "x", importance: 1.5) }
        await expectFailure("nan") { try await t.store.logInsight(scope: "s", text: "x", importance: .nan) }
        await expectFailure("tags") { try await t.store.logInsight(scope: "s", text: "x", tags: [""]) }
        await expectFailure("huge text") { try await t.store.logEvent(scope: "s", text: String(repeating: "x", count: 70_000)) }
        XCTAssertEqual(try t.store.headPosition(), 0)
        XCTAssertEqual(try t.dumpContextView().count, 0)
    }
}
