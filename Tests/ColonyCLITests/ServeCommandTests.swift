import ColonyContext
import ColonyStore
import Foundation
import XCTest

/// `colony serve --write-queue/--write-wait`: a server that refuses writes it cannot queue,
/// quickly and with the retryable error, and loses none it acknowledged.
final class ServeCommandTests: CLITestCase {
    /// Every line of a stdio session that sends `count` log_event calls at once (ids 1…count).
    private func logEvents(_ count: Int) -> [UInt8] {
        var lines = #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"# + "\n"
        lines += #"{"jsonrpc":"2.0","method":"notifications/initialized"}"# + "\n"
        for i in 1...count {
            lines += #"{"jsonrpc":"2.0","id":\#(i),"method":"tools/call","params":{"name":"log_event","arguments":{"scope":"q/s\#(i % 7)","text":"event \#(i)"}}}"# + "\n"
        }
        return Array(lines.utf8)
    }

    /// The answers to the tool calls, by id: whether each succeeded and its text.
    private func answers(_ output: String) throws -> [Int: (ok: Bool, text: String)] {
        var result: [Int: (Bool, String)] = [:]
        for line in output.split(separator: "\n") {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard let id = object["id"] as? Int, id > 0 else { continue }
            let answer = try XCTUnwrap(object["result"] as? [String: Any], "not a tool result: \(line)")
            let text = ((answer["content"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
            result[id] = ((answer["isError"] as? Bool) != true, text)
        }
        return result
    }

    func test_aFullWriteQueueRefusesWritesAsRetryableAndKeepsEveryAcknowledgedOne() throws {
        let calls = 300
        let run = try colony(["serve", "--store", path("s"), "--write-queue", "1", "--write-wait", "0", "--log-level", "error"],
                             stdin: logEvents(calls))
        XCTAssertEqual(run.status, 0, run.stderr)
        let byID = try answers(run.output)
        XCTAssertEqual(byID.count, calls, "every call is answered")
        let refused = byID.values.filter { !$0.ok }
        XCTAssertGreaterThan(refused.count, 0, "300 writes at once into a queue of 1 with no wait: some must be refused")
        for r in refused {
            XCTAssertTrue(r.text.contains("write queue full") && r.text.contains("retryable"), "refusal should say the queue is full and retryable: \(r.text)")
        }
        // What was acknowledged is in the log, and nothing else is.
        var options = StoreOptions()
        options.readOnly = true
        let store = try ColonyStore.open(at: path("s"), options: options)
        defer { store.close() }
        XCTAssertEqual(try store.headPosition(), UInt64(calls - refused.count))
    }

    func test_theDefaultQueueTakesTheSameWritesWithoutRefusing() throws {
        let run = try colony(["serve", "--store", path("s"), "--log-level", "error"], stdin: logEvents(300))
        XCTAssertEqual(run.status, 0, run.stderr)
        let byID = try answers(run.output)
        XCTAssertEqual(byID.count, 300)
        XCTAssertEqual(byID.values.filter { !$0.ok }.count, 0)
    }

    func test_outOfRangeQueueWaitAndSpinAreRefusedAtStart() throws {
        for (arguments, message) in [(["--write-queue", "0"], "--write-queue must be between 1 and 100,000,000 events, not 0"),
                                     (["--write-wait=-1"], "--write-wait must be between 0 and 600,000 milliseconds, not -1"),
                                     (["--stdio-spin=-1"], "--stdio-spin must be between 0 and 10,000 microseconds, not -1"),
                                     (["--stdio-spin", "10001"], "--stdio-spin must be between 0 and 10,000 microseconds, not 10001")] {
            let run = try colony(["serve", "--store", path("s")] + arguments, stdin: [])
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("s") + "/data.mdb"), "nothing is created for a refused start")
        }
    }

    /// Logs are one line per message on stderr, in swift-log's stream format, metadata sorted
    /// by key; below the chosen level nothing is written; stdout stays JSON-RPC only.
    func test_logLinesGoToStderrWithTimeLevelLabelSortedMetadataAndSource() throws {
        let run = try colony(["serve", "--store", path("s"), "--log-level", "info"], stdin: [])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.output, "", "stdout carries only JSON-RPC")
        let lines = run.stderr.split(separator: "\n").map(String.init)
        let serving = try XCTUnwrap(lines.first { $0.contains("serving MCP over stdio") }, run.stderr)
        let format = #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4} info colony\.serve: head=0 store=\S+ \[colony\] serving MCP over stdio$"#
        XCTAssertNotNil(serving.range(of: format, options: .regularExpression), serving)
        XCTAssertTrue(serving.contains("store=\(path("s"))"), serving)
        XCTAssertTrue(lines.contains { $0.hasSuffix(" info colony.serve: [colony] stdin closed; exiting") }, run.stderr)

        let quiet = try colony(["serve", "--store", path("s"), "--log-level", "error"], stdin: [])
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stderr, "", "nothing below --log-level error")
    }

    /// The stdio reader polls for a while after an answer, then sleeps: a quiet client costs
    /// the server no CPU, even with the longest poll allowed.
    func test_aQuietStdioClientCostsTheServerNoCPU() throws {
        let process = Process()
        process.executableURL = try Self.colonyExecutable()
        process.arguments = ["serve", "--store", path("s"), "--stdio-spin", "10000", "--log-level", "error"]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        defer { try? stdin.fileHandleForWriting.close(); process.waitUntilExit() }
        stdin.fileHandleForWriting.write(Data((#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_context","arguments":{"scope":"q"}}}"# + "\n").utf8))
        var answer = Data()
        while !answer.contains(0x0A) {
            let chunk = stdout.fileHandleForReading.availableData
            XCTAssertFalse(chunk.isEmpty, "the server closed stdout before answering")
            if chunk.isEmpty { return }
            answer.append(chunk)
        }
        XCTAssertTrue(String(decoding: answer, as: UTF8.self).contains(#""id":1"#))
        func cpuTicks() throws -> Int {
            let stat = try String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)
            let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
            return Int(fields[11])! + Int(fields[12])!  // utime, stime (fields 14 and 15 of the line)
        }
        usleep(300_000)  // start-up and the page warmer are over
        let before = try cpuTicks()
        usleep(1_000_000)
        let used = try cpuTicks() - before
        XCTAssertLessThan(used, 10, "a quiet stdio server used \(used) clock ticks of CPU in 1 s: the reader keeps polling")
    }

    /// One descriptor per HTTP connection: the server raises its soft open-file limit to the
    /// hard one at start, so 1,000 clients are not refused at the usual soft limit of 1,024.
    func test_anHTTPServerRaisesItsOpenFileLimitToTheHardLimit() throws {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        guard limit.rlim_max > 256 else { throw XCTSkip("the hard open-file limit is \(limit.rlim_max); nothing to raise") }
        let port = 20_000 + Int.random(in: 0..<20_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // A soft limit of 256 in the shell, then exec: the server is this process, with that limit.
        process.arguments = ["-c", "ulimit -Sn 256 && exec \"$0\" serve --store \"$1\" --http 127.0.0.1:\"$2\" --log-level error",
                             try Self.colonyExecutable().path, path("s"), String(port)]
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }
        func softLimit() -> String? {
            guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/limits", encoding: .utf8),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) else { return nil }
            return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first.map(String.init)
        }
        // The limit is raised before the port is bound: once it accepts a connection, it is final.
        // (Read earlier, the file could still show the shell before its ulimit.)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && !Self.accepts(port: port) { usleep(20_000) }
        XCTAssertTrue(Self.accepts(port: port), "colony serve --http did not listen on \(port)")
        XCTAssertEqual(softLimit(), String(limit.rlim_max), "the server's soft open-file limit")
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
