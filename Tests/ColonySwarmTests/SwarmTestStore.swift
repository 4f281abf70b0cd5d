import ColonyStore
import ColonySwarm
import Foundation
import XCTest

/// A store with the swarm view in a fresh temporary directory, removed afterwards.
final class SwarmTestStore {
    let path: String
    private(set) var store: ColonyStore

    /// A fixed origin for event times, so tests control swarm time.
    static let t0: Int64 = 1_800_000_000_000_000

    init(options: StoreOptions = SwarmTestStore.fastOptions) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("colony-swarm-\(UUID().uuidString)").path
        store = try Swarm.open(at: path, options: options)
    }

    /// Buffered durability: the tests check behaviour, not fsync.
    static var fastOptions: StoreOptions {
        var o = StoreOptions()
        o.durability = .buffered(syncIntervalMilliseconds: 1_000)
        return o
    }

    func reopen() throws {
        store.close()
        store = try Swarm.open(at: path, options: SwarmTestStore.fastOptions)
    }

    deinit {
        store.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Every key and value of the swarm view's tables.
    func dumpSwarmView() throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        try store.withView("swarm") { view in
            let tables: [String?] = [nil] + SwarmProjection().tables.map(Optional.init)
            for table in tables {
                try view.scan(prefix: [], table: table) { k, v in
                    out["\(table ?? "main")|\(Array(k))"] = Array(v)
                    return true
                }
            }
        }
        return out
    }
}

/// Seconds after `SwarmTestStore.t0`, in microseconds.
func at(_ seconds: Double) -> Int64 { SwarmTestStore.t0 + Int64(seconds * 1_000_000) }

/// Asserts that `body` throws exactly `expected`.
func XCTAssertThrowsSwarmError<T>(_ expected: SwarmError, file: StaticString = #filePath, line: UInt = #line,
                                  _ body: () async throws -> T) async {
    do {
        _ = try await body()
        XCTFail("expected \(expected), nothing was thrown", file: file, line: line)
    } catch let e as SwarmError {
        XCTAssertEqual(e, expected, file: file, line: line)
    } catch {
        XCTFail("expected \(expected), got \(error)", file: file, line: line)
    }
}
