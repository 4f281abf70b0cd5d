/// Latency percentiles over every recorded sample (sorted once; runs are at most a few million calls).
struct LatencySummary {
    let p50: Double, p90: Double, p95: Double, p99: Double, p999: Double, max: Double

    /// `nanos` in any order; results in microseconds.
    init(nanos: [UInt64]) {
        let sorted = nanos.sorted()
        // Nearest-rank percentile: the smallest sample with at least q of the samples at or below it.
        func rank(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = Swift.max(0, Swift.min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1))
            return Double(sorted[index]) / 1_000
        }
        p50 = rank(0.50); p90 = rank(0.90); p95 = rank(0.95); p99 = rank(0.99); p999 = rank(0.999)
        max = Double(sorted.last ?? 0) / 1_000
    }
}

/// A flat JSON object written as one line, keys in the order given.
struct JSONLine {
    private var fields: [String] = []

    mutating func add(_ key: String, _ value: Int) { fields.append("\"\(key)\":\(value)") }
    mutating func add(_ key: String, _ value: Double, decimals: Int = 1) {
        fields.append("\"\(key)\":\(format(value, decimals: decimals))")
    }
    mutating func add(_ key: String, _ value: String) { fields.append("\"\(key)\":\(jsonString(value))") }

    var text: String { "{" + fields.joined(separator: ",") + "}" }

    func print() { Swift.print(text) }
}

/// `value` rounded to `decimals` places, without Foundation's formatter.
func format(_ value: Double, decimals: Int) -> String {
    guard value.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (value * scale).rounded()
    guard decimals > 0 else { return String(Int64(scaled)) }
    let whole = Int64(scaled / scale)
    var frac = String(Int64(abs(scaled - Double(whole) * scale)))
    while frac.count < decimals { frac = "0" + frac }
    return (scaled < 0 && whole == 0 ? "-" : "") + "\(whole).\(frac)"
}

/// A JSON string literal (quotes, backslashes and control characters escaped).
func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
