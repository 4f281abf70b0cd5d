import ColonyStore
import Foundation

// Compiled together with Sources/ColonyContext (linked in as ./ColonyContext), so the
// view's internal decoder and renderer are reachable.

/// Feeds arbitrary bytes as a scope's stored context (format 3: a head value and a body
/// value; the input's first two bytes, little-endian, say how many of the rest are the head,
/// and the remainder is the body, absent when empty). What must hold:
/// - `ScopeState.decode` returns a state or throws; a state it returns encodes to a head and
///   body that decode to a state encoding the same bytes again;
/// - `ContextRenderer.render` returns a document or throws, and never crashes or reads
///   outside the values.
///
/// Not checked: that the rendered JSON is valid. View values hold pre-rendered JSON
/// fragments without a checksum, so a flipped byte inside one renders as malformed
/// JSON (the first run found this in seconds; docs/testing.md). `colony verify` finds
/// such a value (the view differs from a rebuild); `get_context` serves it as stored.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzContextView(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard input.count >= 2 else { return 0 }
    let split = min(Int(input[0]) | Int(input[1]) << 8, input.count - 2)
    let head = Array(input[2..<(2 + split)])
    let body: [UInt8]? = 2 + split < input.count ? Array(input[(2 + split)...]) : nil
    let scope = Array("acme/api".utf8)[...]
    if let state = try? ScopeState.decode(head: head, body: body, scope: scope) {
        let encoded = (state.encodeHead(limit: 255), state.encodeBody(limit: 255))
        guard let again = try? ScopeState.decode(head: encoded.0, body: encoded.1, scope: scope) else {
            preconditionFailure("a decoded view value re-encodes to bytes that do not decode")
        }
        precondition(again.encodeHead(limit: 255) == encoded.0 && again.encodeBody(limit: 255) == encoded.1,
                     "encode/decode is not stable")
    }
    var queries = [ContextQuery()]
    var small = ContextQuery()
    small.maxEvents = 1
    small.maxInsights = 0
    small.maxBytes = 4096
    small.sincePosition = 2
    queries.append(small)
    for query in queries {
        let document = head.withUnsafeBytes { h in
            guard let body else { return try? ContextRenderer.render(head: h, body: nil, scope: "acme/api", query: query) }
            return body.withUnsafeBytes { b in try? ContextRenderer.render(head: h, body: b, scope: "acme/api", query: query) }
        }
        if let document { precondition(document.json.count <= size + 4096, "rendered more than the values and the query's framing hold") }
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
        guard let head = try? store.withView("context", { try $0.get(Array(scope.utf8)) }) else { continue }
        let body = (try? store.withView("context", { try $0.get(Array(scope.utf8) + [0]) })) ?? nil
        var seed = [UInt8(head.count & 0xFF), UInt8(head.count >> 8)] + head
        seed += body ?? []
        _ = FileManager.default.createFile(atPath: directory + "/" + scope.replacingOccurrences(of: "/", with: "-") + ".bin", contents: Data(seed))
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
