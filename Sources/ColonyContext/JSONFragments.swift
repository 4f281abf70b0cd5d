import ColonyStore

/// Byte-level JSON writing and reading for the context view's fragments.
///
/// The context view stores pre-rendered JSON so a read is a few copies; these
/// helpers write that JSON and pick apart payloads (already validated by the
/// store) without a general-purpose parser.
enum JSONFragments {
    // MARK: Writing

    static func appendString(_ s: some Collection<UInt8>, to out: inout [UInt8]) { JSONText.appendString(s, to: &out) }

    static func appendString(_ s: String, to out: inout [UInt8]) { appendString(s.utf8, to: &out) }

    static func appendRaw(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    static func appendUInt(_ v: UInt64, to out: inout [UInt8]) {
        // Digits are written right to left into a stack buffer, then appended in one call:
        // an `append` per digit checks the array's uniqueness and capacity every time.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes; UInt64.max has 20 digits
        withUnsafeMutableBytes(of: &digits) { d in
            var start = d.count
            var x = v
            repeat {
                start -= 1
                d[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: x % 10)
                x /= 10
            } while x > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[start...]))
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

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z in microseconds since the epoch.
    static let minimumMicroseconds: Int64 = -62_135_596_800_000_000
    static let maximumMicroseconds: Int64 = 253_402_300_799_999_999

    /// `"2026-11-21T12:34:56.789Z"` for microseconds since the epoch.
    /// Times outside years 0001–9999 (an event appended or imported with any `Int64`
    /// time, or a damaged view value) are shown as the nearest end of that range: the
    /// arithmetic below would overflow near `Int64.min` (found by FuzzContextView; an
    /// import with `time_us` -9223372036854775808 crashed `colony import`).
    static func appendTime(_ rawMicros: Int64, to out: inout [UInt8]) {
        let micros = min(max(rawMicros, minimumMicroseconds), maximumMicroseconds)
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
        // "YYYY-MM-DDTHH:MM:SS.mmmZ" with its quotes, 26 bytes, written into a stack buffer and
        // appended in one call (this runs for every event and every head a write renders).
        var text: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &text) { t in
            func two(_ v: Int64, at i: Int) {
                t[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v / 10)
                t[i + 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
            }
            let y = max(0, min(9999, year))
            t[0] = UInt8(ascii: "\"")
            two(y / 100, at: 1); two(y % 100, at: 3)
            t[5] = UInt8(ascii: "-"); two(month, at: 6)
            t[8] = UInt8(ascii: "-"); two(day, at: 9)
            t[11] = UInt8(ascii: "T"); two(secs / 3600, at: 12)
            t[14] = UInt8(ascii: ":"); two((secs % 3600) / 60, at: 15)
            t[17] = UInt8(ascii: ":"); two(secs % 60, at: 18)
            t[20] = UInt8(ascii: ".")
            t[21] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: millis / 100)
            t[22] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: (millis / 10) % 10)
            t[23] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: millis % 10)
            t[24] = UInt8(ascii: "Z")
            t[25] = UInt8(ascii: "\"")
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: t[..<26]))
        }
    }

    // MARK: Reading (input already validated as JSON)

    struct Member {
        var key: Range<Int>    // the key's bytes, without quotes, still escaped
        var value: Range<Int>  // the raw value
    }

    /// The top-level members of a JSON object, or `nil` if `json` is not an object.
    static func members(_ json: ArraySlice<UInt8>) -> [Member]? {
        var out: [Member] = []
        return members(json, into: &out) ? out : nil
    }

    /// `members(_:)` into `out` (emptied first, its capacity kept), so that a run of events
    /// reuses one array; returns false if `json` is not an object.
    static func members(_ json: ArraySlice<UInt8>, into out: inout [Member]) -> Bool {
        out.removeAll(keepingCapacity: true)
        var i = json.startIndex
        let end = json.endIndex
        func skipWS() { while i < end, json[i] == 0x20 || json[i] == 0x0A || json[i] == 0x0D || json[i] == 0x09 { i += 1 } }
        skipWS()
        guard i < end, json[i] == UInt8(ascii: "{") else { return false }
        i += 1
        while true {
            skipWS()
            guard i < end else { return true }
            if json[i] == UInt8(ascii: "}") { return true }
            if json[i] == UInt8(ascii: ",") { i += 1; skipWS() }
            guard i < end, json[i] == UInt8(ascii: "\"") else { return true }
            let keyStart = i + 1
            i = JSONText.skipString(json, from: i)
            let key = keyStart..<(i - 1)
            skipWS()
            i += 1  // ':'
            skipWS()
            let valueStart = i
            i = JSONText.skipValue(json, from: i)
            out.append(Member(key: key, value: valueStart..<i))
        }
    }

    /// Decodes a JSON string value (with its quotes) into a `String`; `nil` if it is not a string.
    /// An unpaired surrogate escape becomes U+FFFD.
    static func decodeString(_ raw: ArraySlice<UInt8>) -> String? {
        JSONText.decodeString(raw, replacingUnpairedSurrogates: true).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Parses a JSON number value.
    static func decodeNumber(_ raw: ArraySlice<UInt8>) -> Double? {
        Double(String(decoding: raw, as: UTF8.self))
    }
}
