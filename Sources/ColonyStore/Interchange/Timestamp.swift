/// ISO 8601 text for event times, which the store keeps as microseconds since
/// 1970-01-01T00:00:00Z.
///
/// ```swift
/// Timestamp.format(1_763_728_496_789_012)          // "2025-11-21T12:34:56.789012Z"
/// Timestamp.parse("2025-11-21T12:34:56.789012Z")   // 1_763_728_496_789_012
/// Timestamp.parse("2025-11-21")                    // midnight UTC
/// ```
///
/// `format` always writes six fractional digits and `Z`, so its text sorts as
/// the times do and parses back to the same microsecond. Years outside
/// 0000...9999 are written in ISO 8601's expanded form (`+10000-01-01T…`).
public enum Timestamp {
    /// The UTC text of `microseconds` since the epoch, microsecond precision.
    public static func format(_ microseconds: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(27)
        append(microseconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the text of `format(_:)` (without quotes) to `out`.
    public static func append(_ microseconds: Int64, to out: inout [UInt8]) {
        let (seconds, micros) = floorDivide(microseconds, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        if year >= 0 && year <= 9999 {
            appendDigits(year, width: 4, to: &out)
        } else {
            out.append(year < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            appendDigits(year.magnitude, width: 4, to: &out)
        }
        out.append(UInt8(ascii: "-"))
        appendDigits(month, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(day, width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(secondOfDay / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 3600 / 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, width: 2, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(micros, width: 6, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// Microseconds since the epoch of an ISO 8601 date-time, or `nil`.
    ///
    /// Accepts `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1 to 6 digits,
    /// and `Z` or an offset `±HH:MM`; or a date alone, `YYYY-MM-DD`, meaning
    /// its midnight UTC. Expanded years (`+10000`, `-0001`) are accepted.
    public static func parse(_ text: String) -> Int64? {
        parse(Array(text.utf8)[...])
    }

    /// Microseconds since the epoch of ISO 8601 text given as UTF-8 bytes; see `parse(_:)`.
    public static func parse(_ text: ArraySlice<UInt8>) -> Int64? {
        var i = text.startIndex
        let end = text.endIndex
        func digits(_ n: Int) -> Int64? {
            guard end - i >= n else { return nil }
            var v: Int64 = 0
            for _ in 0..<n {
                let b = text[i]
                guard b >= 0x30 && b <= 0x39 else { return nil }
                v = v * 10 + Int64(b - 0x30)
                i += 1
            }
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < end, text[i] == c else { return false }
            i += 1
            return true
        }
        var sign: Int64 = 1
        var expanded = false
        if i < end, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") {
            sign = text[i] == UInt8(ascii: "-") ? -1 : 1
            expanded = true
            i += 1
        }
        guard var year = digits(4) else { return nil }
        if expanded {
            while i < end, text[i] >= 0x30 && text[i] <= 0x39, year < 1_000_000 { year = year * 10 + Int64(text[i] - 0x30); i += 1 }
        }
        year *= sign
        guard expect(UInt8(ascii: "-")), let month = digits(2), expect(UInt8(ascii: "-")), let day = digits(2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        if i == end { return multiply(days, 86_400_000_000) }
        guard expect(UInt8(ascii: "T")), let hour = digits(2), expect(UInt8(ascii: ":")), let minute = digits(2),
              expect(UInt8(ascii: ":")), let second = digits(2), hour < 24, minute < 60, second < 60 else { return nil }
        var micros: Int64 = 0
        if expect(UInt8(ascii: ".")) {
            var n = 0
            while i < end, text[i] >= 0x30 && text[i] <= 0x39 {
                guard n < 6 else { return nil }  // finer than a microsecond cannot be kept
                micros = micros * 10 + Int64(text[i] - 0x30)
                n += 1
                i += 1
            }
            guard n > 0 else { return nil }
            for _ in n..<6 { micros *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if expect(UInt8(ascii: "Z")) {
        } else if i < end, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") {
            let s: Int64 = text[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = digits(2), expect(UInt8(ascii: ":")), let om = digits(2), oh < 24, om < 60 else { return nil }
            offsetSeconds = s * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == end else { return nil }
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        guard let whole = multiply(seconds, 1_000_000) else { return nil }
        let (sum, overflow) = whole.addingReportingOverflow(micros)
        return overflow ? nil : sum
    }

    // MARK: Calendar (proleptic Gregorian, Howard Hinnant's algorithms)

    static func civil(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysFromCivil(year y0: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        var q = a / b
        var r = a % b
        if r < 0 { q -= 1; r += b }
        return (q, r)
    }

    private static func multiply(_ a: Int64, _ b: Int64) -> Int64? {
        let (v, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : v
    }

    /// Writes `value` in decimal, zero-padded to `width`, without allocating.
    private static func appendDigits<T: BinaryInteger>(_ value: T, width: Int, to out: inout [UInt8]) {
        var v = UInt64(value)
        var n = 1
        var t = v / 10
        while t > 0 { n += 1; t /= 10 }
        let count = max(width, n)
        let start = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
        var i = start + count - 1
        repeat {
            out[i] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
            i -= 1
        } while v > 0
    }
}
