import ColonyContext
import ColonyStore
import Foundation
import XCTest

/// A store with the context view in a fresh temporary directory, removed afterwards.
final class TemporaryStore {
    let path: String
    private(set) var store: ColonyStore

    init(context: ContextProjection = ContextProjection(), options: StoreOptions = StoreOptions()) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("colony-ctx-\(UUID().uuidString)").path
        store = try Colony.open(at: path, options: options, context: context)
    }

    func reopen(context: ContextProjection = ContextProjection()) throws {
        store.close()
        store = try Colony.open(at: path, context: context)
    }

    deinit {
        store.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The context answer parsed as JSON.
    func context(_ scope: String, _ query: ContextQuery = ContextQuery()) throws -> [String: Any] {
        let doc = try store.context(of: scope, query)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(doc.json)) as? [String: Any], "not a JSON object: \(doc.text)")
    }

    /// Every key and value of the context view's tables.
    func dumpContextView() throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        try store.withView("context") { view in
            for table in [nil, "insights", "insight-ids"] as [String?] {
                try view.scan(prefix: [], table: table) { k, v in
                    out["\(table ?? "main")|\(Array(k))"] = Array(v)
                    return true
                }
            }
        }
        return out
    }
}

/// Fails if two dumps of the context view differ, naming how many keys differ and the first
/// of them, instead of printing both views (megabytes for a large one).
func assertSameView(_ actual: [String: [UInt8]], _ expected: [String: [UInt8]],
                    file: StaticString = #filePath, line: UInt = #line) {
    let keys = Set(actual.keys).union(expected.keys).sorted()
    let differing = keys.filter { actual[$0] != expected[$0] }
    guard let first = differing.first else { return }
    func describe(_ v: [UInt8]?) -> String {
        guard let v else { return "absent" }
        return "\(v.count) bytes: \(String(decoding: v.prefix(160), as: UTF8.self))…"
    }
    XCTFail("\(differing.count) of \(keys.count) keys differ; the first, \(first): \(describe(actual[first])) against \(describe(expected[first]))",
            file: file, line: line)
}
