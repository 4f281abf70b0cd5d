/// A strict RFC 8259 parser from UTF-8 bytes to `JSONValue`.
///
/// Foundation's `JSONSerialization` costs tens of microseconds per message;
/// this parser works on the bytes directly, validates UTF-8, bounds nesting and
/// reports where and why input is not JSON.
///
/// ```swift
/// let v = try JSONParser.parse(Array(#"{"id":1,"method":"ping"}"#.utf8))
/// v["method"]  // .string("ping")
/// ```
public struct JSONParser {
    /// Why the input is not acceptable JSON, and at which byte.
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        public var reason: String
        public var offset: Int
        public var description: String { "\(reason) at byte \(offset)" }
    }

    public static let defaultMaxDepth = 64

    /// Parses exactly one JSON value (surrounding whitespace allowed).
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth) throws(Failure) -> JSONValue {
        var p = JSONParser(bytes: bytes, maxDepth: maxDepth)
        p.skipWhitespace()
        let v = try p.value(depth: 0)
        p.skipWhitespace()
        if p.index != bytes.count { throw Failure(reason: "unexpected data after the JSON value", offset: p.index) }
        return v
    }

    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(Failure) -> JSONValue {
        let r: Result<JSONValue, Failure> = bytes.withUnsafeBytes { raw in
            do throws(Failure) { return .success(try parse(raw, maxDepth: maxDepth)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    public static func parse(_ text: String) throws(Failure) -> JSONValue { try parse(Array(text.utf8)) }

    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    var index = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    @inline(__always) mutating func skipWhitespace() {
        while index < bytes.count {
            let b = bytes[index]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            index += 1
        }
    }

    mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard index < bytes.count else { throw Failure(reason: "unexpected end of input", offset: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case let b:
            if b >= 0x80 { throw Failure(reason: "unexpected non-ASCII byte 0x\(String(b, radix: 16)) outside a string", offset: index) }
            throw Failure(reason: "unexpected character '\(Character(Unicode.Scalar(b)))'", offset: index)
        }
    }

    mutating func object(depth: Int) throws(Failure) -> JSONValue {
        if depth > maxDepth { throw Failure(reason: "nesting deeper than \(maxDepth) levels", offset: index) }
        index += 1
        var members: [(String, JSONValue)] = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw Failure(reason: "expected a member name in quotes", offset: index)
            }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw Failure(reason: "expected ':' after a member name", offset: index) }
            index += 1
            skipWhitespace()
            members.append((key, try value(depth: depth)))
            skipWhitespace()
            guard index < bytes.count else { throw Failure(reason: "unterminated object", offset: index) }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw Failure(reason: "expected ',' or '}' in an object", offset: index)
        }
    }

    mutating func array(depth: Int) throws(Failure) -> JSONValue {
        if depth > maxDepth { throw Failure(reason: "nesting deeper than \(maxDepth) levels", offset: index) }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw Failure(reason: "unterminated array", offset: index) }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw Failure(reason: "expected ',' or ']' in an array", offset: index)
        }
    }

    mutating func literal(_ word: StaticString) throws(Failure) {
        let n = word.utf8CodeUnitCount
        guard index + n <= bytes.count else { throw Failure(reason: "unexpected end of input", offset: index) }
        let ok = word.withUTF8Buffer { w in
            for i in 0..<n where bytes[index + i] != w[i] { return false }
            return true
        }
        guard ok else { throw Failure(reason: "invalid literal", offset: index) }
        index += n
    }

    mutating func number() throws(Failure) -> JSONValue {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw Failure(reason: "expected a digit", offset: index) }
        var magnitude: UInt64 = 0
        var overflow = false
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count && isDigit(bytes[index]) { throw Failure(reason: "leading zero in a number", offset: index) }
        } else {
            while index < bytes.count && isDigit(bytes[index]) {
                let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
                overflow = overflow || o1 || o2
                magnitude = m2
                index += 1
            }
        }
        var integral = true
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw Failure(reason: "expected a digit after '.'", offset: index) }
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            integral = false
            index += 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw Failure(reason: "expected a digit in the exponent", offset: index) }
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        }
        if integral && !overflow {
            if !negative && magnitude <= UInt64(Int64.max) { return .int(Int64(magnitude)) }
            if negative && magnitude <= UInt64(Int64.max) + 1 { return .int(magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)) }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        // Double("1e400") is +infinity, which JSON cannot write back: refuse it rather than
        // let the writer turn it into null (a log_event `data` would be stored changed).
        guard let d = Double(text), d.isFinite else { throw Failure(reason: "number out of range", offset: start) }
        return .double(d)
    }

    @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// Reads a string literal at `index` (which holds the opening quote).
    mutating func string() throws(Failure) -> String {
        let start = index
        index += 1
        let contentStart = index
        var ascii = true
        var escapes = false
        while true {
            guard index < bytes.count else { throw Failure(reason: "unterminated string", offset: start) }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") { break }
            if b < 0x20 { throw Failure(reason: "unescaped control character 0x\(String(b, radix: 16)) in a string", offset: index) }
            if b == UInt8(ascii: "\\") {
                escapes = true
                index += 2
                continue
            }
            if b >= 0x80 { ascii = false }
            index += 1
        }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[contentStart..<index])
        index += 1
        if !escapes {
            if ascii { return String(decoding: raw, as: UTF8.self) }
            guard let s = String(validating: raw, as: UTF8.self) else { throw invalidUTF8(in: raw, base: contentStart) }
            return s
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            let b = raw[i]
            guard b == UInt8(ascii: "\\") else { decoded.append(b); i += 1; continue }
            guard i + 1 < raw.count else { throw Failure(reason: "unterminated escape", offset: contentStart + i) }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""): decoded.append(0x22)
            case UInt8(ascii: "\\"): decoded.append(0x5C)
            case UInt8(ascii: "/"): decoded.append(0x2F)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(raw, at: i, base: contentStart)
                i += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 6 <= raw.count, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u") else {
                        throw Failure(reason: "unpaired surrogate \\u\(String(scalar, radix: 16))", offset: contentStart + i)
                    }
                    let low = try hex4(raw, at: i + 2, base: contentStart)
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw Failure(reason: "unpaired surrogate \\u\(String(scalar, radix: 16))", offset: contentStart + i)
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw Failure(reason: "unpaired surrogate \\u\(String(scalar, radix: 16))", offset: contentStart + i - 6)
                }
                let u = Unicode.Scalar(scalar)!
                decoded.append(contentsOf: UTF8.encode(u)!)
            default:
                throw Failure(reason: "invalid escape '\\\(Character(Unicode.Scalar(e)))'", offset: contentStart + i - 2)
            }
        }
        guard let s = String(validating: decoded, as: UTF8.self) else { throw invalidUTF8(in: raw, base: contentStart) }
        return s
    }

    func hex4(_ raw: UnsafeRawBufferPointer, at i: Int, base: Int) throws(Failure) -> UInt32 {
        guard i + 4 <= raw.count else { throw Failure(reason: "truncated \\u escape", offset: base + i) }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = raw[i + k]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw Failure(reason: "invalid hex digit in \\u escape", offset: base + i + k)
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// Finds the first byte where `raw` stops being UTF-8, for the error.
    func invalidUTF8(in raw: UnsafeRawBufferPointer, base: Int) -> Failure {
        var offset = 0
        var decoder = UTF8()
        var it = raw.makeIterator()
        var consumed = 0
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): consumed += UTF8.width(s)
            case .emptyInput: break loop
            case .error: offset = consumed; break loop
            }
        }
        return Failure(reason: "invalid UTF-8 in a string", offset: base + offset)
    }
}
