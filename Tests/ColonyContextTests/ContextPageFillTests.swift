import ColonyContext
import ColonyStore
import Foundation
import LMDB
import XCTest

/// How densely the context view's heads fill LMDB's leaf pages in a store written from empty.
/// Each event rewrites its scopes' heads; with few heads per page, every event dirties a 4 KB
/// page of its own, so the page fill is what a commit costs on disk.
final class ContextPageFillTests: XCTestCase {
    func test_headsShareLeafPagesInAStoreWrittenFromEmpty() async throws {
        let t = try TemporaryStore()
        let text = String(repeating: "the agent ran the suite and logged one flaky case. ", count: 5)  // 255 bytes
        let leaves = 300
        for round in 0..<24 {
            let batch = (0..<leaves).map { j in
                NewEvent(stream: "o\(j % 3)/p\(j % 30)/s\(j)", kind: "event",
                         payload: Array(#"{"text":"\#(text) \#(round)"}"#.utf8))
            }
            _ = try await t.store.append(batch)
        }
        let scopes = leaves + 30 + 3
        XCTAssertEqual(try t.context("o1/p1/s1")["events"] as? Int, 24)
        t.store.close()

        let env = try Environment(path: t.path)
        defer { env.close() }
        let db = try env.openDatabase(named: "view:context")
        let leafPages = try env.read { try $0.statistics(db) }.leafPages
        let headsPerPage = Double(scopes) / Double(leafPages)
        // Without deleting a shrinking head before its put (ContextSession.finish) this store
        // ends with 1.1 heads per leaf page; with it, 4.
        XCTAssertGreaterThan(headsPerPage, 2.0, "\(scopes) heads in \(leafPages) leaf pages")
    }
}
