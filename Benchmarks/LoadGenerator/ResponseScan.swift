import Glibc
import MCPLoadShim

/// What the load generator needs from one JSON-RPC line, found without a JSON parser.
struct ResponseScan {
    /// The top-level integer `"id"`, if any.
    var id: Int?
    /// Top-level `"result"` / `"error"` / `"method"` members (a line with `method` is a
    /// notification or request from the server, not an answer).
    var hasResult = false, hasError = false, hasMethod = false

    /// Scans the members of the top-level object only. Inside strings a quote is always
    /// escaped, so `"id":` can match only a real key; nested objects (a result that carries
    /// its own `"id"` fields) are skipped by depth. Stops as soon as it has the id and knows
    /// whether it is a result, so the usual `{"jsonrpc":"2.0","id":7,"result":{…}}` costs
    /// a few dozen bytes however large the result.
    init(_ line: UnsafeRawBufferPointer) {
        let n = line.count
        var i = 0
        var depth = 0
        while i < n {
            let c = line[i]
            switch c {
            case UInt8(ascii: "\""):
                if depth == 1 {
                    if ResponseScan.matches(line, at: i, "\"id\":") {
                        i += 5
                        while i < n && line[i] == UInt8(ascii: " ") { i += 1 }
                        var value = 0, digits = 0
                        while i < n, line[i] >= UInt8(ascii: "0"), line[i] <= UInt8(ascii: "9") {
                            value = value &* 10 &+ Int(line[i] &- UInt8(ascii: "0")); i += 1; digits += 1
                        }
                        if digits > 0 { id = value }
                        if id != nil && (hasResult || hasError) { return }
                        continue
                    }
                    if ResponseScan.matches(line, at: i, "\"result\":") {
                        hasResult = true
                        if id != nil { return }
                    } else if ResponseScan.matches(line, at: i, "\"error\":") {
                        hasError = true
                        if id != nil { return }
                    } else if ResponseScan.matches(line, at: i, "\"method\":") {
                        hasMethod = true
                    }
                }
                i = ResponseScan.skipString(line, from: i)
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
            i += 1
        }
    }

    /// Whether a tool result says it failed (`"isError": true`, any spacing). memmem finds the
    /// key at memory speed; JSON escapes quotes inside strings, so text cannot fake it.
    static func isToolError(_ line: UnsafeRawBufferPointer) -> Bool {
        isErrorKey.withUnsafeBytes { key in
            var from = 0
            while from < line.count {
                guard let hit = mcp_load_find(line.baseAddress! + from, line.count - from, key.baseAddress, key.count) else { return false }
                var i = line.baseAddress!.distance(to: UnsafeRawPointer(hit)) + key.count
                while i < line.count && (line[i] == UInt8(ascii: " ") || line[i] == UInt8(ascii: ":")) { i += 1 }
                if i < line.count && line[i] == UInt8(ascii: "t") { return true }
                from = i
            }
            return false
        }
    }

    private static let isErrorKey = Array("\"isError\"".utf8)

    @inline(__always)
    private static func matches(_ line: UnsafeRawBufferPointer, at i: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i + count <= line.count else { return false }
        return memcmp(line.baseAddress! + i, literal.utf8Start, count) == 0
    }

    /// The index just past the string that starts at `i` (an opening quote).
    @inline(__always)
    private static func skipString(_ line: UnsafeRawBufferPointer, from start: Int) -> Int {
        var i = start + 1
        while i < line.count {
            switch line[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            default: i += 1
            }
        }
        return i
    }
}
