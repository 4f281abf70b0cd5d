/// The versioned binary record stored for each event in the `events` database.
///
/// ```
/// offset size  field
///      0    1  format version (1)
///      1    1  flags (bit 0: low priority)
///      2    4  CRC-32C, little-endian, of the position (8 bytes, big-endian), bytes 0..<2, then bytes 6..<end
///      6    8  stream version, little-endian
///     14    8  time, microseconds since the Unix epoch, little-endian, signed
///     22   16  event id
///     38    2  kind length K
///     40    2  stream length S
///     42    4  metadata length M
///     46    4  payload length P
///     50    K  kind (UTF-8)
///   50+K    S  stream (UTF-8)
///      …    M  metadata (JSON, or empty)
///      …    P  payload (JSON)
/// ```
///
/// The checksum covers every byte but its own, and the position, so a record
/// copied under the wrong key is caught as well as a flipped bit. See docs/storage-format.md.
public enum EventRecord {
    /// The record format this build writes and reads.
    public static let formatVersion: UInt8 = 1
    static let headerSize = 50

    /// Encodes an event for `position`.
    static func encode(_ event: NewEvent, position: UInt64, streamVersion: UInt64) -> [UInt8] {
        let kind = event.kind.utf8
        let stream = event.stream.utf8
        let total = headerSize + kind.count + stream.count + event.metadata.count + event.payload.count
        var out = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw[0] = formatVersion
            raw[1] = event.priority == .low ? 1 : 0
            raw.storeBytes(of: streamVersion.littleEndian, toByteOffset: 6, as: UInt64.self)
            raw.storeBytes(of: event.timeMicroseconds.littleEndian, toByteOffset: 14, as: Int64.self)
            raw.storeBytes(of: event.id.high.bigEndian, toByteOffset: 22, as: UInt64.self)
            raw.storeBytes(of: event.id.low.bigEndian, toByteOffset: 30, as: UInt64.self)
            raw.storeBytes(of: UInt16(kind.count).littleEndian, toByteOffset: 38, as: UInt16.self)
            raw.storeBytes(of: UInt16(stream.count).littleEndian, toByteOffset: 40, as: UInt16.self)
            raw.storeBytes(of: UInt32(event.metadata.count).littleEndian, toByteOffset: 42, as: UInt32.self)
            raw.storeBytes(of: UInt32(event.payload.count).littleEndian, toByteOffset: 46, as: UInt32.self)
            var o = headerSize
            for b in kind { raw[o] = b; o += 1 }
            for b in stream { raw[o] = b; o += 1 }
            event.metadata.withUnsafeBytes { m in
                if m.count > 0 { UnsafeMutableRawBufferPointer(rebasing: raw[o..<(o + m.count)]).copyMemory(from: m) }
            }
            o += event.metadata.count
            event.payload.withUnsafeBytes { p in
                if p.count > 0 { UnsafeMutableRawBufferPointer(rebasing: raw[o..<(o + p.count)]).copyMemory(from: p) }
            }
            initialized = total
        }
        let crc = out.withUnsafeBytes { checksum(position: position, record: $0) }
        out.withUnsafeMutableBytes { $0.storeBytes(of: crc.littleEndian, toByteOffset: 2, as: UInt32.self) }
        return out
    }

    @inline(__always)
    static func checksum(position: UInt64, record: UnsafeRawBufferPointer) -> UInt32 {
        var key = position.bigEndian
        var crc = withUnsafeBytes(of: &key) { CRC32C.update(0, $0) }
        crc = CRC32C.update(crc, UnsafeRawBufferPointer(rebasing: record[0..<2]))
        return CRC32C.update(crc, UnsafeRawBufferPointer(rebasing: record[6...]))
    }

    /// Checks the structure and checksum of a stored record, returning the
    /// field layout. Throws `StoreError.corruptRecord` naming the position.
    static func validate(position: UInt64, record: UnsafeRawBufferPointer) throws -> Layout {
        guard record.count >= headerSize else {
            throw StoreError.corruptRecord(position: position, reason: "record is \(record.count) bytes, shorter than its header")
        }
        let version = record[0]
        guard version == formatVersion else {
            throw StoreError.corruptRecord(position: position, reason: "unknown record format version \(version)")
        }
        let stored = UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        let kindLength = Int(UInt16(littleEndian: record.loadUnaligned(fromByteOffset: 38, as: UInt16.self)))
        let streamLength = Int(UInt16(littleEndian: record.loadUnaligned(fromByteOffset: 40, as: UInt16.self)))
        let metadataLength = Int(UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 42, as: UInt32.self)))
        let payloadLength = Int(UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 46, as: UInt32.self)))
        guard headerSize + kindLength + streamLength + metadataLength + payloadLength == record.count else {
            throw StoreError.corruptRecord(position: position, reason: "field lengths do not add up to the record size")
        }
        let computed = checksum(position: position, record: record)
        guard computed == stored else {
            throw StoreError.corruptRecord(position: position, reason: "checksum mismatch (stored \(stored), computed \(computed))")
        }
        return Layout(kindLength: kindLength, streamLength: streamLength,
                      metadataLength: metadataLength, payloadLength: payloadLength)
    }

    struct Layout {
        var kindLength: Int
        var streamLength: Int
        var metadataLength: Int
        var payloadLength: Int
        var kindRange: Range<Int> { headerSize..<(headerSize + kindLength) }
        var streamRange: Range<Int> { kindRange.upperBound..<(kindRange.upperBound + streamLength) }
        var metadataRange: Range<Int> { streamRange.upperBound..<(streamRange.upperBound + metadataLength) }
        var payloadRange: Range<Int> { metadataRange.upperBound..<(metadataRange.upperBound + payloadLength) }
    }

    /// Decodes a stored record (checksum verified) into an event.
    ///
    /// Throws `StoreError.corruptRecord` naming `position` if the record is
    /// truncated, of an unknown format, or fails its checksum.
    public static func decode(position: UInt64, record: UnsafeRawBufferPointer) throws -> RecordedEvent {
        let layout = try validate(position: position, record: record)
        return RecordedEvent(position: position, storage: Array(record), layout: layout)
    }
}
