import Foundation

/// A 16-byte event identifier, unique per event across the store.
///
/// Appending an event whose id is already in the log returns the original
/// position and writes nothing, which makes retries safe:
///
/// ```swift
/// let id = EventID()                    // time-ordered (UUIDv7 layout)
/// let same = EventID(string: id.description)
/// ```
public struct EventID: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The first 8 bytes, big-endian.
    public var high: UInt64
    /// The last 8 bytes, big-endian.
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A new id in the UUIDv7 layout: 48 bits of milliseconds, then random bits.
    public init() {
        let millis = UInt64(Date().timeIntervalSince1970 * 1000) & 0xFFFF_FFFF_FFFF
        let (a, b) = EventIDRandomness.shared.twoWords()
        high = (millis << 16) | 0x7000 | (a & 0x0FFF)
        low = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
    }

    /// Parses a UUID (`8-4-4-4-12` hex digits) or 32 hex digits without dashes,
    /// in either case. Returns `nil` for anything else.
    public init?(string: String) {
        let utf8 = Array(string.utf8)
        let dashed = utf8.count == 36
        guard dashed || utf8.count == 32 else { return nil }
        var digits: [UInt8] = []
        digits.reserveCapacity(32)
        for (i, b) in utf8.enumerated() {
            if dashed && (i == 8 || i == 13 || i == 18 || i == 23) {
                guard b == UInt8(ascii: "-") else { return nil }
                continue
            }
            guard let v = EventID.hexValue(b) else { return nil }
            digits.append(v)
        }
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<16 { h = h << 4 | UInt64(digits[i]) }
        for i in 16..<32 { l = l << 4 | UInt64(digits[i]) }
        high = h
        low = l
    }

    /// Reads 16 big-endian bytes.
    public init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= 16)
        high = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        low = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    /// The 16 big-endian bytes.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        out.withUnsafeMutableBytes {
            $0.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
            $0.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        return out
    }

    /// Calls `body` with the 16 big-endian bytes, on the stack (`bytes` allocates an array).
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let words = (high.bigEndian, low.bigEndian)
        return try Swift.withUnsafeBytes(of: words, body)
    }

    /// Lower-case UUID text: `0190f1c2-…`.
    public var description: String {
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for i in 0..<32 {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(UInt8(ascii: "-")) }
            let word = i < 16 ? high : low
            let shift = UInt64(60 - 4 * (i % 16))
            out.append(hex[Int((word >> shift) & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func < (a: EventID, b: EventID) -> Bool { (a.high, a.low) < (b.high, b.low) }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// The random bits of new ids, drawn from the system's generator 4 KB at a time.
/// `SystemRandomNumberGenerator` makes a `getrandom` system call for every word: two per
/// id, which was 3% of a bulk append's CPU. One `arc4random_buf` call (the same kernel
/// source) now fills 256 ids' worth. Guarded by an `NSLock` (a pthread mutex, which the
/// thread sanitizer understands; it reports `Synchronization.Mutex` here as a race).
final class EventIDRandomness: @unchecked Sendable {
    static let shared = EventIDRandomness()
    private static let capacity = 512
    private let lock = NSLock()
    private let words = UnsafeMutablePointer<UInt64>.allocate(capacity: EventIDRandomness.capacity)
    private var next = EventIDRandomness.capacity

    private init() {}

    /// Two words never handed out before.
    func twoWords() -> (UInt64, UInt64) {
        lock.lock()
        defer { lock.unlock() }
        if next + 2 > Self.capacity {
            arc4random_buf(words, Self.capacity * MemoryLayout<UInt64>.size)
            next = 0
        }
        defer { next += 2 }
        return (words[next], words[next + 1])
    }
}
