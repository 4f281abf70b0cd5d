import ColonyStore
import Foundation

// Compiled together with Sources/ColonyContext (linked in as ./ColonyContext), so the
// view's internal decoder and renderer are reachable.

/// Feeds arbitrary bytes as a stored context view value. What must hold:
/// - `ScopeState.decode` returns a state or throws; a state it returns encodes to
///   bytes that decode to a state encoding the same bytes again;
/// - `ContextRenderer.render` returns a document or throws, and never crashes or reads
///   outside the value.
///
/// Not checked: that the rendered JSON is valid. View values hold pre-rendered JSON
/// fragments without a checksum, so a flipped byte inside one renders as malformed
/// JSON (the first run found this in seconds; docs/testing.md). `colony verify` finds
/// such a value (the view differs from a rebuild); `get_context` serves it as stored.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzContextView(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let scope = Array("acme/api".utf8)[...]
    if let state = try? ScopeState.decode(bytes, scope: scope) {
        let encoded = state.encode()
        guard let again = try? ScopeState.decode(encoded, scope: scope) else {
            preconditionFailure("a decoded view value re-encodes to bytes that do not decode")
        }
        precondition(again.encode() == encoded, "encode/decode is not stable")
    }
    var queries = [ContextQuery()]
    var small = ContextQuery()
    small.maxEvents = 1
    small.maxInsights = 0
    small.maxBytes = 4096
    small.sincePosition = 2
    queries.append(small)
    for query in queries {
        let document = bytes.withUnsafeBytes { raw in try? ContextRenderer.render(stored: raw, scope: "acme/api", query: query) }
        if let document { precondition(document.json.count <= size + 4096, "rendered more than the value and the query's framing hold") }
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// `COLONY_FUZZ_WRITE_SEEDS=DIR FuzzContextView`: writes real context view values
/// (from a store with events, insights, a superseded insight and nested scopes) into DIR.
func writeSeeds(to directory: String) -> CInt {
    let path = NSTemporaryDirectory() + "colony-fuzz-seeds-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: path) }
    guard let store = try? Colony.open(at: path) else { return 1 }
    defer { store.close() }
    let done = DispatchSemaphore(value: 0)
    Task {
        let first = EventID()
        _ = try? await store.logInsight(scope: "acme", text: "migrate first", importance: 0.9, tags: ["db"], id: first)
        for i in 0..<12 {
            _ = try? await store.logEvent(scope: i % 2 == 0 ? "acme/api" : "acme/web", text: "event \(i) \u{e9}\"quoted\"", kind: "deploy",
                                          data: Array(#"{"i":\#(i),"nested":{"a":[1,2.5,null,true]}}"#.utf8), agent: "agent-\(i % 3)")
        }
        _ = try? await store.logInsight(scope: "acme/api", text: "cache is warm", importance: 0.4, supersedes: first)
        done.signal()
    }
    done.wait()
    for scope in ["acme", "acme/api", "acme/web"] {
        guard let value = try? store.withView("context", { try $0.get(Array(scope.utf8)) }) else { continue }
        _ = FileManager.default.createFile(atPath: directory + "/" + scope.replacingOccurrences(of: "/", with: "-") + ".bin", contents: Data(value))
    }
    return 0
}

@_cdecl("FuzzContextView_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    if let directory = ProcessInfo.processInfo.environment["COLONY_FUZZ_WRITE_SEEDS"] { return writeSeeds(to: directory) }
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, fuzzContextView)
}
