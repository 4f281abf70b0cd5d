import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The end-to-end scripts in Tests/e2e, run against the `colony` built next to
/// this test bundle: the official MCP Python SDK in both protocol versions, a
/// malformed-input corpus over raw pipes, two servers on one store, servers
/// killed with SIGKILL while three of them write, and power cuts simulated from a
/// record of their writes and flushes.
///
/// Needs `python3` with the MCP SDK (`./scripts/bootstrap.sh` installs it) and a
/// built `colony` (`swift build --build-tests` builds it with the tests).
final class EndToEndTests: XCTestCase {
    /// Seconds a script may run before it is killed and the test fails.
    static let timeout: TimeInterval = 120

    func testSDKClientInBothProtocolVersions() throws {
        try runScript("test_stdio.py")
    }

    func testMalformedInputIsAnsweredAndWritesNothing() throws {
        try runScript("test_malformed.py")
    }

    func testTwoServersOnOneStore() throws {
        try runScript("test_multiprocess.py")
    }

    func testStreamableHTTPAndItsGuardRails() throws {
        try runScript("test_http.py")
    }

    /// SIGKILL of servers under multi-process write load (COLONY_FAULT_CYCLES, default 20).
    func testKilledServersLoseNoAcknowledgedWrite() throws {
        try runScript("test_server_kill.py")
    }

    /// A power cut simulated from a record of every write and flush of data.mdb (a preloaded
    /// shim): at crash points throughout three servers' writes, the file as the disk could hold
    /// it keeps every acknowledged event and verifies clean (COLONY_POWER_LOSS_POINTS, default 40).
    func testAPowerCutAtAnyMomentLosesNoAcknowledgedWrite() throws {
        try runScript("test_power_loss.py")
    }

    // MARK: Running a script

    static let scriptsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("e2e")

    private func runScript(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let colony = try Self.colonyExecutable(file: file, line: line)
        try Self.requirePythonSDK(file: file, line: line)
        let script = Self.scriptsDirectory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: script.path) else {
            return XCTFail("missing \(script.path)", file: file, line: line)
        }
        let run = try Self.run(["python3", script.path, "--colony", colony.path], timeout: Self.timeout)
        if run.timedOut {
            XCTFail("\(name) did not finish within \(Int(Self.timeout)) s and was killed. Its output:\n\(run.output)", file: file, line: line)
        } else if run.status != 0 {
            XCTFail("\(name) failed (exit \(run.status)). Its output:\n\(run.output)", file: file, line: line)
        } else {
            print(run.output)
        }
    }

    /// The built `colony`: it sits in the same build products directory as the test bundle.
    static func colonyExecutable(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        var candidates: [URL] = []
        for bundle in [Bundle(for: EndToEndTests.self), Bundle.main] {
            candidates.append(bundle.bundleURL)
            candidates.append(bundle.bundleURL.deletingLastPathComponent())
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for directory in candidates {
            let url = directory.appendingPathComponent("colony")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: url.path) {
                return url
            }
        }
        XCTFail("""
            colony is not built next to the test bundle (looked in \(candidates.map(\.path))). \
            Build every product first: swift build --build-tests
            """, file: file, line: line)
        throw XCTSkip("colony is not built")
    }

    /// Fails (rather than skips) when python3 or the MCP SDK is missing: these tests are part of the suite.
    static func requirePythonSDK(file: StaticString = #filePath, line: UInt = #line) throws {
        let probe: Run
        do {
            probe = try run(["python3", "-c", "import mcp, mcp_types, anyio"], timeout: 60)
        } catch {
            XCTFail("cannot run python3 (\(error)): run ./scripts/bootstrap.sh to install the Python MCP SDK", file: file, line: line)
            throw XCTSkip("python3 is not available")
        }
        if probe.timedOut || probe.status != 0 {
            XCTFail("""
                python3 -c "import mcp" failed: run ./scripts/bootstrap.sh to install the Python MCP SDK
                \(probe.output)
                """, file: file, line: line)
            throw XCTSkip("the Python MCP SDK is not installed")
        }
    }

    struct Run {
        var status: Int32
        var output: String
        var timedOut: Bool
    }

    /// Runs a command found on PATH, standard output and error together in a file
    /// (so no pipe can fill and block it); kills it after `timeout` seconds.
    static func run(_ arguments: [String], timeout: TimeInterval) throws -> Run {
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("colony-e2e-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let output = try FileHandle(forWritingTo: outputURL)
        defer { try? output.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"  // no __pycache__ in the source tree
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()

        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            if finished.wait(timeout: .now() + 5) == .timedOut {
                _ = kill(process.processIdentifier, SIGKILL)
                finished.wait()
            }
        }
        let text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "(output not readable as UTF-8)"
        return Run(status: process.terminationStatus, output: text, timedOut: timedOut)
    }
}
