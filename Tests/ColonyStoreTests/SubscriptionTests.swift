import ColonyStore
import Foundation
import XCTest

final class SubscriptionTests: StoreTestCase {
    /// Collects the positions of the first `count` events a subscription delivers
    /// (fewer if it ends or the deadline cancels it).
    private func collect(_ store: ColonyStore, after: UInt64, count: Int) -> Task<[UInt64], Error> {
        Task {
            try await withDeadline(seconds: 10) {
                var out: [UInt64] = []
                for try await e in store.subscribe(after: after) {
                    out.append(e.position)
                    if out.count == count { break }
                }
                return out
            }
        }
    }

    func test_subscriptionDeliversThePastThenLiveEventsInOrder() async throws {
        let store = try openStore()
        try await store.append(events("s", count: 3))
        let subscription = collect(store, after: 0, count: 8)

        try await Task.sleep(nanoseconds: 50_000_000)  // let it drain the log and wait
        try await store.append(events("s", count: 2, from: 3))
        try await store.append(event("t"))
        try await Task.sleep(nanoseconds: 20_000_000)
        try await store.append([event("t"), event("s")])

        let positions = try await subscription.value
        XCTAssertEqual(positions, Array(1...8))
    }

    func test_subscriptionFromTheMiddleStartsAfterThatPosition() async throws {
        let store = try openStore()
        try await store.append(events("s", count: 10))

        let positions = try await collect(store, after: 4, count: 6).value

        XCTAssertEqual(positions, Array(5...10))
    }

    func test_subscriptionDeliversTheEventsThemselves() async throws {
        let store = try openStore()
        let batch = events("s", count: 3)
        try await store.append(batch)

        let received = try await withDeadline(seconds: 10) { () -> [RecordedEvent] in
            var out: [RecordedEvent] = []
            for try await e in store.subscribe(after: 0) {
                out.append(e)
                if out.count == 3 { break }
            }
            return out
        }

        XCTAssertEqual(received.map(\.id), batch.map(\.id))
        XCTAssertEqual(received.map { text($0.payload) }, [#"{"n":0}"#, #"{"n":1}"#, #"{"n":2}"#])
    }

    func test_subscriptionsAfterTheHeadWaitForTheNextEvent() async throws {
        let store = try openStore()
        try await store.append(events("s", count: 5))
        let first = collect(store, after: 5, count: 1)
        let second = collect(store, after: 5, count: 1)
        try await Task.sleep(nanoseconds: 50_000_000)

        try await store.append(event("s"))

        let a = try await first.value
        let b = try await second.value
        XCTAssertEqual(a, [6])
        XCTAssertEqual(b, [6])
    }

    func test_subscriptionEndsWhenTheStoreCloses() async throws {
        let store = try openStore()
        try await store.append(events("s", count: 2))
        let subscription = collect(store, after: 0, count: 100)
        try await Task.sleep(nanoseconds: 100_000_000)  // delivered both, now waiting

        store.close()

        let positions = try await subscription.value
        XCTAssertEqual(positions, [1, 2])
    }

    func test_cancellingTheSubscribingTaskEndsTheSubscription() async throws {
        let store = try openStore()
        try await store.append(event("s"))
        let subscription = collect(store, after: 0, count: 100)
        try await Task.sleep(nanoseconds: 100_000_000)  // delivered it, now waiting

        subscription.cancel()

        let positions = try await subscription.value
        XCTAssertEqual(positions, [1])
    }
}
