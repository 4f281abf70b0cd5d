@testable import ColonyContext
import XCTest

final class ScopeTableTests: XCTestCase {
    private func key(_ text: String, hash: Int? = nil) -> ScopeCache.Key {
        let bytes = ArraySlice(Array(text.utf8))
        return hash.map { ScopeCache.Key(bytes: bytes, hash: $0) } ?? ScopeCache.Key(bytes: bytes)
    }

    /// Keys found after the table has grown many times, and keys never added not found.
    func test_findsEveryKeyAcrossGrowthAndNoOther() {
        let table = ScopeTable()
        for i in 0..<5_000 {
            XCTAssertNil(table.index(of: key("org/p\(i)")))
            table.insert(key("org/p\(i)"), ScopeState(scope: ArraySlice(Array("org/p\(i)".utf8))))
        }
        XCTAssertEqual(table.count, 5_000)
        for i in 0..<5_000 {
            guard let index = table.index(of: key("org/p\(i)")) else { return XCTFail("org/p\(i) lost") }
            table.change(index) { XCTAssertEqual(Array($0.scope), Array("org/p\(i)".utf8)) }
        }
        XCTAssertNil(table.index(of: key("org/p5000")))
        XCTAssertNil(table.index(of: key("org/p")))
    }

    /// Keys whose hashes collide (all the same, and equal in the low bits only) are told
    /// apart by their bytes; changes go to the right state.
    func test_collidingHashesAreToldApartByTheBytes() {
        let table = ScopeTable()
        let names = (0..<40).map { "s\($0)" }
        for (i, name) in names.enumerated() {
            // Half share one hash; the others differ from it only above the low 16 bits.
            let hash = i % 2 == 0 ? 7 : 7 + (i << 20)
            table.insert(key(name, hash: hash), ScopeState(scope: ArraySlice(Array(name.utf8))))
        }
        for (i, name) in names.enumerated() {
            let hash = i % 2 == 0 ? 7 : 7 + (i << 20)
            guard let index = table.index(of: key(name, hash: hash)) else { return XCTFail("\(name) lost") }
            table.change(index) { $0.events = UInt64(i) }
        }
        var seen: [String: UInt64] = [:]
        table.forEach { state in seen[String(decoding: state.scope, as: UTF8.self)] = state.events }
        XCTAssertEqual(seen.count, 40)
        for (i, name) in names.enumerated() { XCTAssertEqual(seen[name], UInt64(i), name) }
        XCTAssertNil(table.index(of: key("s99", hash: 7)))
    }

    /// `removeAll` empties the table for the next transaction, capacity kept, and it fills again.
    func test_removeAllEmptiesTheTableAndItFillsAgain() {
        let table = ScopeTable()
        table.reserveCapacity(100)
        for i in 0..<300 { table.insert(key("a/\(i)"), ScopeState(scope: ArraySlice(Array("a/\(i)".utf8)))) }
        table.removeAll()
        XCTAssertTrue(table.isEmpty)
        XCTAssertNil(table.index(of: key("a/1")))
        table.insert(key("a/1"), ScopeState(scope: ArraySlice(Array("a/1".utf8))))
        XCTAssertNotNil(table.index(of: key("a/1")))
        XCTAssertNil(table.index(of: key("a/2")))
        var order: [String] = []
        for i in [5, 3, 9] { table.insert(key("b/\(i)"), ScopeState(scope: ArraySlice(Array("b/\(i)".utf8)))) }
        table.forEach { order.append(String(decoding: $0.scope, as: UTF8.self)) }
        XCTAssertEqual(order, ["a/1", "b/5", "b/3", "b/9"], "entries in the order they were added")
    }
}
