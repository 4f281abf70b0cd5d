import ColonyStore
import ColonyTestSupport
import Foundation
import XCTest

/// Several processes on one store directory: LMDB serialises their writes.
final class MultiProcessTests: StoreTestCase {
    func test_twoProcessesAppendingConcurrentlyLoseAndDuplicateNothing() throws {
        let executable = try CrashWriterProcess.executable()
        let logs = directory.appendingPathComponent("logs")
        let writers = try ["1", "2"].map {
            try CrashWriterProcess(executable: executable, store: path, writerID: $0, count: 400, buffered: false, logDirectory: logs)
        }
        for w in writers { w.waitUntilExit() }
        for w in writers { XCTAssertTrue(w.exitedCleanly, "writer \(w.writerID): \(w.exitDescription)\n\(w.standardError)") }

        let acks = writers.flatMap { $0.acknowledgements() }
        XCTAssertEqual(acks.count, 800)
        let store = try openStore(projections: [StreamSummaryProjection()])
        let log = try auditLog(store, acknowledged: acks)

        XCTAssertEqual(log.count, 800)
        for w in writers {
            XCTAssertEqual(payloadNumbers(in: log, stream: w.stream).sorted(), Array(0..<400), "every append of \(w.stream) once")
        }
    }

    func test_processesWithDifferentDurabilityShareOneStore() throws {
        let executable = try CrashWriterProcess.executable()
        let logs = directory.appendingPathComponent("logs")
        let durable = try CrashWriterProcess(executable: executable, store: path, writerID: "d", count: 300, buffered: false, logDirectory: logs)
        let buffered = try CrashWriterProcess(executable: executable, store: path, writerID: "b", count: 300, buffered: true, logDirectory: logs)
        durable.waitUntilExit()
        buffered.waitUntilExit()
        XCTAssertTrue(durable.exitedCleanly, durable.standardError)
        XCTAssertTrue(buffered.exitedCleanly, buffered.standardError)

        let store = try openStore(projections: [StreamSummaryProjection()])
        let log = try auditLog(store, acknowledged: durable.acknowledgements() + buffered.acknowledgements())

        XCTAssertEqual(log.count, 600)
    }

    func test_anotherProcessAppendsWhileThisOneAppendsAndReads() async throws {
        let executable = try CrashWriterProcess.executable()
        let store = try openStore(projections: [StreamSummaryProjection()])
        let writer = try CrashWriterProcess(executable: executable, store: path, writerID: "x", count: 300, buffered: false,
                                            logDirectory: directory.appendingPathComponent("logs"))
        for i in 0..<300 { try await store.append(event("local", #"{"n":\#(i)}"#)) }
        writer.waitUntilExit()
        XCTAssertTrue(writer.exitedCleanly, writer.standardError)

        // The other process kept the view up to date too, inside its own transactions.
        XCTAssertEqual(try store.summary(of: "wx")?.count, 300)
        XCTAssertEqual(try store.summary(of: "local")?.count, 300)
        let log = try auditLog(store, acknowledged: writer.acknowledgements())
        XCTAssertEqual(log.count, 600)
        XCTAssertEqual(payloadNumbers(in: log, stream: "local"), Array(0..<300), "this process's appends in order")
    }

    func test_subscriptionSeesEventsAppendedByAnotherProcess() async throws {
        let executable = try CrashWriterProcess.executable()
        let store = try openStore(projections: [StreamSummaryProjection()]) { $0.subscriptionPollIntervalMilliseconds = 5 }
        let subscription = Task {
            try await withDeadline(seconds: 20) { () -> [RecordedEvent] in
                var out: [RecordedEvent] = []
                for try await e in store.subscribe(after: 0) {
                    out.append(e)
                    if out.count == 50 { break }
                }
                return out
            }
        }

        let writer = try CrashWriterProcess(executable: executable, store: path, writerID: "remote", count: 50, buffered: false,
                                            logDirectory: directory.appendingPathComponent("logs"))
        writer.waitUntilExit()
        XCTAssertTrue(writer.exitedCleanly, writer.standardError)

        let received = try await subscription.value
        XCTAssertEqual(received.map(\.position), Array(1...50))
        XCTAssertEqual(Set(received.map(\.id)), Set(writer.acknowledgements().map(\.id)))
    }
}
