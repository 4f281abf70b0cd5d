import ColonyContext
import ColonyStore
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class RebuildCommandTests: CLITestCase {
    /// Fills a store with `count` context events over 200 scopes, in batches, and returns its
    /// context view's tables.
    func makeContextStore(at path: String, events count: Int) async throws -> [String: [UInt8]] {
        let store = try Colony.open(at: path)
        defer { store.close() }
        var appended = 0
        while appended < count {
            let batch = (appended..<min(appended + 500, count)).map { i in
                NewEvent(stream: "acme/s\(i % 200)", kind: i % 7 == 0 ? "insight" : "note",
                         payload: Array(#"{"text":"event \#(i)","importance":0.\#(i % 10)}"#.utf8))
            }
            try await store.append(batch)
            appended += batch.count
        }
        return try contextTables(store)
    }

    func contextTables(_ store: ColonyStore) throws -> [String: [UInt8]] {
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

    func test_rebuildPrintsWhatItDidAndLeavesTheSameView() async throws {
        let live = try await makeContextStore(at: path("s"), events: 2_000)

        let run = try colony(["rebuild", "--store", path("s"), "--view", "context", "--chunk-events", "300", "--progress-interval", "0"])

        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.output.hasPrefix("rebuilt context: 2,000 events in "), run.output)
        XCTAssertTrue(run.output.contains("swapped in at position 2000"), run.output)
        let lines = run.stderr.split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.filter { $0.contains("events/s, ETA") }.count, 7, "a progress line per chunk: \(run.stderr)")
        XCTAssertTrue(lines.contains { $0.contains("rebuilding context: 2,000/2,000 events (100%)") }, run.stderr)
        let store = try Colony.open(at: path("s"))
        defer { store.close() }
        XCTAssertEqual(try contextTables(store), live)
    }

    func test_rebuildOfEveryViewCountsEachEventOfTheLogOnce() async throws {
        _ = try await makeContextStore(at: path("s"), events: 1_200)

        let run = try colony(["rebuild", "--store", path("s"), "--chunk-events", "500", "--progress-interval", "0"])

        XCTAssertEqual(run.status, 0, run.stderr)
        // Two views (context, swarm) each apply the 1,200 events; the store has 1,200, not 2,400.
        XCTAssertTrue(run.output.hasPrefix("rebuilt context, swarm: 1,200 events in "), run.output)
        XCTAssertTrue(run.stderr.contains("1,200/1,200 events (100%)"), run.stderr)
        XCTAssertFalse(run.stderr.contains("2,400"), run.stderr)
    }

    func test_rebuildKilledHalfWayResumesAndEndsWithTheLiveViews() async throws {
        let total = 40_000
        let live = try await makeContextStore(at: path("s"), events: total)
        let stderrURL = directory.appendingPathComponent("rebuild.err")
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let process = Process()
        process.executableURL = try Self.colonyExecutable()
        process.arguments = ["rebuild", "--store", path("s"), "--view", "context", "--chunk-events", "1000", "--progress-interval", "0"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
        // Kill it once a quarter of the events are applied. A progress line is printed when a chunk
        // is applied, before it commits: the chunk before it is committed.
        let deadline = Date().addingTimeInterval(60)
        var killedAt: String?
        while process.isRunning && Date() < deadline && killedAt == nil {
            let text = String(decoding: (try? Data(contentsOf: stderrURL)) ?? Data(), as: UTF8.self)
            if let line = text.split(separator: "\n").last(where: { $0.contains("events (") }),
               let percent = line.split(separator: "(").last?.split(separator: "%").first.flatMap({ Int($0) }), percent >= 25 {
                kill(process.processIdentifier, SIGKILL)
                killedAt = String(line)
            }
            usleep(2_000)
        }
        process.waitUntilExit()
        let killed = try XCTUnwrap(killedAt, "the rebuild ended before it could be killed: \((try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "")")
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "killed at \(killed)")

        let stopped: UInt64 = try {
            let store = try Colony.open(at: path("s"))
            defer { store.close() }
            XCTAssertEqual(try contextTables(store), live, "the live view is untouched by the killed rebuild")
            return try XCTUnwrap(try store.unfinishedRebuilds()["context"])
        }()
        XCTAssertGreaterThanOrEqual(stopped, 9_000, "killed at \(killed)")
        XCTAssertLessThan(stopped, UInt64(total))
        XCTAssertEqual(stopped % 1_000, 0, "it stopped at a chunk boundary")
        let stats = try colony(["stats", "--json", "--store", path("s")])
        let unfinished = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(stats.stdout)) as? [String: Any])?["unfinishedRebuilds"] as? [String: Int])
        XCTAssertEqual(unfinished, ["context": Int(stopped)])

        let resumed = try colony(["rebuild", "--store", path("s"), "--view", "context", "--json", "--progress-interval", "0"])

        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming the rebuild of context from position \(stopped)"), resumed.stderr)
        let report = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(resumed.stdout)) as? [String: Any])?["rebuild"] as? [String: Any])
        XCTAssertEqual(report["resumedFrom"] as? [String: Int], ["context": Int(stopped)])
        XCTAssertEqual(report["eventsApplied"] as? Int, total - Int(stopped))
        XCTAssertEqual(report["logEvents"] as? Int, total - Int(stopped))
        let store = try Colony.open(at: path("s"))
        defer { store.close() }
        XCTAssertEqual(try contextTables(store), live, "the resumed rebuild ends with the live view, byte for byte")
        XCTAssertEqual(try store.unfinishedRebuilds(), [:])
        store.close()
        XCTAssertEqual(try colony(["verify", "--store", path("s")]).status, 0)
    }

    func test_rebuildWhileAnotherProcessAppendsLosesNoEvent() async throws {
        _ = try await makeContextStore(at: path("s"), events: 6_000)
        let store = try Colony.open(at: path("s"))
        let appender = Task {
            var n = 0
            while !Task.isCancelled {
                try await store.logEvent(scope: "acme/live", text: "during the rebuild \(n)")
                n += 1
            }
            return n
        }
        let run = try colony(["rebuild", "--store", path("s"), "--chunk-events", "500", "--quiet"])
        appender.cancel()
        let appended = try await appender.value
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertGreaterThan(appended, 0)
        let context = try store.context(of: "acme/live")
        let events = (try JSONSerialization.jsonObject(with: Data(context.json)) as? [String: Any])?["events"] as? Int
        XCTAssertEqual(events, appended, "every event appended during the rebuild is in the view")
        store.close()

        let verify = try colony(["verify", "--store", path("s")])
        XCTAssertEqual(verify.status, 0, "the swapped-in view equals a rebuild from the log: \(verify.output)")
    }

    func test_storeLeftLockedByAKilledProcessIsUsable() async throws {
        try await makeStore(at: path("s"))
        let holder = Process()
        holder.executableURL = try Self.builtExecutable("colony-crash-writer")
        holder.arguments = [path("s"), "--hold-locks"]
        let pipe = Pipe()
        holder.standardOutput = pipe
        try holder.run()
        let said = String(decoding: pipe.fileHandleForReading.readData(ofLength: 8), as: UTF8.self)
        XCTAssertEqual(said, "holding\n", "the holder has the write lock and a reader slot")
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()

        // LMDB's robust mutex hands the dead holder's write lock to the next writer, and the
        // reader check at open frees its slot: every command goes on as usual.
        let log = try colony(["log", "--store", path("s"), "acme/api", "after the crash"], timeout: 30)
        XCTAssertEqual(log.status, 0, log.stderr)
        let rebuild = try colony(["rebuild", "--store", path("s"), "--quiet"], timeout: 30)
        XCTAssertEqual(rebuild.status, 0, rebuild.stderr)
        let verify = try colony(["verify", "--store", path("s")], timeout: 30)
        XCTAssertEqual(verify.status, 0, verify.output)
        let stats = try colony(["stats", "--json", "--store", path("s")], timeout: 30)
        let readers = (try JSONSerialization.jsonObject(with: Data(stats.stdout)) as? [String: Any])?["readerProcessIDs"] as? [Int]
        XCTAssertFalse(readers?.contains(Int(holder.processIdentifier)) ?? true, "the dead holder's reader slot is free: \(stats.output)")
    }

    func test_rebuildRefusesAnUnknownViewAndAPathThatIsNotAStore() async throws {
        try await makeStore(at: path("s"))
        let before = try snapshot(of: path("s"))

        let unknown = try colony(["rebuild", "--store", path("s"), "--view", "nope"])
        let missing = try colony(["rebuild", "--store", path("none")])
        let badChunk = try colony(["rebuild", "--store", path("s"), "--chunk-events", "0"])

        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("no view named nope; this store's views: context, swarm"), unknown.stderr)
        XCTAssertEqual(missing.status, 4)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("none")), "nothing is created")
        XCTAssertEqual(badChunk.status, 64)
        XCTAssertEqual(try snapshot(of: path("s")), before)
    }
}
