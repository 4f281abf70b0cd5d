import MCPLoadShim

/// MCP `tools/call` requests over Streamable HTTP, stateless (protocol 2026-07-28: no session,
/// the version in a header and in `_meta`), as an agent's client sends them to `colony serve --http`.
enum MCPHTTP {
    static let protocolVersion = "2026-07-28"

    /// The whole HTTP request for `tools/call` of `tool` with `arguments` (a JSON object's text).
    static func toolCall(host: String, id: Int, tool: String, arguments: String) -> [UInt8] {
        let body = "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"tools/call\",\"params\":{\"name\":\(jsonString(tool)),"
            + "\"arguments\":\(arguments),\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"\(protocolVersion)\","
            + "\"io.modelcontextprotocol/clientCapabilities\":{}}}}"
        return HTTPHead.request(method: "POST", path: "/mcp", host: host,
                                headers: ["Content-Type: application/json", "Accept: application/json, text/event-stream",
                                          "MCP-Protocol-Version: \(protocolVersion)"],
                                body: Array(body.utf8))
    }

    /// nil if a tools/call answer succeeded, else its error class: "http_NNN" (a non-2xx status),
    /// "shed" (a low-priority event dropped under load), "overloaded" (the write queue stayed
    /// full), "rpc_error" (another JSON-RPC error), "tool_error" (a result with isError: bad
    /// arguments, an unknown task…). Colony reports overload and shedding of a tool call as a
    /// tool result with isError and the store's words ("write queue full …", "… shed under
    /// load …", both marked retryable), and as JSON-RPC -32001 elsewhere: both count here.
    static func judge(status: Int, body: UnsafeRawBufferPointer) -> String? {
        guard (200..<300).contains(status) else { return "http_\(status)" }
        let rpcError = contains(body, errorKey) && !contains(body, resultKey)
        let toolError = !rpcError && ResponseScan.isToolError(body)
        guard rpcError || toolError else { return nil }
        if contains(body, shedWords) { return "shed" }
        if contains(body, overloadedCode) || contains(body, queueFullWords) { return "overloaded" }
        return rpcError ? "rpc_error" : "tool_error"
    }

    static func contains(_ body: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard body.count >= needle.count, let base = body.baseAddress else { return false }
        return needle.withUnsafeBytes { mcp_load_find(base, body.count, $0.baseAddress, $0.count) != nil }
    }

    private static let overloadedCode = Array("\"code\":-32001".utf8)
    private static let shedWords = Array("shed under load".utf8)
    private static let queueFullWords = Array("write queue full".utf8)
    private static let errorKey = Array("\"error\":{".utf8)
    private static let resultKey = Array("\"result\":".utf8)
}

/// Open-loop MCP tool calls whose kind and arguments are a function of the request index
/// alone (so a run is reproducible and requests never sent can still be classified).
final class ToolCallSource: TrafficSource {
    /// What request `index` is: its kind (an index into `kinds`), tool name and arguments.
    typealias Plan = (Int) -> (kind: Int, tool: String, arguments: String)

    let kinds: [String]
    private let host: String
    private let plan: Plan
    /// Called with the index of every request that succeeded.
    private let onSuccess: ((Int) -> Void)?

    init(host: String, kinds: [String], plan: @escaping Plan, onSuccess: ((Int) -> Void)? = nil) {
        self.host = host
        self.kinds = kinds
        self.plan = plan
        self.onSuccess = onSuccess
    }

    func request(index: Int, connection: Int, into out: inout [UInt8]) -> Int {
        let p = plan(index)
        out.append(contentsOf: MCPHTTP.toolCall(host: host, id: index + 1, tool: p.tool, arguments: p.arguments))
        return p.kind
    }

    func judge(index: Int, connection: Int, kind: Int, status: Int, body: UnsafeRawBufferPointer) -> String? {
        let verdict = MCPHTTP.judge(status: status, body: body)
        if verdict == nil { onSuccess?(index) }
        return verdict
    }
}
