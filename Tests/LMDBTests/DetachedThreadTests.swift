import Foundation
import LMDB
import Synchronization
import XCTest

final class DetachedThreadTests: XCTestCase {
    func test_theBodyRunsOnANewThreadThatCarriesItsName() throws {
        let ran = DispatchSemaphore(value: 0)
        let seen = Mutex<(name: String, sameThread: Bool)?>(nil)
        let caller = pthread_self()
        try DetachedThread.start(name: "colony-test", stackSize: 1 << 20) {
            // The kernel's name, as `ps -L` and `perf` show it.
            let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            seen.withLock { $0 = (comm.trimmingCharacters(in: .newlines), pthread_equal(pthread_self(), caller) != 0) }
            ran.signal()
        }
        XCTAssertEqual(ran.wait(timeout: .now() + 10), .success, "the body never ran")
        let result = try XCTUnwrap(seen.withLock { $0 })
        XCTAssertEqual(result.name, "colony-test")
        XCTAssertFalse(result.sameThread)
    }

    /// A real `pthread_create` failure (no room for a 1 PB stack) is an error naming the
    /// thread, not a thread that silently never runs, which is what Foundation's
    /// `Thread.start()` gives.
    func test_aThreadThatCannotBeCreatedIsAnErrorAndItsBodyNeverRuns() throws {
        let ran = Mutex(false)
        XCTAssertThrowsError(try DetachedThread.start(name: "colony-huge", stackSize: 1 << 50) { ran.withLock { $0 = true } }) { error in
            let e = error as? LMDBError
            XCTAssertEqual(e?.code, EAGAIN, "\(error)")
            XCTAssertTrue(e?.description.contains("pthread_create colony-huge") ?? false, "\(error)")
        }
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertFalse(ran.withLock { $0 })
    }

    func test_anInjectedFailureFailsOnlyThreadsOfThatName() throws {
        DetachedThread.injectedFailures.withLock { $0["colony-x"] = EAGAIN }
        defer { DetachedThread.injectedFailures.withLock { $0["colony-x"] = nil } }
        XCTAssertThrowsError(try DetachedThread.start(name: "colony-x") {})
        let ran = DispatchSemaphore(value: 0)
        try DetachedThread.start(name: "colony-y") { ran.signal() }
        XCTAssertEqual(ran.wait(timeout: .now() + 10), .success)
    }
}
