import ColonyContext
import ColonyStore
import Foundation
import LMDB
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A test case that runs the built `colony` executable on stores in a fresh
/// temporary directory, removed in tearDown.
class CLITestCase: XCTestCase {
    private(set) var directory: URL!

    override func setUpWithError() throws {
        try super.setUpWithError()
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("colony-cli-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
        try super.tearDownWithError()
    }

    /// A path inside the test directory (nothing is created).
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// What a finished `colony` run printed and how it ended.
    struct Run {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
        var output: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `colony ARGS`, with `stdin` as its standard input (empty when nil), and waits
    /// at most `timeout` seconds for it (then kills it and fails).
    @discardableResult
    func colony(_ arguments: [String], stdin: [UInt8]? = nil, timeout: TimeInterval = 120,
                currentDirectory: URL? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> Run {
        let id = UUID().uuidString
        let out = directory.appendingPathComponent("stdout-\(id)")
        let err = directory.appendingPathComponent("stderr-\(id)")
        let input = directory.appendingPathComponent("stdin-\(id)")
        try Data(stdin ?? []).write(to: input)
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer { for u in [out, err, input] { try? FileManager.default.removeItem(at: u) } }
        let process = Process()
        process.executableURL = try Self.colonyExecutable(file: file, line: line)
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.standardInput = try FileHandle(forReadingFrom: input)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTFail("colony \(arguments.joined(separator: " ")) did not finish in \(Int(timeout)) s", file: file, line: line)
        }
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: [UInt8](try Data(contentsOf: out)),
                   stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }

    /// The built `colony`: it sits in the same build products directory as the test bundle.
    static func colonyExecutable(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        try builtExecutable("colony", file: file, line: line)
    }

    /// A product built next to the test bundle (`swift build --build-tests` builds every one).
    static func builtExecutable(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        var candidates: [URL] = []
        for bundle in [Bundle(for: CLITestCase.self), Bundle.main] {
            candidates.append(bundle.bundleURL)
            candidates.append(bundle.bundleURL.deletingLastPathComponent())
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for directory in candidates {
            let url = directory.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: url.path) {
                return url
            }
        }
        XCTFail("\(name) is not built next to the test bundle (looked in \(candidates.map(\.path))). Build every product first: swift build --build-tests",
                file: file, line: line)
        throw XCTSkip("\(name) is not built")
    }

    /// Makes a store with the context view at `path` holding a few events of every sort, and closes it.
    @discardableResult
    func makeStore(at path: String, events count: Int = 20) async throws -> [EventID] {
        let store = try Colony.open(at: path)
        defer { store.close() }
        var ids: [EventID] = []
        for i in 0..<count {
            let r = i % 4 == 3
                ? try await store.logInsight(scope: "acme/api", text: "insight \(i % 3)", importance: Double(i % 10) / 10)
                : try await store.logEvent(scope: i % 2 == 0 ? "acme/api/s\(i % 3)" : "acme/web", text: "event \(i)",
                                           kind: "k\(i % 3)", data: Array(#"{"n":\#(i)}"#.utf8))
            ids.append(try XCTUnwrap(store.event(at: r.lastPosition)).id)
        }
        try await store.append(NewEvent(stream: "swarm:agents", kind: "joined", payload: Array("{\n \"agent\": \"a\"\n}".utf8),
                                        metadata: Array(#"{"by":"test"}"#.utf8), priority: .low))
        return ids
    }

    /// Sets the store's format number, as a newer build would have written it.
    func setFormat(_ format: UInt32, ofStoreAt path: String) throws {
        let env = try Environment(path: path)
        defer { env.close() }
        let meta = try env.openDatabase(named: "meta")
        try env.write { txn in
            try txn.put(meta, key: Array("format".utf8), value: withUnsafeBytes(of: format.littleEndian) { Array($0) })
        }
    }

    /// Every file under `path` with its contents, to show that a command changed nothing.
    func snapshot(of path: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: path) where name != "lock.mdb" {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: path).appendingPathComponent(name))
        }
        return out
    }
}
