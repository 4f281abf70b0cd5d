import ColonyContext
import ColonyStore
import Foundation
import XCTest

// The program of docs/embedding.md, kept compiling and checked here.

struct EventsPerAgent: Projection {
    let name = "events-per-agent"
    let version: UInt32 = 1

    func apply(_ events: [RecordedEvent], to view: ViewWriter) throws {
        for event in events {
            guard let agent = event.metadataAgent else { continue }
            let key = Array(agent.utf8)
            let count = try view.get(key).map { UInt64($0.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }) } ?? 0
            try view.put(key, withUnsafeBytes(of: count + 1) { Array($0) })
        }
    }
}

extension RecordedEvent {
    var metadataAgent: String? {
        let text = String(decoding: metadata, as: UTF8.self)
        guard let range = text.range(of: #""agent":""#) else { return nil }
        return String(text[range.upperBound...].prefix { $0 != "\"" })
    }
}

final class EmbeddingExampleTests: XCTestCase {
    func test_theDocumentedExampleWorks() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("colony-embed-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = StoreOptions()
        options.durability = .durable
        let store = try Colony.open(at: path, options: options, extra: [EventsPerAgent()])
        defer { store.close() }

        try await store.logEvent(scope: "acme/api/session-1", text: "deployed v2", kind: "deploy")
        let insight = try await store.logInsight(scope: "acme/api", text: "run migrations before deploying",
                                                 importance: 0.9, tags: ["deploy"])
        let context = try store.context(of: "acme", ContextQuery(maxEvents: 10, maxBytes: 16_384))
        XCTAssertTrue(context.text.hasPrefix(#"{"scope":"acme","position":2,"events":2,"#), context.text)

        let id = EventID()
        let order = NewEvent(id: id, stream: "orders:42", kind: "created", payload: Array(#"{"total":12}"#.utf8),
                             metadata: Array(#"{"agent":"billing"}"#.utf8))
        let first = try await store.append(order, expectedVersion: .noStream)
        let retry = try await store.append(order, expectedVersion: .noStream)
        XCTAssertEqual(first.positions, retry.positions)
        XCTAssertEqual(retry.duplicates, 1)

        XCTAssertEqual(try store.read(from: 1, limit: 100).count, 3)
        XCTAssertEqual(try store.readStream("orders:42").count, 1)
        XCTAssertEqual(insight.lastPosition, 2)

        let billing = try store.withView("events-per-agent") { view in
            try view.withValue(Array("billing".utf8)) { $0.map { $0.loadUnaligned(as: UInt64.self) } }
        }
        XCTAssertEqual(billing, 1)

        let subscription = Task {
            for try await event in store.subscribe(after: 0) where event.kind == "shipped" { return event.position }
            return UInt64(0)
        }
        try await store.append(NewEvent(stream: "orders:42", kind: "shipped", payload: Array("{}".utf8)),
                               expectedVersion: .exact(1))
        let shipped = try await subscription.value
        XCTAssertEqual(shipped, 4)
    }
}
