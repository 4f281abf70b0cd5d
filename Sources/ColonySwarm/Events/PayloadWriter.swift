import ColonyStore

/// Writes a swarm event's JSON payload: a flat object of strings, numbers,
/// booleans and arrays of strings, built without a general-purpose encoder.
struct PayloadWriter {
    private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var first = true

    init() { bytes.reserveCapacity(128) }

    private mutating func key(_ name: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        JSONText.appendString(name.utf8, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ name: String, _ value: String) {
        key(name)
        JSONText.appendString(value.utf8, to: &bytes)
    }

    mutating func strings(_ name: String, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (i, v) in values.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONText.appendString(v.utf8, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func integer(_ name: String, _ value: Int64) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A finite double in Swift's shortest round-trip form (valid JSON).
    mutating func number(_ name: String, _ value: Double) {
        key(name)
        precondition(value.isFinite, "payload numbers are finite")
        bytes.append(contentsOf: "\(value)".utf8)
    }

    mutating func bool(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// Already validated JSON, spliced in as is.
    mutating func raw(_ name: String, _ json: [UInt8]) {
        key(name)
        bytes.append(contentsOf: json)
    }

    func finished() -> [UInt8] { bytes + [UInt8(ascii: "}")] }
}
