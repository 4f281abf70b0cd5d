/// Checks the ids and names the swarm stores: agent, task and proposal ids,
/// capabilities, task types and options. `[A-Za-z0-9._-]`, 1 to 64 bytes, so
/// they are safe in stream names and as view keys joined by a 0 byte.
enum Identifier {
    static let maxBytes = 64

    static func check(_ value: String, field: String) throws {
        let bytes = value.utf8
        guard !bytes.isEmpty else { throw SwarmError.invalidIdentifier(field: field, value: value, reason: "empty") }
        guard bytes.count <= maxBytes else {
            throw SwarmError.invalidIdentifier(field: field, value: value, reason: "\(bytes.count) bytes, over the limit of \(maxBytes)")
        }
        for b in bytes where !isAllowed(b) {
            throw SwarmError.invalidIdentifier(field: field, value: value, reason: "only A-Z a-z 0-9 . _ - are allowed")
        }
    }

    static func check(_ values: [String], field: String, max: Int) throws {
        guard values.count <= max else {
            throw SwarmError.parameterOutOfRange(name: field, value: "\(values.count) items", allowed: "at most \(max)")
        }
        for v in values { try check(v, field: field) }
    }

    @inline(__always) static func isAllowed(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F || b == 0x2D
    }
}
