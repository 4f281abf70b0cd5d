/// Byte-level JSON writing and reading for the context view's fragments.
///
/// The context view stores pre-rendered JSON so a read is a few copies; these
/// helpers write that JSON and pick apart payloads (already validated by the
/// store) without a general-purpose parser.
enum JSONFragments {
    // MARK: Writing

    static func appendString(_ s: some Collection<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s {
            switch b {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(b)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func appendString(_ s: String, to out: inout [UInt8]) { appendString(s.utf8, to: &out) }

    static func appendRaw(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    static func appendUInt(_ v: UInt64, to out: inout [UInt8]) {
        if v == 0 { out.append(UInt8(ascii: "0")); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        var x = v
        withUnsafeMutableBytes(of: &digits) { d in
            while x > 0 { d[n] = UInt8(ascii: "0") + UInt8(x % 10); x /= 10; n += 1 }
            for i in stride(from: n - 1, through: 0, by: -1) { out.append(d[i]) }
        }
    }

    /// A number with at most 3 decimals, as importance is shown.
    static func appendImportance(_ v: Double, to out: inout [UInt8]) {
        let milli = UInt64((min(max(v, 0), 1) * 1000).rounded())
        appendUInt(milli / 1000, to: &out)
        let frac = milli % 1000
        if frac != 0 {
            out.append(UInt8(ascii: "."))
            var f = frac, width = 3
            while f % 10 == 0 { f /= 10; width -= 1 }
            var digits: [UInt8] = []
            for _ in 0..<width { digits.append(UInt8(ascii: "0") + UInt8(f % 10)); f /= 10 }
            out.append(contentsOf: digits.reversed())
        }
    }

    /// `"2026-11-21T12:34:56.789Z"` for microseconds since the epoch.
    static func appendTime(_ micros: Int64, to out: inout [UInt8]) {
        let millisTotal = micros >= 0 ? micros / 1000 : (micros - 999) / 1000
        var secs = millisTotal >= 0 ? millisTotal / 1000 : (millisTotal - 999) / 1000
        let millis = Int(millisTotal - secs * 1000)
        var days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
        secs -= days * 86_400
        // Civil from days (Howard Hinnant's algorithm).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        var year = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        if month <= 2 { year += 1 }
        func two(_ v: Int64) { out.append(UInt8(ascii: "0") + UInt8(v / 10)); out.append(UInt8(ascii: "0") + UInt8(v % 10)) }
        out.append(UInt8(ascii: "\""))
        let y = max(0, min(9999, year))
        two(y / 100); two(y % 100)
        out.append(UInt8(ascii: "-")); two(month)
        out.append(UInt8(ascii: "-")); two(day)
        out.append(UInt8(ascii: "T")); two(secs / 3600)
        out.append(UInt8(ascii: ":")); two((secs % 3600) / 60)
        out.append(UInt8(ascii: ":")); two(secs % 60)
        out.append(UInt8(ascii: "."))
        out.append(UInt8(ascii: "0") + UInt8(millis / 100))
        out.append(UInt8(ascii: "0") + UInt8((millis / 10) % 10))
        out.append(UInt8(ascii: "0") + UInt8(millis % 10))
        out.append(UInt8(ascii: "Z"))
        out.append(UInt8(ascii: "\""))
    }

    // MARK: Reading (input already validated as JSON)

    struct Member {
        var key: Range<Int>    // the key's bytes, without quotes, still escaped
        var value: Range<Int>  // the raw value
    }

    /// The top-level members of a JSON object, or `nil` if `json` is not an object.
    static func members(_ json: ArraySlice<UInt8>) -> [Member]? {
        var i = json.startIndex
        let end = json.endIndex
        func skipWS() { while i < end, json[i] == 0x20 || json[i] == 0x0A || json[i] == 0x0D || json[i] == 0x09 { i += 1 } }
        skipWS()
        guard i < end, json[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var out: [Member] = []
        while true {
            skipWS()
            guard i < end else { return out }
            if json[i] == UInt8(ascii: "}") { return out }
            if json[i] == UInt8(ascii: ",") { i += 1; skipWS() }
            guard i < end, json[i] == UInt8(ascii: "\"") else { return out }
            let keyStart = i + 1
            i = skipString(json, from: i)
            let key = keyStart..<(i - 1)
            skipWS()
            i += 1  // ':'
            skipWS()
            let valueStart = i
            i = skipValue(json, from: i)
            out.append(Member(key: key, value: valueStart..<i))
        }
    }

    /// Index after the string that starts at `from` (a quote).
    static func skipString(_ json: ArraySlice<UInt8>, from: Int) -> Int {
        var i = from + 1
        while i < json.endIndex {
            let b = json[i]
            if b == UInt8(ascii: "\\") { i += 2; continue }
            i += 1
            if b == UInt8(ascii: "\"") { return i }
        }
        return i
    }

    /// Index after the value that starts at `from`.
    static func skipValue(_ json: ArraySlice<UInt8>, from: Int) -> Int {
        var i = from
        var depth = 0
        while i < json.endIndex {
            let b = json[i]
            switch b {
            case UInt8(ascii: "\""):
                i = skipString(json, from: i)
                if depth == 0 { return i }
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { return i }
                depth -= 1
                if depth == 0 { return i + 1 }
            case UInt8(ascii: ","):
                if depth == 0 { return i }
            case 0x20, 0x0A, 0x0D, 0x09:
                if depth == 0 { return i }
            default: break
            }
            i += 1
        }
        return i
    }

    /// Decodes a JSON string value (with its quotes) into a `String`; `nil` if it is not a string.
    static func decodeString(_ raw: ArraySlice<UInt8>) -> String? {
        guard raw.count >= 2, raw.first == UInt8(ascii: "\""), raw.last == UInt8(ascii: "\"") else { return nil }
        let body = raw.dropFirst().dropLast()
        if !body.contains(UInt8(ascii: "\\")) { return String(decoding: body, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        var bytes: [UInt8] = []
        var i = body.startIndex
        func flush() {
            if !bytes.isEmpty { scalars.append(contentsOf: String(decoding: bytes, as: UTF8.self).unicodeScalars); bytes.removeAll() }
        }
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= body.endIndex else { return nil }
            var v: UInt32 = 0
            for b in body[at..<(at + 4)] {
                let d: UInt32
                switch b {
                case 0x30...0x39: d = UInt32(b - 0x30)
                case 0x41...0x46: d = UInt32(b - 0x41 + 10)
                case 0x61...0x66: d = UInt32(b - 0x61 + 10)
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }
        while i < body.endIndex {
            let b = body[i]
            guard b == UInt8(ascii: "\\"), i + 1 < body.endIndex else { bytes.append(b); i += 1; continue }
            let e = body[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "u"):
                flush()
                guard var v = hex4(i) else { return nil }
                i += 4
                if v >= 0xD800 && v < 0xDC00, i + 6 <= body.endIndex, body[i] == UInt8(ascii: "\\"),
                   body[i + 1] == UInt8(ascii: "u"), let lo = hex4(i + 2), lo >= 0xDC00 && lo < 0xE000 {
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                    i += 6
                }
                scalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            default: bytes.append(e)
            }
        }
        flush()
        return String(scalars)
    }

    /// Parses a JSON number value.
    static func decodeNumber(_ raw: ArraySlice<UInt8>) -> Double? {
        Double(String(decoding: raw, as: UTF8.self))
    }
}
