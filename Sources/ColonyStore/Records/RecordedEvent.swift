import Foundation

/// An event as committed to the log, with its global position and stream version.
///
/// Obtained from `ColonyStore.read(from:limit:)`, subscriptions, and by
/// projections. The record's checksum was verified when it was read.
public struct RecordedEvent: Sendable {
    /// Global position in the log: dense, from 1.
    public let position: UInt64
    /// The record's bytes as stored (see `EventRecord`).
    public let storage: [UInt8]
    let layout: EventRecord.Layout

    init(position: UInt64, storage: [UInt8], layout: EventRecord.Layout) {
        self.position = position
        self.storage = storage
        self.layout = layout
    }

    /// The event's version within its stream, from 1.
    public var streamVersion: UInt64 { UInt64(littleEndian: load(6, UInt64.self)) }
    /// When it happened, microseconds since the Unix epoch.
    public var timeMicroseconds: Int64 { Int64(littleEndian: load(14, Int64.self)) }
    /// The event's id.
    public var id: EventID {
        EventID(high: UInt64(bigEndian: load(22, UInt64.self)), low: UInt64(bigEndian: load(30, UInt64.self)))
    }
    /// Whether it was appended with low priority.
    public var priority: NewEvent.Priority { storage[1] & 1 == 1 ? .low : .normal }
    /// The event kind.
    public var kind: String { String(decoding: storage[layout.kindRange], as: UTF8.self) }
    /// The stream name.
    public var stream: String { String(decoding: storage[layout.streamRange], as: UTF8.self) }
    /// The stream name's bytes, without making a `String`.
    public var streamBytes: ArraySlice<UInt8> { storage[layout.streamRange] }
    /// The kind's bytes, without making a `String`.
    public var kindBytes: ArraySlice<UInt8> { storage[layout.kindRange] }
    /// Where the stream name lies in `storage`, for code that reads the record's bytes in place
    /// without making a slice (each slice is a reference to retain and release):
    ///
    /// ```swift
    /// let isScope = event.storage.withUnsafeBufferPointer { record in
    ///     !UnsafeBufferPointer(rebasing: record[event.streamRange]).contains(UInt8(ascii: ":"))
    /// }
    /// ```
    public var streamRange: Range<Int> { layout.streamRange }
    /// Where the kind lies in `storage` (see `streamRange`).
    public var kindRange: Range<Int> { layout.kindRange }
    /// Metadata JSON bytes (empty when none).
    public var metadata: ArraySlice<UInt8> { storage[layout.metadataRange] }
    /// Payload JSON bytes.
    public var payload: ArraySlice<UInt8> { storage[layout.payloadRange] }
    /// Payload as `Data`.
    public var payloadData: Data { Data(payload) }
    /// When it happened.
    public var date: Date { Date(timeIntervalSince1970: Double(timeMicroseconds) / 1_000_000) }

    /// The event's content as an append would give it, for idempotency checks and re-import.
    public var asNewEvent: NewEvent {
        NewEvent(id: id, stream: stream, kind: kind, payload: Array(payload), metadata: Array(metadata),
                 timeMicroseconds: timeMicroseconds, priority: priority)
    }

    @inline(__always)
    private func load<T>(_ offset: Int, _: T.Type) -> T {
        storage.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }
}
