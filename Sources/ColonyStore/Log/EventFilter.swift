/// Which events of the log an export or a replay takes.
///
/// Every condition set must hold; an empty filter takes everything.
///
/// ```swift
/// var filter = EventFilter()
/// filter.afterPosition = 1_000          // what a previous export ended with
/// filter.scope = "acme/api"             // acme/api and every scope below it
/// filter.kinds = ["deploy", "insight"]
/// filter.sinceMicroseconds = Timestamp.parse("2026-11-01")
/// ```
public struct EventFilter: Sendable, Equatable {
    /// Only events after this position (exclusive): pass the last position you already have.
    public var afterPosition: UInt64 = 0
    /// Only events up to this position (inclusive).
    public var throughPosition: UInt64?
    /// Only events whose stream starts with these bytes (`"orders:"` takes `orders:1`, `orders:2`…).
    public var streamPrefix: String?
    /// Only events of this scope and the scopes below it: the stream is `scope`
    /// or starts with `scope/` (`"acme"` takes `acme` and `acme/api`, not `acme2`).
    public var scope: String?
    /// Only events of these kinds; empty takes every kind.
    public var kinds: Set<String> = []
    /// Only events whose time is at or after this (microseconds since the epoch).
    public var sinceMicroseconds: Int64?
    /// Only events whose time is before this (exclusive).
    public var untilMicroseconds: Int64?

    public init(afterPosition: UInt64 = 0, throughPosition: UInt64? = nil, streamPrefix: String? = nil,
                scope: String? = nil, kinds: Set<String> = [], sinceMicroseconds: Int64? = nil,
                untilMicroseconds: Int64? = nil) {
        self.afterPosition = afterPosition
        self.throughPosition = throughPosition
        self.streamPrefix = streamPrefix
        self.scope = scope
        self.kinds = kinds
        self.sinceMicroseconds = sinceMicroseconds
        self.untilMicroseconds = untilMicroseconds
    }

    /// Whether `event` passes every condition.
    public func matches(_ event: RecordedEvent) -> Bool {
        Matcher(self).matches(position: event.position, record: event.storage, layout: event.layout)
    }

    /// `matches(_:)` with the filter's strings converted to bytes once, for testing many events.
    public func compiled() -> @Sendable (RecordedEvent) -> Bool {
        let matcher = Matcher(self)
        return { matcher.matches(position: $0.position, record: $0.storage, layout: $0.layout) }
    }

    /// The filter with its strings as bytes, for matching stored records without decoding them.
    struct Matcher: Sendable {
        let filter: EventFilter
        let prefix: [UInt8]?
        let scope: [UInt8]?
        let kinds: [[UInt8]]

        init(_ filter: EventFilter) {
            self.filter = filter
            prefix = filter.streamPrefix.map { Array($0.utf8) }
            scope = filter.scope.map { Array($0.utf8) }
            kinds = filter.kinds.map { Array($0.utf8) }
        }

        func matches<Record: RandomAccessCollection<UInt8>>(position: UInt64, record: Record, layout: EventRecord.Layout) -> Bool
        where Record.Index == Int {
            if position <= filter.afterPosition { return false }
            if let through = filter.throughPosition, position > through { return false }
            let base = record.startIndex
            let stream = record[(base + layout.streamRange.lowerBound)..<(base + layout.streamRange.upperBound)]
            if let prefix, !stream.starts(with: prefix) { return false }
            if let scope {
                guard stream.starts(with: scope) else { return false }
                if stream.count != scope.count && stream[stream.startIndex + scope.count] != UInt8(ascii: "/") { return false }
            }
            if !kinds.isEmpty {
                let kind = record[(base + layout.kindRange.lowerBound)..<(base + layout.kindRange.upperBound)]
                guard kinds.contains(where: { kind.elementsEqual($0) }) else { return false }
            }
            if filter.sinceMicroseconds != nil || filter.untilMicroseconds != nil {
                var time: Int64 = 0
                for i in 0..<8 { time |= Int64(record[base + 14 + i]) << (8 * i) }
                if let since = filter.sinceMicroseconds, time < since { return false }
                if let until = filter.untilMicroseconds, time >= until { return false }
            }
            return true
        }
    }
}
