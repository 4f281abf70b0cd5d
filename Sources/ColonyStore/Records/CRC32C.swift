internal import CChecksum

/// CRC-32C (Castagnoli), as used by iSCSI, ext4 and RocksDB: with the CPU's CRC instructions
/// where it has them (`CChecksum`), else table-driven, slice-by-8.
///
/// Every stored event record carries one; a record whose checksum does not
/// match is reported as corrupt and never served.
public enum CRC32C {
    @usableFromInline static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[k * 256 + i] = (t[(k - 1) * 256 + i] >> 8) ^ t[Int(t[(k - 1) * 256 + i] & 0xFF)] }
        }
        return t
    }()

    /// Whether this CPU has CRC-32C instructions (x86-64 SSE 4.2; AArch64 with the CRC
    /// extension). Without them, the tables below compute the same values.
    public static let hardware = colony_crc32c_available() != 0

    /// Continues a checksum `crc` (start with 0) over `bytes`.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        if hardware { return colony_crc32c(crc, base, bytes.count) }
        return software(crc, bytes)
    }

    /// `update` with the tables, whatever the CPU has (what `update` falls back to).
    public static func software(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        tables.withUnsafeBufferPointer { t in compute(crc, bytes, t) }
    }

    @usableFromInline
    static func compute(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer, _ t: UnsafeBufferPointer<UInt32>) -> UInt32 {
        var c = ~crc
        var i = 0
        let n = bytes.count
        guard let base = bytes.baseAddress else { return crc }
        while n - i >= 8 {
            let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian
            let lo = UInt32(truncatingIfNeeded: word) ^ c
            let hi = UInt32(truncatingIfNeeded: word >> 32)
            c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
              ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
              ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
              ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
            i += 8
        }
        while i < n {
            c = t[Int((c ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (c >> 8)
            i += 1
        }
        return ~c
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }
}
