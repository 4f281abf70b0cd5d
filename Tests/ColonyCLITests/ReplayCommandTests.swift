import ColonyContext
import ColonyStore
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ReplayCommandTests: CLITestCase {
    private func lines(_ run: Run) -> [String] { run.output.split(separator: "\n").map(String.init) }

    func test_replayAsNDJSONPrintsWhatExportWrites() async throws {
        try await makeStore(at: path("s"), events: 50)
        let replay = try colony(["replay", "--store", path("s"), "--format", "ndjson"])
        let export = try colony(["export", "--store", path("s"), "--quiet"])
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertEqual(replay.output, export.output)
    }

    func test_textLinesShowPositionTimeStreamVersionKindAndPayload() async throws {
        let store = try Colony.open(at: path("s"))
        try await store.append(NewEvent(stream: "acme/api", kind: "deploy", payload: Array("{\"v\":\n2}".utf8),
                                        metadata: Array(#"{"by":"ci"}"#.utf8), timeMicroseconds: 1_795_273_206_790_327))
        store.close()
        let run = try colony(["replay", "--store", path("s")])
        XCTAssertEqual(run.output, "1 2026-11-21T15:00:06.790327Z acme/api#1 deploy {\"v\": 2} {\"by\":\"ci\"}\n")
    }

    func test_filtersByScopeKindPositionsAndTimes() async throws {
        let store = try Colony.open(at: path("s"))
        let day: Int64 = 86_400_000_000
        let base = Timestamp.parse("2026-11-20")!
        for i in 0..<10 {
            try await store.append(NewEvent(stream: i % 2 == 0 ? "acme/api" : "other", kind: i % 3 == 0 ? "deploy" : "note",
                                            payload: Array(#"{"i":\#(i)}"#.utf8), timeMicroseconds: base + Int64(i) * day))
        }
        store.close()
        func positions(_ args: [String]) throws -> [String] {
            let run = try colony(["replay", "--store", path("s")] + args)
            XCTAssertEqual(run.status, 0, run.stderr)
            return lines(run).map { String($0.prefix { $0 != " " }) }
        }

        XCTAssertEqual(try positions(["--scope", "acm"]), [], "a scope is not a prefix of characters")
        XCTAssertEqual(try positions(["--scope", "acme"]), ["1", "3", "5", "7", "9"])
        XCTAssertEqual(try positions(["--stream-prefix", "oth"]), ["2", "4", "6", "8", "10"])
        XCTAssertEqual(try positions(["--scope", "acme/api"]), ["1", "3", "5", "7", "9"])
        XCTAssertEqual(try positions(["--kind", "deploy"]), ["1", "4", "7", "10"])
        XCTAssertEqual(try positions(["--kind", "deploy", "--scope", "other"]), ["4", "10"])
        XCTAssertEqual(try positions(["--from", "3", "--to", "5"]), ["3", "4", "5"])
        XCTAssertEqual(try positions(["--since", "2026-11-22", "--until", "2026-11-24T00:00:00Z"]), ["3", "4"])
        XCTAssertEqual(try positions(["--since", "2026-11-22T01:00:00+01:00", "--to", "4"]), ["3", "4"])
    }

    func test_badTimesAndRangesAreUsageErrors() async throws {
        try await makeStore(at: path("s"), events: 1)
        XCTAssertEqual(try colony(["replay", "--store", path("s"), "--since", "tuesday"]).status, 64)
        XCTAssertEqual(try colony(["replay", "--store", path("s"), "--from", "5", "--to", "2"]).status, 64)
        XCTAssertEqual(try colony(["replay", "--store", path("s"), "--format", "xml"]).status, 64)
        XCTAssertEqual(try colony(["replay", "--store", path("absent")]).status, 4)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("absent")))
    }

    /// `colony replay --follow` in its own process sees events appended by this process and by a
    /// third one (`colony log`), each within a moment of its commit, and ends with status 0 on SIGTERM.
    func test_followPrintsEventsAppendedByOtherProcessesAsTheyAreCommitted() async throws {
        try await makeStore(at: path("s"), events: 5)
        let follower = try Follower(colony: Self.colonyExecutable(), arguments: ["replay", "--follow", "--format", "ndjson", "--store", path("s")],
                                    output: directory.appendingPathComponent("follow.out"))
        defer { follower.stop() }
        try await follower.waitForLines(6)  // 5 events and the swarm event of makeStore

        let store = try Colony.open(at: path("s"))
        var appended: [EventID] = []
        for i in 0..<3 {
            let id = EventID()
            try await store.logEvent(scope: "acme/live", text: "live \(i)", id: id)
            appended.append(id)
            try await follower.waitForLines(7 + i)
        }
        store.close()
        let logged = try colony(["log", "--store", path("s"), "acme/cli", "from another process"])
        XCTAssertEqual(logged.output, "10\n")
        try await follower.waitForLines(10)

        let printed = follower.lines
        for (i, id) in appended.enumerated() {
            XCTAssertTrue(printed[6 + i].contains(#""id":"\#(id)""#), printed[6 + i])
            XCTAssertTrue(printed[6 + i].hasPrefix(#"{"position":\#(7 + i),"#), printed[6 + i])
        }
        XCTAssertTrue(printed[9].contains("from another process"), printed[9])
        XCTAssertEqual(follower.terminate(), 0, "a follow ends with status 0 on SIGTERM")
    }

    func test_followStopsAtTo() async throws {
        try await makeStore(at: path("s"), events: 2)  // 3 events
        let follower = try Follower(colony: Self.colonyExecutable(), arguments: ["replay", "--follow", "--to", "4", "--store", path("s")],
                                    output: directory.appendingPathComponent("follow.out"))
        defer { follower.stop() }
        try await follower.waitForLines(3)
        let store = try Colony.open(at: path("s"))
        try await store.logEvent(scope: "a", text: "4th")
        try await store.logEvent(scope: "a", text: "5th")
        store.close()
        let status = try await follower.waitForExit()
        XCTAssertEqual(status, 0)
        XCTAssertEqual(follower.lines.count, 4)
        XCTAssertTrue(follower.lines.last?.contains("4th") == true)
    }
}

/// A `colony replay --follow` process whose standard output goes to a file the test reads as it grows.
final class Follower {
    private let process = Process()
    private let output: URL
    private var ended = false

    init(colony: URL, arguments: [String], output: URL) throws {
        self.output = output
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.executableURL = colony
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    var lines: [String] {
        let text = String(decoding: (try? Data(contentsOf: output)) ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").map(String.init)
    }

    /// Waits until at least `count` lines are printed (failing after 30 s).
    func waitForLines(_ count: Int, file: StaticString = #filePath, line: UInt = #line) async throws {
        let deadline = Date().addingTimeInterval(30)
        while lines.count < count {
            guard Date() < deadline, process.isRunning else {
                XCTFail("the follower printed \(lines.count) lines, not \(count)\(process.isRunning ? "" : ", and exited"):\n\(lines.joined(separator: "\n"))",
                        file: file, line: line)
                throw CancellationError()
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    /// Waits (at most 30 s) for the process to end by itself; returns its status.
    func waitForExit() async throws -> Int32 {
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
        if process.isRunning { XCTFail("the follower did not exit"); stop() }
        process.waitUntilExit()
        ended = true
        return process.terminationStatus
    }

    /// Sends SIGTERM and returns the exit status.
    func terminate() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        ended = true
        return process.terminationReason == .exit ? process.terminationStatus : -process.terminationStatus
    }

    /// Kills the process if it is still running.
    func stop() {
        guard !ended else { return }
        ended = true
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
