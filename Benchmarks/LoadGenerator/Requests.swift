/// JSON-RPC request lines built from pre-encoded pieces, so the hot loop only appends
/// bytes and the decimal digits of an integer.
enum Requests {
    static let protocolVersionDefault = "2025-11-25"

    static func initialize(id: Int, protocolVersion: String) -> [UInt8] {
        Array(("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
            + jsonString(protocolVersion)
            + ",\"capabilities\":{},\"clientInfo\":{\"name\":\"colony-load\",\"version\":\"1.0\"}}}\n").utf8)
    }

    static let initialized = Array("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n".utf8)

    /// `tools/call` of one tool: `head` + id + `mid[k]` (+ counter + `tail` for log_event).
    struct ToolCall {
        let head = Array("{\"jsonrpc\":\"2.0\",\"id\":".utf8)
        /// One per scope: everything from after the id up to the end of the line, or up to
        /// the event counter for log_event.
        let mids: [[UInt8]]
        /// After the counter (log_event only).
        let tail: [UInt8]?

        /// get_context of each scope in turn: `{"scope": S}`.
        static func getContext(scopes: [String]) -> ToolCall {
            ToolCall(mids: scopes.map {
                Array(",\"method\":\"tools/call\",\"params\":{\"name\":\"get_context\",\"arguments\":{\"scope\":\(jsonString($0))}}}\n".utf8)
            }, tail: nil)
        }

        /// log_event to each scope in turn: `{"scope": S, "text": "bench event <id>"}`.
        static func logEvent(scopes: [String]) -> ToolCall {
            ToolCall(mids: scopes.map {
                Array(",\"method\":\"tools/call\",\"params\":{\"name\":\"log_event\",\"arguments\":{\"scope\":\(jsonString($0)),\"text\":\"bench event ".utf8)
            }, tail: Array("\"}}}\n".utf8))
        }

        /// Appends request `index` (0-based within its phase) with JSON-RPC id `id`.
        @inline(__always)
        func append(to out: inout [UInt8], id: Int, index: Int) {
            out.append(contentsOf: head)
            appendDecimal(id, to: &out)
            out.append(contentsOf: mids[index % mids.count])
            if let tail {
                appendDecimal(id, to: &out) // ids are unique across phases, so event texts are too
                out.append(contentsOf: tail)
            }
        }
    }

    @inline(__always)
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        precondition(value >= 0)
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[19 - count] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                count += 1
            } while v > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[(20 - count)...]))
        }
    }
}
