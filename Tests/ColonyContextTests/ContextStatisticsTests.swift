import ColonyContext
import ColonyStore
import Foundation
import XCTest

final class ContextStatisticsTests: XCTestCase {
    func test_scopesCountEveryKeyAndTopScopesRankByEventsThenName() async throws {
        let t = try TemporaryStore()
        for _ in 0..<3 { try await t.store.logEvent(scope: "acme/api", text: "a") }
        for _ in 0..<2 { try await t.store.logEvent(scope: "acme/web", text: "w") }
        try await t.store.logEvent(scope: "zeta", text: "z")
        try await t.store.logEvent(scope: "beta", text: "b")
        try await t.store.logInsight(scope: "acme", text: "an insight", importance: 0.9)

        let stats = try t.store.contextStatistics(top: 4)

        XCTAssertEqual(stats.scopes, 5, "acme, acme/api, acme/web, beta, zeta")
        XCTAssertEqual(stats.topScopes.map(\.scope), ["acme", "acme/api", "acme/web", "beta"])
        XCTAssertEqual(stats.topScopes.map(\.events), [6, 3, 2, 1])
    }

    func test_eventCountsMatchTheContextsOnAFullStore() async throws {
        let t = try TemporaryStore(context: ContextProjection(recentEvents: 3, topInsights: 2))
        for i in 0..<300 {
            if i % 5 == 0 {
                try await t.store.logInsight(scope: "o\(i % 3)/p\(i % 7)", text: "insight \(i % 11)", importance: Double(i % 10) / 10)
            } else {
                try await t.store.logEvent(scope: "o\(i % 3)/p\(i % 7)/s\(i % 13)", text: "event \(i)", kind: "k\(i % 4)")
            }
        }

        let stats = try t.store.contextStatistics(top: 1_000)

        XCTAssertEqual(stats.topScopes.count, stats.scopes)
        for s in stats.topScopes {
            XCTAssertEqual(UInt64(try t.context(s.scope)["events"] as? Int ?? -1), s.events, s.scope)
        }
        XCTAssertEqual(stats.topScopes.prefix(3).map(\.events).reduce(0, +), 300, "the three organisations hold every event")
    }

    func test_aStoreWithoutTheContextViewSaysSo() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("colony-ctx-\(UUID().uuidString)").path
        let store = try ColonyStore.open(at: path)
        defer { store.close(); try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try store.contextStatistics()) { XCTAssertEqual($0 as? ContextError, .contextViewNotRegistered) }
    }
}
