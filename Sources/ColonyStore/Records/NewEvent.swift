import Foundation

/// An event to append: what the caller says happened.
///
/// ```swift
/// let e = NewEvent(stream: "org/project", kind: "note",
///                  payload: Array(#"{"text":"tests pass"}"#.utf8))
/// ```
public struct NewEvent: Sendable {
    /// Unique id; appending the same id again is a no-op that returns the original position.
    public var id: EventID
    /// The stream (an aggregate, a scope) the event belongs to.
    public var stream: String
    /// What kind of event this is, `[A-Za-z0-9._-]`, at most 64 bytes.
    public var kind: String
    /// A JSON value (usually an object).
    public var payload: [UInt8]
    /// A JSON object, or empty for none.
    public var metadata: [UInt8]
    /// When it happened; defaults to the time of the call. Stored in microseconds.
    public var timeMicroseconds: Int64
    /// Low-priority events are shed first when the write queue is full.
    public var priority: Priority

    /// How an event fares when the write queue is full.
    public enum Priority: UInt8, Sendable {
        case normal = 0
        case low = 1
    }

    public init(id: EventID = EventID(), stream: String, kind: String, payload: [UInt8],
                metadata: [UInt8] = [], timeMicroseconds: Int64? = nil, priority: Priority = .normal) {
        self.id = id
        self.stream = stream
        self.kind = kind
        self.payload = payload
        self.metadata = metadata
        self.timeMicroseconds = timeMicroseconds ?? NewEvent.nowMicroseconds()
        self.priority = priority
    }

    /// Microseconds since 1970-01-01T00:00:00Z.
    public static func nowMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    /// Bytes this event takes in the write queue (for batching by size).
    var approximateSizeBytes: Int { 64 + stream.utf8.count + kind.utf8.count + payload.count + metadata.count }
}
