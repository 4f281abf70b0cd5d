/// A parsed JSON value, as the protocol layer sees a message.
///
/// Objects keep their members in order as an array: MCP messages have a handful
/// of members, so a linear lookup beats hashing, and nothing is reordered.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// An integer that fits in 64 bits, written without fraction or exponent.
    case int(Int64)
    /// Any other number.
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.int(x), .double(y)), let (.double(y), .int(x)): return Double(x) == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The member named `key` of an object (the last one, if repeated), else nil.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for (k, v) in members.reversed() where k == key { return v }
        return nil
    }

    /// The JSON type name, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
}

// MARK: - Writing

extension JSONValue {
    /// Appends the value's compact JSON text.
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: JSONWriter.raw("null", to: &out)
        case .bool(let b): JSONWriter.raw(b ? "true" : "false", to: &out)
        case .int(let i): JSONWriter.int(i, to: &out)
        case .double(let d): JSONWriter.double(d, to: &out)
        case .string(let s): JSONWriter.string(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, v) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.string(k, to: &out)
                out.append(UInt8(ascii: ":"))
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// The value's compact JSON text.
    public var jsonBytes: [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    public var jsonText: String { String(decoding: jsonBytes, as: UTF8.self) }
}

/// Appends JSON tokens to a byte buffer.
public enum JSONWriter {
    @inline(__always)
    public static func raw(_ s: StaticString, to out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    public static func int(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 {
            out.append(UInt8(ascii: "-"))
            uint(v.magnitude, to: &out)
        } else {
            uint(UInt64(v), to: &out)
        }
    }

    public static func uint(_ v: UInt64, to out: inout [UInt8]) {
        if v < 10 { out.append(UInt8(ascii: "0") &+ UInt8(v)); return }
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes of scratch, no allocation
        var n = v
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            while n > 0 {
                buf[31 - count] = UInt8(ascii: "0") &+ UInt8(n % 10)
                n /= 10
                count += 1
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[(32 - count)...]))
        }
    }

    public static func double(_ d: Double, to out: inout [UInt8]) {
        guard d.isFinite else { raw("null", to: &out); return }
        if d == d.rounded(), abs(d) < 9.0e15 { int(Int64(d), to: &out); return }
        out.append(contentsOf: "\(d)".utf8)
    }

    /// Appends `s` as a JSON string literal, escaping quotes, backslashes and control characters.
    public static func string(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { escaped(UnsafeRawBufferPointer($0), to: &out) }
    }

    /// Appends UTF-8 `bytes` as a JSON string literal.
    public static func escaped(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let table = JSONEscapes.table
        var plain = true
        for b in bytes where table[Int(b)] != 0 { plain = false; break }
        out.append(UInt8(ascii: "\""))
        if plain {
            out.append(contentsOf: bytes)
        } else {
            out.append(contentsOf: ByteWriter.build(capacity: 6 * bytes.count + 2) { $0.escaped(bytes) }.dropFirst().dropLast())
        }
        out.append(UInt8(ascii: "\""))
    }

    public static func escaped(_ bytes: [UInt8], to out: inout [UInt8]) {
        bytes.withUnsafeBytes { escaped($0, to: &out) }
    }
}
