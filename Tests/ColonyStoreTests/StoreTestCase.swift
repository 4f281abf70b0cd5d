import ColonyStore
import ColonyTestSupport
import Foundation
import XCTest

/// A test case with a fresh store directory per test. Stores opened through
/// `openStore` are closed in tearDown, then the directory is removed.
class StoreTestCase: XCTestCase {
    private(set) var directory: URL!
    private var stores: [ColonyStore] = []

    var path: String { directory.path }

    override func setUpWithError() throws {
        try super.setUpWithError()
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("colony-store-tests-\(UUID().uuidString)", isDirectory: true)
    }

    override func tearDownWithError() throws {
        for store in stores { store.close() }
        stores = []
        try? FileManager.default.removeItem(at: directory)
        try super.tearDownWithError()
    }

    /// Opens the store in this test's directory; it is closed in tearDown.
    func openStore(projections: [any Projection] = [], _ configure: (inout StoreOptions) -> Void = { _ in }) throws -> ColonyStore {
        var options = StoreOptions()
        configure(&options)
        let store = try ColonyStore.open(at: path, options: options, projections: projections)
        stores.append(store)
        return store
    }
}

/// An event with a JSON payload given as text.
func event(_ stream: String, _ payload: String = #"{"ok":true}"#, kind: String = "test.event",
           id: EventID = EventID(), metadata: String = "", priority: NewEvent.Priority = .normal) -> NewEvent {
    NewEvent(id: id, stream: stream, kind: kind, payload: Array(payload.utf8), metadata: Array(metadata.utf8), priority: priority)
}

/// `count` events of `stream` with payloads {"n":0}, {"n":1}…
func events(_ stream: String, count: Int, from start: Int = 0) -> [NewEvent] {
    (start..<(start + count)).map { event(stream, #"{"n":\#($0)}"#) }
}

/// The error `body` throws, or nil (and a test failure) if it returns.
func thrownError<T>(file: StaticString = #filePath, line: UInt = #line, _ body: () async throws -> T) async -> Error? {
    do {
        _ = try await body()
        XCTFail("expected an error, but the call succeeded", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

/// The error `body` throws, or nil (and a test failure) if it returns.
func thrownError<T>(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T) -> Error? {
    do {
        _ = try body()
        XCTFail("expected an error, but the call succeeded", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

/// One key and value of a view, copied.
struct ViewEntry: Equatable, CustomStringConvertible {
    var key: [UInt8]
    var value: [UInt8]
    var description: String { "\(String(decoding: key, as: UTF8.self)) = \(value)" }
}

extension ColonyStore {
    /// Every entry of a view's main table (or `table`), in key order.
    func dump(view name: String, table: String? = nil) throws -> [ViewEntry] {
        try withView(name) { reader in
            var out: [ViewEntry] = []
            try reader.scan(prefix: [], table: table) { key, value in
                out.append(ViewEntry(key: Array(key), value: Array(value)))
                return true
            }
            return out
        }
    }

    /// The stream-summary view entry of `stream`.
    func summary(of stream: String) throws -> StreamSummary? {
        try withView("stream-summary") { try $0.get(Array(stream.utf8)).map(StreamSummary.init(bytes:)) }
    }

    /// Every event of the log, in order, read in chunks.
    func allEvents() throws -> [RecordedEvent] {
        var out: [RecordedEvent] = []
        while true {
            let chunk = try read(from: UInt64(out.count) + 1, limit: 4_096)
            if chunk.isEmpty { return out }
            out += chunk
        }
    }
}

/// Runs `body`; if it has not finished after `seconds`, cancels it (so a hung
/// subscription ends and the test fails on what it got rather than hanging).
/// Cancelling the calling task cancels `body` too.
func withDeadline<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let work = Task { try await body() }
    let watchdog = Task {
        try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
        work.cancel()
    }
    defer { watchdog.cancel() }
    return try await withTaskCancellationHandler { try await work.value } onCancel: { work.cancel() }
}
