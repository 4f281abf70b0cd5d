/// JSON-RPC 2.0 framing: what a message is, its error codes, and the bytes of answers.
public enum JSONRPC {
    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    /// MCP: a resource that does not exist.
    public static let resourceNotFound = -32002
    /// MCP 2026-07-28: the request's protocol version is not one this server speaks.
    public static let unsupportedProtocolVersion = -32022
    /// Colony: the write queue is full; retry after a short wait.
    public static let overloaded = -32001

    /// A request id as it arrived: its exact JSON text, echoed back unchanged.
    public struct ID: Sendable, Hashable, CustomStringConvertible {
        public let json: [UInt8]
        public static let null = ID(json: Array("null".utf8))
        public init(json: [UInt8]) { self.json = json }
        public init(_ value: Int64) { var b: [UInt8] = []; JSONWriter.int(value, to: &b); json = b }
        public init(_ value: String) { var b: [UInt8] = []; JSONWriter.string(value, to: &b); json = b }
        public var description: String { String(decoding: json, as: UTF8.self) }

        /// The id of a request: a string or an integer (JSON-RPC also allows null and fractions; MCP does not).
        init?(_ value: JSONValue) {
            switch value {
            case .string, .int: json = value.jsonBytes
            default: return nil
            }
        }
    }

    /// An error answer: a code, a message that says what was wrong, and optional data.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var code: Int
        public var message: String
        public var data: JSONValue?
        public init(_ code: Int, _ message: String, data: JSONValue? = nil) {
            self.code = code
            self.message = message
            self.data = data
        }
        public var description: String { "\(code): \(message)" }

        static func invalidParams(_ message: String) -> Failure { Failure(JSONRPC.invalidParams, message) }
    }

    /// `{"jsonrpc":"2.0","id":…,"result":` — the result's JSON follows, then `}`.
    static func resultPrefix(_ id: ID, to out: inout [UInt8]) {
        JSONWriter.raw("{\"jsonrpc\":\"2.0\",\"id\":", to: &out)
        out.append(contentsOf: id.json)
        JSONWriter.raw(",\"result\":", to: &out)
    }

    /// A whole result answer from the result's JSON bytes.
    public static func result(_ id: ID, json: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(json.count + 40)
        resultPrefix(id, to: &out)
        out.append(contentsOf: json)
        out.append(UInt8(ascii: "}"))
        return out
    }


    /// A whole result answer; for a 2026-07-28 request the result object also
    /// carries `resultType` and the server's identity in `_meta` (and, for
    /// `cacheable` results, `ttlMs` and `cacheScope`).
    static func result(_ id: ID, json: [UInt8], modern: Bool, cacheable: Bool = false) -> [UInt8] {
        guard modern else { return result(id, json: json) }
        var out: [UInt8] = []
        out.reserveCapacity(json.count + 160)
        resultPrefix(id, to: &out)
        appendModernResult(json, cacheable: cacheable, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Appends a result object with the 2026-07-28 members spliced in before its closing brace.
    static func appendModernResult(_ json: [UInt8], cacheable: Bool, to out: inout [UInt8]) {
        out.append(contentsOf: json.dropLast())
        if json.count > 2 { out.append(UInt8(ascii: ",")) } else { out.append(UInt8(ascii: " ")) }
        if cacheable { raw("\"ttlMs\":0,\"cacheScope\":\"private\",", to: &out) }
        out.append(contentsOf: modernTail.dropFirst())
    }

    /// What closes a 2026-07-28 result object: `,"resultType":"complete","_meta":{…serverInfo…}}`.
    static let modernTail: [UInt8] = Array(",\"resultType\":\"complete\",\"_meta\":{\"io.modelcontextprotocol/serverInfo\":{\"name\":\"colony\",\"version\":\"\(MCPServer.serverVersion)\"}}}".utf8)
    static var modernTailBound: Int { modernTail.count + 8 }

    @inline(__always) private static func raw(_ s: StaticString, to out: inout [UInt8]) { JSONWriter.raw(s, to: &out) }

    /// An error answer.
    public static func error(_ id: ID, _ failure: Failure) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.raw("{\"jsonrpc\":\"2.0\",\"id\":", to: &out)
        out.append(contentsOf: id.json)
        JSONWriter.raw(",\"error\":{\"code\":", to: &out)
        JSONWriter.int(Int64(failure.code), to: &out)
        JSONWriter.raw(",\"message\":", to: &out)
        JSONWriter.string(failure.message, to: &out)
        if let data = failure.data {
            JSONWriter.raw(",\"data\":", to: &out)
            data.write(to: &out)
        }
        JSONWriter.raw("}}", to: &out)
        return out
    }

    /// A notification (no id).
    public static func notification(_ method: String, params: JSONValue?) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.raw("{\"jsonrpc\":\"2.0\",\"method\":", to: &out)
        JSONWriter.string(method, to: &out)
        if let params {
            JSONWriter.raw(",\"params\":", to: &out)
            params.write(to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// One incoming JSON-RPC message, checked for shape.
struct RPCMessage {
    enum Kind {
        case request(JSONRPC.ID)
        case notification
        /// A response from the client (to a server request); this server sends none, so it is ignored.
        case response
    }

    var kind: Kind
    var method: String
    var params: JSONValue?

    /// Checks a parsed value against JSON-RPC 2.0; throws the answer's failure and the id to use.
    static func check(_ value: JSONValue) throws(RPCMessage.Invalid) -> RPCMessage {
        guard case .object = value else {
            if case .array = value {
                throw Invalid(id: .null, failure: .init(JSONRPC.invalidRequest, "batches are not supported: send one JSON-RPC object per message"))
            }
            throw Invalid(id: .null, failure: .init(JSONRPC.invalidRequest, "a JSON-RPC message must be an object, not \(value.typeName)"))
        }
        var id: JSONRPC.ID? = nil
        if let raw = value["id"] {
            guard let valid = JSONRPC.ID(raw) else {
                throw Invalid(id: .null, failure: .init(JSONRPC.invalidRequest, "\"id\" must be a string or an integer, not \(raw.typeName)"))
            }
            id = valid
        }
        guard value["jsonrpc"] == .string("2.0") else {
            throw Invalid(id: id ?? .null, failure: .init(JSONRPC.invalidRequest, "\"jsonrpc\" must be \"2.0\""))
        }
        guard let methodValue = value["method"] else {
            if value["result"] != nil || value["error"] != nil { return RPCMessage(kind: .response, method: "", params: nil) }
            throw Invalid(id: id ?? .null, failure: .init(JSONRPC.invalidRequest, "missing \"method\""))
        }
        guard case .string(let method) = methodValue else {
            throw Invalid(id: id ?? .null, failure: .init(JSONRPC.invalidRequest, "\"method\" must be a string, not \(methodValue.typeName)"))
        }
        let params = value["params"]
        if let params {
            switch params {
            case .object: break
            default:
                throw Invalid(id: id ?? .null, failure: .init(JSONRPC.invalidParams, "\"params\" must be an object, not \(params.typeName)"))
            }
        }
        return RPCMessage(kind: id.map { .request($0) } ?? .notification, method: method, params: params)
    }

    struct Invalid: Error {
        var id: JSONRPC.ID
        var failure: JSONRPC.Failure
    }
}
