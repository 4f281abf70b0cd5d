import ColonyContext
import ColonyStore
import Foundation

// Compiled together with Sources/ColonyMCP (linked in as ./ColonyMCP, without the HTTP transport).

let fuzzStore: ColonyStore = {
    let path = NSTemporaryDirectory() + "colony-fuzz-tools-\(getpid())"
    try? FileManager.default.removeItem(atPath: path)
    let store = try! Colony.open(at: path)
    let ready = DispatchSemaphore(value: 0)
    Task {
        _ = try? await store.logEvent(scope: "acme/api", text: "deployed v2")
        _ = try? await store.logInsight(scope: "acme/web", text: "blue-green", importance: 0.9)
        ready.signal()
    }
    ready.wait()
    atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "colony-fuzz-tools-\(getpid())") }
    return store
}()
let fuzzTools = ContextTools(store: fuzzStore, metrics: ServerMetrics())
let scopedGrant = try! ScopeGrant.under("acme/api")

/// Feeds arbitrary JSON as the `arguments` of every tool. What must hold:
/// - validation answers (accepts or refuses with a message); nothing crashes;
/// - a read that succeeds returns JSON that parses;
/// - a scoped grant lets through only calls whose scope lies inside it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzToolArguments(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let arguments = try? JSONParser.parse(UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
    for outcome in [fuzzTools.getContext(arguments), fuzzTools.getStats(arguments)] {
        if case .structured(let json, _) = outcome {
            precondition((try? JSONParser.parse(json)) != nil, "a tool answered with JSON that does not parse")
        }
    }
    if case .object = arguments, case .success(let json) = fuzzTools.contextJSON(arguments) {
        precondition((try? JSONParser.parse(json)) != nil, "GET /context answered with JSON that does not parse")
    }
    if let write = try? fuzzTools.checkLogEvent(arguments), case .event(let scope, let text, _, let data, _, _, _) = write {
        precondition(!scope.isEmpty || true)
        _ = text
        if let data { precondition((try? JSONParser.parse(data)) != nil, "log_event data is not JSON") }
    }
    _ = try? fuzzTools.checkLogInsight(arguments)
    for tool in ToolCatalog.names + ["no_such_tool"] {
        let refusal = ToolAccess.refusal(tool: tool, arguments: arguments, grant: scopedGrant, store: fuzzStore)
        guard refusal == nil else { continue }
        switch tool {
        case "get_context", "log_event", "log_insight", "start_export":
            if case .string(let scope)? = arguments["scope"] {
                precondition(scopedGrant.allows(scope), "\(tool) let a scoped grant use \(scope)")
            } else {
                precondition(tool != "start_export", "start_export without a scope passed a scoped grant")
            }
        case "get_ticket", "no_such_tool":
            break
        default:
            preconditionFailure("\(tool) passed a scoped grant")
        }
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzToolArguments_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    _ = fuzzTools
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, fuzzToolArguments)
}
