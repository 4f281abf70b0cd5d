import ColonyStore
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// One `colony-crash-writer` process (Tests/Support/CrashWriter), its standard
/// output and error captured in files so neither pipe can fill and block it.
final class CrashWriterProcess {
    /// An append the writer reported as acknowledged.
    struct Ack: Hashable {
        var id: EventID
        var position: UInt64
    }

    let writerID: String
    let count: Int
    private let process = Process()
    private let outputURL: URL
    private let errorURL: URL

    /// The built `colony-crash-writer`: it sits in the same build products
    /// directory as the test bundle (`swift build` or `swift test` builds it).
    static func executable(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        var candidates: [URL] = []
        for bundle in [Bundle(for: CrashWriterProcess.self), Bundle.main] {
            candidates.append(bundle.bundleURL)
            candidates.append(bundle.bundleURL.deletingLastPathComponent())
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for directory in candidates {
            let url = directory.appendingPathComponent("colony-crash-writer")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        XCTFail("""
            colony-crash-writer is not built next to the test bundle (looked in \(candidates.map(\.path))). \
            Build every product first: swift build --build-tests
            """, file: file, line: line)
        throw XCTSkip("colony-crash-writer is not built")
    }

    /// Starts `colony-crash-writer STORE WRITER_ID COUNT MODE`; output files go in `logDirectory`.
    init(executable: URL, store: String, writerID: String, count: Int, buffered: Bool, logDirectory: URL) throws {
        self.writerID = writerID
        self.count = count
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        outputURL = logDirectory.appendingPathComponent("writer-\(writerID).out")
        errorURL = logDirectory.appendingPathComponent("writer-\(writerID).err")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        process.executableURL = executable
        process.arguments = [store, writerID, String(count), buffered ? "--buffered" : "--durable"]
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
    }

    /// The stream the writer appends to.
    var stream: String { "w\(writerID)" }

    /// Kills the process with SIGKILL: no cleanup, no flush, no close.
    func kill() {
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
    }

    func waitUntilExit() { process.waitUntilExit() }

    var wasKilled: Bool { process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL }
    var exitedCleanly: Bool { process.terminationReason == .exit && process.terminationStatus == 0 }
    var exitDescription: String { "\(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus)" }

    /// What the writer wrote to standard error.
    var standardError: String { (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "" }

    /// Every complete `ack <id> <position>` line of standard output; a line cut
    /// short by SIGKILL is ignored. A line that does not parse fails the test.
    func acknowledgements(file: StaticString = #filePath, line: UInt = #line) -> [Ack] {
        guard let data = try? Data(contentsOf: outputURL) else {
            XCTFail("no output from writer \(writerID)", file: file, line: line)
            return []
        }
        var text = String(decoding: data, as: UTF8.self)
        if let lastNewline = text.lastIndex(of: "\n") {
            text = String(text[...lastNewline])
        } else {
            text = ""
        }
        var acks: [Ack] = []
        for row in text.split(separator: "\n") {
            let fields = row.split(separator: " ")
            guard fields.count == 3, fields[0] == "ack", let id = EventID(string: String(fields[1])),
                  let position = UInt64(fields[2]) else {
                XCTFail("writer \(writerID) printed an unexpected line: \(row)", file: file, line: line)
                continue
            }
            acks.append(Ack(id: id, position: position))
        }
        return acks
    }
}

extension StoreTestCase {
    /// Checks what the store's log and indexes must always satisfy, whatever
    /// happened to the processes that wrote it:
    /// - positions are dense from 1 to the head, and each event id appears once;
    /// - the event-ids index maps every event's id to its position;
    /// - every stream's versions are dense from 1 in log order and its head version matches;
    /// - every acknowledged event is in the log exactly once, at the acknowledged position;
    /// - the stream-summary view is byte-for-byte what a rebuild from the log gives.
    /// Returns the log.
    @discardableResult
    func auditLog(_ store: ColonyStore, acknowledged acks: [CrashWriterProcess.Ack],
                  file: StaticString = #filePath, line: UInt = #line) throws -> [RecordedEvent] {
        let log = try store.allEvents()
        let head = try store.headPosition()
        XCTAssertEqual(log.map(\.position), Array(stride(from: 1, through: head, by: 1)), "positions dense 1...head",
                       file: file, line: line)

        var positionByID: [EventID: UInt64] = [:]
        var versionsByStream: [String: [UInt64]] = [:]
        for e in log {
            if let earlier = positionByID.updateValue(e.position, forKey: e.id) {
                XCTFail("event \(e.id) is in the log twice: at \(earlier) and \(e.position)", file: file, line: line)
            }
            versionsByStream[e.stream, default: []].append(e.streamVersion)
            let indexed = try store.position(of: e.id)
            if indexed != e.position {
                XCTFail("event-ids index has \(e.id) at \(String(describing: indexed)), the log at \(e.position)",
                        file: file, line: line)
            }
        }
        for (stream, versions) in versionsByStream {
            if versions != Array(1...UInt64(versions.count)) {
                XCTFail("stream \(stream) has versions \(versions.prefix(20))…, not 1...\(versions.count)", file: file, line: line)
            }
            XCTAssertEqual(try store.streamVersion(stream), UInt64(versions.count), "head version of \(stream)",
                           file: file, line: line)
        }

        XCTAssertEqual(Set(acks.map(\.id)).count, acks.count, "no event acknowledged twice", file: file, line: line)
        for ack in acks where positionByID[ack.id] != ack.position {
            XCTFail("acknowledged event \(ack.id) at \(ack.position) is at \(String(describing: positionByID[ack.id]))",
                    file: file, line: line)
        }

        let live = try store.dump(view: "stream-summary")
        XCTAssertEqual(live.count, versionsByStream.count, "one summary per stream", file: file, line: line)
        for (stream, versions) in versionsByStream {
            XCTAssertEqual(try store.summary(of: stream)?.count, UInt64(versions.count), "summary of \(stream)",
                           file: file, line: line)
        }
        try store.rebuild(view: "stream-summary")
        XCTAssertEqual(try store.dump(view: "stream-summary"), live, "the live view equals a rebuild", file: file, line: line)
        return log
    }

    /// The `n` of each `{"n":…}` payload in `stream`.
    func payloadNumbers(in log: [RecordedEvent], stream: String) -> [Int] {
        log.filter { $0.stream == stream }.compactMap { e in
            let s = text(e.payload)
            guard s.hasPrefix(#"{"n":"#), s.hasSuffix("}") else { return nil }
            return Int(s.dropFirst(5).dropLast())
        }
    }
}
