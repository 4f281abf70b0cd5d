/// A strict RFC 8259 JSON validator over bytes, with a depth limit and UTF-8
/// validation, that allocates nothing.
///
/// The log stores payloads as the caller's exact bytes; this is the gate that
/// keeps anything that is not JSON out of it.
///
/// ```swift
/// try JSONValidator.validate(Array(#"{"a":[1,2]}"#.utf8))   // passes
/// try JSONValidator.validate(Array("{".utf8))               // throws at byte 1
/// ```
public struct JSONValidator {
    /// Why validation failed, and at which byte.
    public struct Failure: Error, Equatable, Sendable {
        /// What was wrong.
        public var reason: String
        /// The byte at which it was found.
        public var offset: Int
    }

    /// Deepest nesting of arrays and objects accepted.
    public static let defaultMaxDepth = 64

    /// Checks that `bytes` hold exactly one JSON value (surrounding whitespace allowed).
    public static func validate(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth) throws(Failure) {
        var v = JSONValidator(bytes: bytes, maxDepth: maxDepth)
        v.skipWhitespace()
        try v.value(depth: 0)
        v.skipWhitespace()
        if v.index != bytes.count { throw Failure(reason: "unexpected data after the JSON value", offset: v.index) }
    }

    /// Checks that `bytes` hold exactly one JSON value.
    public static func validate(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(Failure) {
        let result: Failure? = bytes.withUnsafeBytes { raw in
            do throws(Failure) { try validate(raw, maxDepth: maxDepth); return nil } catch { return error }
        }
        if let result { throw result }
    }

    /// Checks that `bytes` hold one JSON object.
    public static func validateObject(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(Failure) {
        try validate(bytes, maxDepth: maxDepth)
        let first = bytes.first { !JSONValidator.isWhitespace($0) }
        if first != UInt8(ascii: "{") { throw Failure(reason: "expected a JSON object", offset: 0) }
    }

    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    var index = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    @inline(__always) static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
    }

    @inline(__always) mutating func skipWhitespace() {
        while index < bytes.count && JSONValidator.isWhitespace(bytes[index]) { index += 1 }
    }

    @inline(__always) func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func value(depth: Int) throws(Failure) {
        guard let b = peek() else { throw Failure(reason: "unexpected end of input", offset: index) }
        switch b {
        case UInt8(ascii: "{"): try object(depth: depth + 1)
        case UInt8(ascii: "["): try array(depth: depth + 1)
        case UInt8(ascii: "\""): try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        default: throw Failure(reason: "unexpected character '\(Character(Unicode.Scalar(b)))'", offset: index)
        }
    }

    mutating func object(depth: Int) throws(Failure) {
        if depth > maxDepth { throw Failure(reason: "nesting deeper than \(maxDepth)", offset: index) }
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { index += 1; return }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw Failure(reason: "expected a string key", offset: index) }
            try string()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw Failure(reason: "expected ':' after key", offset: index) }
            index += 1
            skipWhitespace()
            try value(depth: depth)
            skipWhitespace()
            guard let b = peek() else { throw Failure(reason: "unterminated object", offset: index) }
            index += 1
            if b == UInt8(ascii: "}") { return }
            if b != UInt8(ascii: ",") { throw Failure(reason: "expected ',' or '}' in object", offset: index - 1) }
        }
    }

    mutating func array(depth: Int) throws(Failure) {
        if depth > maxDepth { throw Failure(reason: "nesting deeper than \(maxDepth)", offset: index) }
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { index += 1; return }
        while true {
            skipWhitespace()
            try value(depth: depth)
            skipWhitespace()
            guard let b = peek() else { throw Failure(reason: "unterminated array", offset: index) }
            index += 1
            if b == UInt8(ascii: "]") { return }
            if b != UInt8(ascii: ",") { throw Failure(reason: "expected ',' or ']' in array", offset: index - 1) }
        }
    }

    mutating func literal(_ word: StaticString) throws(Failure) {
        let n = word.utf8CodeUnitCount
        guard index + n <= bytes.count else { throw Failure(reason: "invalid literal", offset: index) }
        for i in 0..<n where bytes[index + i] != word.utf8Start[i] {
            throw Failure(reason: "invalid literal", offset: index + i)
        }
        index += n
    }

    mutating func number() throws(Failure) {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), first >= 0x30 && first <= 0x39 else {
            throw Failure(reason: "invalid number", offset: start)
        }
        if first == 0x30 {
            index += 1
        } else {
            while let d = peek(), d >= 0x30 && d <= 0x39 { index += 1 }
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard let d = peek(), d >= 0x30 && d <= 0x39 else { throw Failure(reason: "invalid number: digit expected after '.'", offset: index) }
            while let d = peek(), d >= 0x30 && d <= 0x39 { index += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard let d = peek(), d >= 0x30 && d <= 0x39 else { throw Failure(reason: "invalid number: digit expected in exponent", offset: index) }
            while let d = peek(), d >= 0x30 && d <= 0x39 { index += 1 }
        }
    }

    mutating func string() throws(Failure) {
        let start = index
        index += 1
        while index < bytes.count {
            // Eight plain bytes at a time: a payload's text is mostly ASCII that needs no look.
            while index + 8 <= bytes.count, JSONValidator.plain(bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                index += 8
            }
            guard index < bytes.count else { break }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") { index += 1; return }
            if b == UInt8(ascii: "\\") {
                index += 1
                guard let e = peek() else { break }
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    guard index + 4 < bytes.count else { throw Failure(reason: "truncated \\u escape", offset: index) }
                    for i in 1...4 where !JSONValidator.isHex(bytes[index + i]) {
                        throw Failure(reason: "invalid \\u escape", offset: index + i)
                    }
                    index += 5
                default:
                    throw Failure(reason: "invalid escape '\\\(Character(Unicode.Scalar(e)))'", offset: index)
                }
                continue
            }
            if b < 0x20 { throw Failure(reason: "control character in string", offset: index) }
            if b < 0x80 { index += 1; continue }
            try utf8Sequence()
        }
        throw Failure(reason: "unterminated string", offset: start)
    }

    /// Whether none of the eight bytes in `x` ends a string, starts an escape or needs a closer
    /// look: none is `"` or `\` (`JSONText.holdsQuoteOrBackslash`, which the skipping reader
    /// uses), a control character (below 0x20) or a byte of a multi-byte UTF-8 sequence (0x80
    /// and above). The control test is the "has a byte less than n" bit trick, which sets the
    /// high bit of some byte exactly when such a byte exists if every byte is below 0x80, the
    /// only case that passes.
    @inline(__always) static func plain(_ x: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let hasControl = (x &- ones &* 0x20) & ~x
        return (x | hasControl) & (ones &* 0x80) == 0 && !JSONText.holdsQuoteOrBackslash(x)
    }

    @inline(__always) static func isHex(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }

    /// Validates one multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates).
    mutating func utf8Sequence() throws(Failure) {
        let b0 = bytes[index]
        var need = 0
        var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED: need = 2; upper = 0x9F
        case 0xF0: need = 3; lower = 0x90
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; upper = 0x8F
        default: throw Failure(reason: "invalid UTF-8", offset: index)
        }
        guard index + need < bytes.count else { throw Failure(reason: "truncated UTF-8 sequence", offset: index) }
        let b1 = bytes[index + 1]
        guard b1 >= lower && b1 <= upper else { throw Failure(reason: "invalid UTF-8", offset: index + 1) }
        for i in 2..<(need + 1) where bytes[index + i] & 0xC0 != 0x80 {
            throw Failure(reason: "invalid UTF-8", offset: index + i)
        }
        index += need + 1
    }
}
