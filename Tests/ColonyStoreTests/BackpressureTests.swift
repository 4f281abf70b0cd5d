import ColonyStore
import Foundation
import XCTest

final class BackpressureTests: StoreTestCase {
    private struct Flood {
        var acknowledged: [(id: EventID, position: UInt64)] = []
        var shed = 0
        var overloaded = 0
        var unexpected: [String] = []
    }

    /// A small queue and a writer slowed by a batch delay, flooded with
    /// `low` low-priority and `normal` normal-priority concurrent appends.
    private func flood(low: Int, normal: Int) async throws -> (ColonyStore, Flood) {
        let store = try openStore {
            $0.writer.queueCapacityEvents = 64
            $0.writer.enqueueTimeoutMilliseconds = 5
            $0.writer.maxBatchEvents = 16
            $0.writer.maxBatchDelayMicroseconds = 2_000
        }
        let result = await withTaskGroup(of: (NewEvent, Result<AppendResult, Error>).self) { group in
            for i in 0..<(low + normal) {
                let isNormal = normal > 0 && i % ((low + normal) / normal) == 0  // interleaved evenly
                let e = event("flood/\(i % 10)", #"{"i":\#(i)}"#, priority: isNormal ? .normal : .low)
                group.addTask { (e, await outcome { try await store.append(e) }) }
            }
            var flood = Flood()
            for await (e, result) in group {
                switch result {
                case .success(let r): flood.acknowledged.append((e.id, r.positions[0]))
                case .failure(StoreError.shed) where e.priority == .low: flood.shed += 1
                case .failure(StoreError.overloaded) where e.priority == .normal: flood.overloaded += 1
                case .failure(let error): flood.unexpected.append("\(e.priority) append failed with \(error)")
                }
            }
            return flood
        }
        return (store, result)
    }

    /// A store whose writer lingers so the queue stays full while a test arranges it.
    private func lingeringStore() throws -> ColonyStore {
        try openStore {
            $0.writer.queueCapacityEvents = 64
            $0.writer.lowPriorityShedFraction = 1.0  // low priority is shed only to make room
            $0.writer.maxBatchEvents = 1_000
            $0.writer.maxBatchDelayMicroseconds = 400_000
            $0.writer.enqueueTimeoutMilliseconds = 100
        }
    }

    func test_aNormalAppendEvictsQueuedLowPriorityAppendsWhenThatMakesRoom() async throws {
        let store = try lingeringStore()
        let low = Task { try await store.append(events("low", count: 64).map { var e = $0; e.priority = .low; return e }) }
        try await Task.sleep(nanoseconds: 50_000_000)
        let normal = try await store.append(event("normal"))

        XCTAssertEqual(normal.positions, [1])
        let lowError = await thrownError { try await low.value }
        XCTAssertEqual(lowError as? StoreError, .shed)
        XCTAssertEqual(try store.statistics().shedEvents, 64)
    }

    func test_nothingIsEvictedForAnAppendThatWouldStillNotFit() async throws {
        let store = try lingeringStore()
        let low = Task { try await store.append(events("low", count: 32).map { var e = $0; e.priority = .low; return e }) }
        let normal = Task { try await store.append(events("normal", count: 32)) }
        try await Task.sleep(nanoseconds: 50_000_000)
        let tooBig = await thrownError { try await store.append(events("big", count: 40)) }

        guard case .overloaded = tooBig as? StoreError else { return XCTFail("expected overloaded, got \(String(describing: tooBig))") }
        let lowResult = try await low.value
        let normalResult = try await normal.value
        XCTAssertEqual(lowResult.positions.count, 32, "the low-priority append was not shed for nothing")
        XCTAssertEqual(normalResult.positions.count, 32)
        XCTAssertEqual(try store.statistics().shedEvents, 0)
    }

    func test_floodOfLowPriorityAppendsIsShedAndCounted() async throws {
        let (store, flood) = try await flood(low: 2_000, normal: 0)

        XCTAssertEqual(flood.unexpected, [])
        XCTAssertGreaterThan(flood.shed, 0)
        XCTAssertEqual(try store.statistics().shedEvents, flood.shed)
        XCTAssertEqual(flood.acknowledged.count + flood.shed, 2_000)
    }

    func test_underOverloadNormalAppendsSucceedOrFailRetryably() async throws {
        let (store, flood) = try await flood(low: 1_500, normal: 500)

        XCTAssertEqual(flood.unexpected, [], "low-priority appends are only ever shed, normal ones only overloaded")
        XCTAssertGreaterThan(flood.shed, 0)
        XCTAssertEqual(flood.acknowledged.count + flood.shed + flood.overloaded, 2_000)
        XCTAssertEqual(try store.statistics().overloadedAppends, flood.overloaded)
    }

    func test_everyAcknowledgedEventIsStoredExactlyOnceAndNothingElse() async throws {
        let (store, flood) = try await flood(low: 1_500, normal: 500)

        XCTAssertEqual(try store.headPosition(), UInt64(flood.acknowledged.count), "shed and overloaded appends wrote nothing")
        let log = try store.allEvents()
        XCTAssertEqual(log.map(\.position), Array(1...UInt64(log.count)))
        XCTAssertEqual(Set(log.map(\.id)).count, log.count)
        let stored = Dictionary(uniqueKeysWithValues: log.map { ($0.id, $0.position) })
        for (id, position) in flood.acknowledged {
            XCTAssertEqual(stored[id], position, "acknowledged event \(id)")
        }
    }

    func test_queueNeverHoldsMoreThanItsCapacity() async throws {
        let (store, _) = try await flood(low: 1_000, normal: 1_000)
        let stats = try store.statistics()
        XCTAssertLessThanOrEqual(stats.maxQueueDepthEvents, 64)
        XCTAssertGreaterThan(stats.maxQueueDepthEvents, 0)
    }

    func test_batchLargerThanTheQueueIsRefused() async throws {
        let store = try openStore { $0.writer.queueCapacityEvents = 8 }
        let error = await thrownError { try await store.append(events("s", count: 9)) }
        guard case StoreError.invalidArgument? = error as? StoreError else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(try store.headPosition(), 0)
    }
}
