import ColonyContext
import ColonyStore
import Foundation

// Compiled together with Sources/ColonyMCP (linked in as ./ColonyMCP, without the
// HTTP transport), so the parser, the message check and the server's internals are
// reachable without building Hummingbird and NIO under the fuzzer.

/// A store for the whole run, with a little context to render. Writes are only
/// validated, never performed, so every input sees the same store.
let fuzzStore: ColonyStore = {
    let path = NSTemporaryDirectory() + "colony-fuzz-mcp-\(getpid())"
    try? FileManager.default.removeItem(atPath: path)
    let store = try! Colony.open(at: path)
    let ready = DispatchSemaphore(value: 0)
    Task {
        _ = try? await store.logEvent(scope: "acme/api", text: "deployed v2", kind: "deploy", data: Array(#"{"v":2}"#.utf8))
        _ = try? await store.logInsight(scope: "acme", text: "migrate first", importance: 0.9, tags: ["db"])
        ready.signal()
    }
    ready.wait()
    atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "colony-fuzz-mcp-\(getpid())") }
    return store
}()
let fuzzServer = MCPServer(store: fuzzStore)
let scopedGrant = try! ScopeGrant.under("acme/api")

/// Feeds arbitrary bytes to the MCP server as one message. What must hold:
/// - the parser either returns a value or fails at an offset inside the input;
/// - a parsed value written back out parses to the same value;
/// - every answer the server sends is JSON that parses, for a full and a scoped client;
/// - nothing crashes. (`log_event`, `log_insight` and `start_*` calls are validated, not run.)
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMCPMessage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    let value: JSONValue
    do {
        value = try JSONParser.parse(raw)
    } catch {
        precondition(error.offset >= 0 && error.offset <= size, "parse error offset \(error.offset) outside \(size) bytes")
        return 0
    }
    let written = value.jsonBytes
    guard let again = try? JSONParser.parse(written) else {
        preconditionFailure("the writer wrote what the parser refuses: \(String(decoding: written, as: UTF8.self))")
    }
    precondition(again == value, "round trip changed \(value.jsonText) into \(again.jsonText)")

    guard let rpc = try? RPCMessage.check(value) else { return fuzzOnce(raw, grant: .everything) }
    if rpc.method == "tools/call", case .string(let name)? = rpc.params?["name"] {
        let arguments = rpc.params?["arguments"]
        if name == "log_event" { _ = try? fuzzServer.tools.checkLogEvent(arguments); return 0 }
        if name == "log_insight" { _ = try? fuzzServer.tools.checkLogInsight(arguments); return 0 }
        if name.hasPrefix("start_") { return 0 }
    }
    _ = fuzzOnce(raw, grant: .everything)
    return fuzzOnce(raw, grant: scopedGrant)
}

func fuzzOnce(_ raw: UnsafeRawBufferPointer, grant: ScopeGrant) -> CInt {
    let session = MCPSession(id: "fuzz", grant: grant) { bytes in checkAnswer(bytes) }
    let reply = fuzzServer.handle(raw, session: session, later: { checkAnswer($0) })
    if case .now(let bytes) = reply { checkAnswer(bytes) }
    fuzzServer.close(session)
    return 0
}

func checkAnswer(_ bytes: [UInt8]) {
    guard case .object = try? JSONParser.parse(bytes) else {
        preconditionFailure("the server answered with something that is not a JSON object: \(String(decoding: bytes.prefix(500), as: UTF8.self))")
    }
}

// SwiftPM links an executable's entry point as `FuzzMCPMessage_main`; hand control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzMCPMessage_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    _ = fuzzServer
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, fuzzMCPMessage)
}
