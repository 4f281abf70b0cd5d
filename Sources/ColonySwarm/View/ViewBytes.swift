/// The binary encoding of swarm view values: little-endian integers, doubles by
/// their bits, strings with a 16-bit length. Deterministic, so a rebuild writes
/// exactly the bytes the live updates wrote.
struct ViewBytesWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func string(_ s: String) {
        let utf8 = s.utf8
        withUnsafeBytes(of: UInt16(utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: utf8)
    }
    mutating func strings(_ list: [String]) {
        u32(UInt32(list.count))
        for s in list { string(s) }
    }
    mutating func u64s(_ list: [UInt64]) {
        u32(UInt32(list.count))
        for v in list { u64(v) }
    }
}

/// Reads what `ViewBytesWriter` wrote; throws `SwarmError.corruptView` on short or bad input.
struct ViewBytesReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0
    private let key: String

    init(_ bytes: UnsafeRawBufferPointer, key: String) {
        self.bytes = bytes
        self.key = key
    }

    private mutating func take(_ n: Int) throws -> Int {
        guard n >= 0, offset + n <= bytes.count else { throw SwarmError.corruptView(key: key) }
        defer { offset += n }
        return offset
    }

    mutating func u8() throws -> UInt8 { bytes[try take(1)] }
    mutating func bool() throws -> Bool { try u8() != 0 }
    mutating func u16() throws -> UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(2), as: UInt16.self)) }
    mutating func u32() throws -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4), as: UInt32.self)) }
    mutating func u64() throws -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8), as: UInt64.self)) }
    mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }
    mutating func f64() throws -> Double { Double(bitPattern: try u64()) }
    mutating func string() throws -> String {
        let n = Int(try u16())
        let start = try take(n)
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + n)]), as: UTF8.self)
    }
    mutating func strings() throws -> [String] {
        let n = Int(try u32())
        guard n <= bytes.count else { throw SwarmError.corruptView(key: key) }
        return try (0..<n).map { _ in try string() }
    }
    mutating func u64s() throws -> [UInt64] {
        let n = Int(try u32())
        guard n <= bytes.count else { throw SwarmError.corruptView(key: key) }
        return try (0..<n).map { _ in try u64() }
    }
}

/// A value kept in the swarm view.
protocol ViewRecord {
    func encode(into w: inout ViewBytesWriter)
    init(from r: inout ViewBytesReader) throws
}

extension ViewRecord {
    var encoded: [UInt8] {
        var w = ViewBytesWriter()
        encode(into: &w)
        return w.bytes
    }

    static func decode(_ raw: UnsafeRawBufferPointer, key: String) throws -> Self {
        var r = ViewBytesReader(raw, key: key)
        return try Self(from: &r)
    }

    static func decode(_ raw: [UInt8], key: String) throws -> Self {
        try raw.withUnsafeBytes { try decode($0, key: key) }
    }
}
