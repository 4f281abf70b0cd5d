import ColonyStore

// Shared by the crash writer process and the tests: the crash and multi-process
// tests compare the view the crash writer keeps with a rebuild in the test process.

/// One entry per stream: event count, last position, and a CRC-32C chained over
/// the payloads in log order (so a rebuild that applied events in another order,
/// skipped or repeated one, gives different bytes).
///
/// Value layout: count (UInt64 LE) · last position (UInt64 LE) · chain (UInt32 LE).
public struct StreamSummaryProjection: Projection {
    public let name = "stream-summary"
    public let version: UInt32 = 1
    public init() {}

    public func apply(_ events: [RecordedEvent], to view: ViewWriter) throws {
        for event in events {
            let key = Array(event.streamBytes)
            var summary = try view.get(key).map(StreamSummary.init(bytes:)) ?? StreamSummary()
            summary.count += 1
            summary.lastPosition = event.position
            summary.chain = event.payload.withUnsafeBytes { CRC32C.update(summary.chain, $0) }
            try view.put(key, summary.bytes)
        }
    }
}

public struct StreamSummary: Equatable {
    public var count: UInt64 = 0
    public var lastPosition: UInt64 = 0
    public var chain: UInt32 = 0

    public init() {}

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 20, "a stream summary is 20 bytes")
        count = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) }
        lastPosition = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }
        chain = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 16, as: UInt32.self)) }
    }

    public var bytes: [UInt8] {
        withUnsafeBytes(of: count.littleEndian) { Array($0) }
            + withUnsafeBytes(of: lastPosition.littleEndian) { Array($0) }
            + withUnsafeBytes(of: chain.littleEndian) { Array($0) }
    }
}
