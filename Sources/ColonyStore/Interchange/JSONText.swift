/// Byte-level JSON writing and reading over input already validated by
/// `JSONValidator`: the NDJSON interchange format here, and the context view's
/// fragments in ColonyContext (hence `package`).
package enum JSONText {
    // MARK: Writing

    @usableFromInline static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `bytes` (UTF-8) as a JSON string, escaping what JSON requires.
    @inlinable
    package static func appendString(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let done: Void? = bytes.withContiguousStorageIfAvailable { appendEscaped(UnsafeRawBufferPointer($0), to: &out) }
        if done == nil { Array(bytes).withUnsafeBytes { appendEscaped($0, to: &out) } }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `bytes` escaped for the inside of a JSON string: runs that need no escape are
    /// copied whole (the byte-at-a-time loop this replaces went through a protocol witness
    /// per byte and was a sixth of a rebuild's time).
    @usableFromInline
    static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let n = bytes.count
        var run = 0
        var i = 0
        while i < n {
            let b = bytes[i]
            if b >= 0x20 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") && b != 0x7F {
                i += 1
                continue
            }
            if run < i { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[run..<i])) }
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(b)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            default:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            }
            i += 1
            run = i
        }
        if run < n { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[run..<n])) }
    }

    /// Appends `value` in decimal.
    static func appendInteger<T: BinaryInteger>(_ value: T, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var v = UInt64(value.magnitude)
        let start = out.count
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        } while v > 0
        out[start...].reverse()
    }

    @inline(__always) static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
    }

    // MARK: Reading (input already validated)

    /// One member of an object: its key decoded, its value as raw bytes.
    struct Member {
        var key: [UInt8]
        var value: Range<Int>
    }

    /// The members of the JSON object `json` holds, in order; `nil` if it is not an object.
    static func members(_ json: ArraySlice<UInt8>) -> [Member]? {
        var i = json.startIndex
        let end = json.endIndex
        func skipWhitespace() { while i < end, isWhitespace(json[i]) { i += 1 } }
        skipWhitespace()
        guard i < end, json[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var out: [Member] = []
        while true {
            skipWhitespace()
            guard i < end, json[i] != UInt8(ascii: "}") else { return out }
            if json[i] == UInt8(ascii: ",") { i += 1; skipWhitespace() }
            guard i < end, json[i] == UInt8(ascii: "\"") else { return out }
            let keyStart = i
            i = skipString(json, from: i)
            let key = decodeString(json[keyStart..<i]) ?? []
            skipWhitespace()
            i += 1  // ':'
            skipWhitespace()
            let valueStart = i
            i = skipValue(json, from: i)
            out.append(Member(key: key, value: valueStart..<i))
        }
    }

    /// The index after the string that starts (with its quote) at `from`. Runs of eight
    /// bytes holding neither a quote nor a backslash are skipped a word at a time: this
    /// scan is most of the work of reading a payload's members (rendering a context, rebuilds).
    @inlinable
    package static func skipString(_ json: ArraySlice<UInt8>, from: Int) -> Int {
        let start = json.startIndex
        return json.withUnsafeBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress else { return from + 1 }
            let n = buffer.count
            var i = from + 1 - start
            while i < n {
                while i + 8 <= n && !holdsQuoteOrBackslash(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) {
                    i += 8
                }
                guard i < n else { break }
                let b = base[i]
                if b == UInt8(ascii: "\\") { i += 2; continue }
                i += 1
                if b == UInt8(ascii: "\"") { return i + start }
            }
            return i + start
        }
    }

    /// Whether any byte of `word` is a quote or a backslash: the classic test for a zero
    /// byte, `(x - 0x01…) & ~x & 0x80…`, on the word XORed with each; nonzero exactly when
    /// some byte is zero.
    @inlinable @inline(__always)
    package static func holdsQuoteOrBackslash(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ 0x2222_2222_2222_2222, backslash = word ^ 0x5C5C_5C5C_5C5C_5C5C
        return ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash) & highs != 0
    }

    /// The index after the value that starts at `from`.
    @inlinable
    package static func skipValue(_ json: ArraySlice<UInt8>, from: Int) -> Int {
        var i = from
        var depth = 0
        while i < json.endIndex {
            switch json[i] {
            case UInt8(ascii: "\""):
                i = skipString(json, from: i)
                if depth == 0 { return i }
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { return i }
                depth -= 1
                if depth == 0 { return i + 1 }
            case UInt8(ascii: ","), 0x20, 0x0A, 0x0D, 0x09:
                if depth == 0 { return i }
            default:
                break
            }
            i += 1
        }
        return i
    }

    /// The UTF-8 bytes of a JSON string value (with its quotes), or `nil` if
    /// `raw` is not a string or an escape encodes an unpaired surrogate (with
    /// `replacingUnpairedSurrogates`, such an escape becomes U+FFFD instead).
    @inlinable
    package static func decodeString(_ raw: ArraySlice<UInt8>, replacingUnpairedSurrogates: Bool = false) -> [UInt8]? {
        guard raw.count >= 2, raw.first == UInt8(ascii: "\""), raw.last == UInt8(ascii: "\"") else { return nil }
        let body = raw.dropFirst().dropLast()
        if !body.contains(UInt8(ascii: "\\")) { return Array(body) }
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var i = body.startIndex
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= body.endIndex else { return nil }
            var v: UInt32 = 0
            for b in body[at..<(at + 4)] {
                switch b {
                case 0x30...0x39: v = v << 4 | UInt32(b - 0x30)
                case 0x41...0x46: v = v << 4 | UInt32(b - 0x41 + 10)
                case 0x61...0x66: v = v << 4 | UInt32(b - 0x61 + 10)
                default: return nil
                }
            }
            return v
        }
        while i < body.endIndex {
            let b = body[i]
            guard b == UInt8(ascii: "\\"), i + 1 < body.endIndex else { out.append(b); i += 1; continue }
            let e = body[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard var v = hex4(i) else { return nil }
                i += 4
                if v >= 0xD800 && v < 0xDC00, i + 6 <= body.endIndex, body[i] == UInt8(ascii: "\\"),
                   body[i + 1] == UInt8(ascii: "u"), let low = hex4(i + 2), low >= 0xDC00 && low < 0xE000 {
                    v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                guard let scalar = Unicode.Scalar(v) else {
                    // A surrogate left unpaired.
                    guard replacingUnpairedSurrogates else { return nil }
                    out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                    continue
                }
                out.append(contentsOf: String(Character(scalar)).utf8)
            default:
                out.append(e)  // '"', '\\' and '/'
            }
        }
        return out
    }

    /// A JSON integer (no fraction or exponent) that fits in `Int64`, or `nil`.
    static func decodeInteger(_ raw: ArraySlice<UInt8>) -> Int64? {
        var i = raw.startIndex
        var negative = false
        if i < raw.endIndex, raw[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < raw.endIndex else { return nil }
        var magnitude: UInt64 = 0
        while i < raw.endIndex {
            let b = raw[i]
            guard b >= 0x30 && b <= 0x39 else { return nil }
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(b - 0x30))
            guard !o1, !o2 else { return nil }
            magnitude = s
            i += 1
        }
        if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }
}
