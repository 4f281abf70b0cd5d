import ColonyStore
import ColonyTestSupport
import Foundation
import XCTest

/// Writers killed with SIGKILL at random moments lose nothing they acknowledged
/// and leave the log, its indexes and the views consistent.
///
/// Each cycle runs three writer processes on one store, two of which are killed
/// mid-write (at the same moment, or one after the other). `COLONY_FAULT_CYCLES`
/// (or its older name `COLONY_CRASH_CYCLES`) sets the number of cycles (default 20).
final class CrashRecoveryTests: StoreTestCase {
    func test_killedWritersLoseNoAcknowledgedEventAndLeaveTheStoreConsistent() throws {
        let environment = ProcessInfo.processInfo.environment
        let cycles = Int(environment["COLONY_FAULT_CYCLES"] ?? environment["COLONY_CRASH_CYCLES"] ?? "20") ?? 20
        let executable = try CrashWriterProcess.executable()
        let logs = directory.appendingPathComponent("logs")
        var killedWithAcks = 0
        var survivorAcks: [String: Int] = [:]
        var victimAckCounts: [Int] = []
        var head: UInt64 = 0

        for cycle in 0..<cycles {
            // Alternate durability; the victim would write far more than it gets the time to.
            let buffered = cycle % 2 == 1
            let victims = try (0..<2).map { v in
                try CrashWriterProcess(executable: executable, store: path, writerID: "\(cycle)-victim\(v)",
                                       count: 1_000_000, buffered: buffered, logDirectory: logs)
            }
            let survivor = try CrashWriterProcess(executable: executable, store: path, writerID: "\(cycle)-survivor",
                                                  count: 150, buffered: buffered, logDirectory: logs)
            Thread.sleep(forTimeInterval: Double(Int.random(in: 20...300)) / 1_000)
            victims[0].kill()
            // Every other cycle the second victim dies a moment later, while the store recovers from the first.
            if cycle % 4 >= 2 { Thread.sleep(forTimeInterval: Double(Int.random(in: 1...50)) / 1_000) }
            victims[1].kill()
            for victim in victims { victim.waitUntilExit() }
            survivor.waitUntilExit()

            for victim in victims {
                XCTAssertTrue(victim.wasKilled, "cycle \(cycle): victim ended with \(victim.exitDescription)\n\(victim.standardError)")
            }
            XCTAssertTrue(survivor.exitedCleanly,
                          "cycle \(cycle): survivor ended with \(survivor.exitDescription)\n\(survivor.standardError)")
            let victimAcks = victims.flatMap { $0.acknowledgements() }
            let acks = victimAcks + survivor.acknowledgements()
            if !victimAcks.isEmpty { killedWithAcks += 1 }
            victimAckCounts.append(victimAcks.count)
            survivorAcks[survivor.stream] = acks.count - victimAcks.count

            let store = try ColonyStore.open(at: path, projections: [StreamSummaryProjection()])
            defer { store.close() }
            let log = try auditLog(store, acknowledged: acks)
            head = UInt64(log.count)
            for victim in victims {
                let victimNumbers = payloadNumbers(in: log, stream: victim.stream)
                XCTAssertEqual(Set(victimNumbers).count, victimNumbers.count, "cycle \(cycle): no victim append stored twice")
            }
            XCTAssertEqual(payloadNumbers(in: log, stream: survivor.stream).sorted(), Array(0..<150),
                           "cycle \(cycle): every survivor append stored once")
            store.close()
            if (testRun?.totalFailureCount ?? 0) > 0 { break }  // the first broken cycle says it all
        }

        print("crash test: \(victimAckCounts.count) cycles, \(head) events in the log; acknowledged by each cycle's two victims before SIGKILL: \(victimAckCounts)")
        XCTAssertEqual(survivorAcks.values.filter { $0 != 150 }, [], "every survivor acknowledged all its appends")
        XCTAssertGreaterThan(killedWithAcks, 0, "at least one victim was killed after acknowledging appends")
    }
}
