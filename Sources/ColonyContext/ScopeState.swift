import ColonyStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The context of one scope as the projection updates it, and its stored encoding.
///
/// A scope is stored as two values under adjacent keys, so that an event rewrites
/// a small value instead of the whole context (about 7 KB with 20 events of 256-byte
/// payloads, which LMDB would copy to two fresh overflow pages on every update):
///
/// Head, under the scope path (all integers little-endian), rewritten by every event:
/// ```
/// u8  format (3)
/// u32 H, H bytes: the head of the JSON answer, pre-rendered:
///     {"scope":…,"position":…,"events":…,"first_time":…,"last_time":…,"counts":{…}
/// u8  N, the number of events the context shows
/// u16 U, U × (u64 position, u32 L), then the U newest events' JSON      newest first
/// u64 events, i64 first time µs, i64 last time µs, u64 last position
/// u16 K, K × (u8 L, L bytes of kind, u64 count)                      by kind
/// ```
/// Body, under the scope path and a 0x00 byte (scopes never contain one, so it is the
/// entry right after the head), rewritten only when the head's events are folded in or
/// the insights change:
/// ```
/// u8  format (3)
/// u16 R, R × (u64 position, u32 L), then the R events' JSON    newest first, R ≤ N
/// u16 I, I × (16-byte id, u64 text hash, u64 importance bits, u64 position,
///             u32 mentions, u32 L), then the I insights' JSON          best first
/// ```
/// The events shown are the head's U, then the body's, N at most. An event joins the
/// head's list; when that list reaches N events or more than `foldBytes` bytes of JSON,
/// it is folded: the body is rewritten with the N newest events and the head's list
/// emptied. The rule depends only on the sequence of events, so a rebuild writes the
/// same bytes as live updates whatever the transaction boundaries.
///
/// Headers come before their fragments so the reader finds every fragment from one run
/// of adjacent headers instead of hopping from fragment to fragment.
struct ScopeState {
    static let format: UInt8 = 3
    static let maxKinds = 32
    /// The most bytes of event JSON the head holds before they are folded into the body:
    /// small enough that the head stays inside an LMDB leaf page (nodes over about 2 KB
    /// go to overflow pages).
    static let foldBytes = 1_024
    /// Events past the last `N + unfolded` that `recent` may hold before the oldest are dropped.
    static let trimSlack = 8

    struct Recent {
        var position: UInt64
        var fragment: ArraySlice<UInt8>
    }

    struct Insight {
        var id: EventID
        var textHash: UInt64
        var importance: Double
        var position: UInt64
        var mentions: UInt32
        var fragment: ArraySlice<UInt8>

        /// Rank order: more important first, then more recent.
        func ranksBefore(_ other: Insight) -> Bool {
            if importance != other.importance { return importance > other.importance }
            return position > other.position
        }
    }

    var scope: ArraySlice<UInt8>
    var events: UInt64 = 0
    var firstTime: Int64 = .max
    var lastTime: Int64 = .min
    var lastPosition: UInt64 = 0
    var kinds: [(name: ArraySlice<UInt8>, count: UInt64)] = []
    /// Oldest first: the body's events (the N before the head's, and older ones not yet
    /// dropped), then the head's `unfolded` newest. Stored newest first; kept in the other
    /// order here so that an event is an append, not an insertion that shifts the whole list.
    var recent: [Recent] = []
    var insights: [Insight] = []
    /// How many of `recent`'s last entries live in the head value.
    var unfolded = 0
    /// The bytes of JSON of those entries; not stored.
    var unfoldedBytes = 0
    /// Whether the body must be written (events folded or insights changed); not stored.
    var bodyChanged = false
    /// Whether the body's events and insights are in `recent` and `insights`. A scope is
    /// loaded head first; most events only add to the head, and the body (about 7 KB) is
    /// read and decoded only for a fold or an insight change (`ScopeCache.update`).
    var bodyLoaded = true

    init(scope: ArraySlice<UInt8>) { self.scope = scope }

    // MARK: Updates

    mutating func count(kind: ArraySlice<UInt8>, time: Int64, position: UInt64) {
        countEvent(time: time, position: position)
        countKind(kind)
    }

    /// `count` with the kind's bytes in place (in the event's record): `name` makes the slice
    /// to keep only for a kind this scope has not counted yet.
    mutating func count(kind: UnsafeBufferPointer<UInt8>, name: @autoclosure () -> ArraySlice<UInt8>, time: Int64, position: UInt64) {
        countEvent(time: time, position: position)
        for i in kinds.indices where kinds[i].name.withUnsafeBufferPointer({ ScopeState.same($0, kind) }) {
            kinds[i].count += 1
            return
        }
        countKind(name())
    }

    private mutating func countEvent(time: Int64, position: UInt64) {
        events += 1
        firstTime = min(firstTime, time)
        lastTime = max(lastTime, time)
        lastPosition = max(lastPosition, position)
    }

    private mutating func countKind(_ kind: ArraySlice<UInt8>) {
        var name = kind
        if let i = kinds.firstIndex(where: { ScopeState.same($0.name, name) }) {
            kinds[i].count += 1
            return
        }
        if kinds.count >= ScopeState.maxKinds - 1 {
            // Bound the view: kinds past the limit are counted together.
            name = ArraySlice("other".utf8)
            if let i = kinds.firstIndex(where: { $0.name.elementsEqual(name) }) {
                kinds[i].count += 1
                return
            }
        }
        let at = kinds.firstIndex(where: { $0.name.lexicographicallyPrecedes(name) == false }) ?? kinds.count
        kinds.insert((name, 1), at: at)
    }

    @inline(__always)
    static func same(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    @inline(__always)
    static func same(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        a.count == b.count && a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in same(x, y) } }
    }

    mutating func pushRecent(position: UInt64, fragment: ArraySlice<UInt8>, limit: Int) {
        guard limit > 0 else { return }
        let folds = foldsWith(fragmentBytes: fragment.count, limit: limit)
        precondition(bodyLoaded || !folds, "a fold needs the scope's body loaded")
        recent.append(Recent(position: position, fragment: fragment))
        unfolded += 1
        unfoldedBytes += fragment.count
        if folds {
            unfolded = 0
            unfoldedBytes = 0
            bodyChanged = true
        }
        // The body's events stay as they were stored until the next fold. Only the `limit`
        // events before the head's are ever written; older ones are dropped `trimSlack` at a
        // time, so the list shifts once every `trimSlack` events rather than on each, and a
        // rebuild, which keeps every scope's state for a whole chunk, holds at most that many
        // more fragments per scope.
        if recent.count > limit + unfolded + ScopeState.trimSlack { recent.removeFirst(recent.count - limit - unfolded) }
    }

    /// Whether pushing an event with a fragment of `fragmentBytes` folds the head into the body:
    /// the head then holds `limit` events, or more than `foldBytes` of them.
    func foldsWith(fragmentBytes: Int, limit: Int) -> Bool {
        guard limit > 0 else { return false }
        if unfolded + 1 >= limit { return true }
        return unfoldedBytes + fragmentBytes > ScopeState.foldBytes
    }

    /// Places `insight` by rank, replacing the entry with the same text; keeps at most `limit`.
    mutating func upsert(_ insight: Insight, limit: Int) {
        precondition(bodyLoaded, "insights are in the scope's body")
        bodyChanged = true
        insights.removeAll { $0.textHash == insight.textHash }
        let at = insights.firstIndex { insight.ranksBefore($0) } ?? insights.count
        insights.insert(insight, at: at)
        if insights.count > limit { insights.removeLast(insights.count - limit) }
    }

    /// Removes the insight with this text hash; returns whether it was shown.
    mutating func removeInsight(textHash: UInt64) -> Bool {
        precondition(bodyLoaded, "insights are in the scope's body")
        let before = insights.count
        insights.removeAll { $0.textHash == textHash }
        if insights.count != before { bodyChanged = true }
        return insights.count != before
    }

    // MARK: Encoding

    /// The head value, in an array of its own (the fuzz target compares encodings).
    func encodeHead(limit: Int) -> [UInt8] {
        var out: [UInt8] = []
        encodeHead(limit: limit, into: &out)
        return out
    }

    /// The body value, in an array of its own.
    func encodeBody(limit: Int) -> [UInt8] {
        var out: [UInt8] = []
        encodeBody(limit: limit, into: &out)
        return out
    }

    /// Appends the head value to `out`: the answer's head, the unfolded events and the counters.
    /// (Into a buffer the caller reuses: a new array per head and per body was two of a bulk
    /// append's twenty mallocs per event.)
    func encodeHead(limit: Int, into out: inout [UInt8]) {
        let events = recent[(recent.count - unfolded)...]
        out.reserveCapacity(out.count + 224 + 2 * scope.count + events.reduce(0) { $0 + $1.fragment.count + 12 } + kinds.count * 56)
        out.append(ScopeState.format)
        put32(0, &out)  // H, written once the head is rendered in place after it
        let headStart = out.count
        renderHead(to: &out)
        let headBytes = UInt32(out.count - headStart).littleEndian
        out.withUnsafeMutableBytes { $0.storeBytes(of: headBytes, toByteOffset: headStart - 4, as: UInt32.self) }
        out.append(UInt8(limit))
        ScopeState.appendRecent(events, to: &out)
        let counters = (self.events.littleEndian, UInt64(bitPattern: firstTime).littleEndian,
                        UInt64(bitPattern: lastTime).littleEndian, lastPosition.littleEndian)
        withUnsafeBytes(of: counters) { out.append(contentsOf: $0) }  // one append, not four
        put16(UInt16(kinds.count), &out)
        for k in kinds {
            out.append(UInt8(k.name.count))
            out.append(contentsOf: k.name)
            put64(k.count, &out)
        }
    }

    /// Appends the body value to `out`: the events as of the last fold, and the insights.
    func encodeBody(limit: Int, into out: inout [UInt8]) {
        precondition(bodyLoaded, "encoding a body that was not loaded")
        let end = recent.count - unfolded
        let events = recent[max(0, end - limit)..<end]
        out.reserveCapacity(out.count + 8 + events.reduce(0) { $0 + $1.fragment.count + 12 } + insights.reduce(0) { $0 + $1.fragment.count + 52 })
        out.append(ScopeState.format)
        ScopeState.appendRecent(events, to: &out)
        put16(UInt16(insights.count), &out)
        for i in insights {
            put64(i.id.high, &out)
            put64(i.id.low, &out)
            put64(i.textHash, &out)
            put64(i.importance.bitPattern, &out)
            put64(i.position, &out)
            put32(i.mentions, &out)
            put32(UInt32(i.fragment.count), &out)
        }
        for i in insights { out.append(contentsOf: i.fragment) }
    }

    /// Writes `events` (oldest first, as in `recent`) newest first, as they are stored.
    /// Read through a buffer pointer: iterating the slice copied each entry, retaining and
    /// releasing its fragment twice per event written (perf: 1.4% of a bulk append's writer).
    /// The headers are stored into room made for all of them at once: an `append` per field
    /// cost about a hundred instructions each (callgrind).
    private static func appendRecent(_ events: ArraySlice<Recent>, to out: inout [UInt8]) {
        put16(UInt16(events.count), &out)
        events.withUnsafeBufferPointer { list in
            var at = out.count
            out.append(contentsOf: repeatElement(0, count: 12 * list.count))
            out.withUnsafeMutableBytes { raw in
                for i in list.indices.reversed() {
                    raw.storeBytes(of: list[i].position.littleEndian, toByteOffset: at, as: UInt64.self)
                    raw.storeBytes(of: UInt32(list[i].fragment.count).littleEndian, toByteOffset: at + 8, as: UInt32.self)
                    at += 12
                }
            }
            for i in list.indices.reversed() { list[i].fragment.withUnsafeBufferPointer { out.append(contentsOf: $0) } }
        }
    }

    /// Whether `key` is the body key of `scope`.
    static func isBody(_ key: UnsafeRawBufferPointer, of scope: [UInt8]) -> Bool {
        key.count == scope.count + 1 && key[scope.count] == 0
            && scope.withUnsafeBytes { memcmp($0.baseAddress!, key.baseAddress!, scope.count) == 0 }
    }

    /// Whether a key of the context view is a body key (scopes never contain 0x00).
    static func isBodyKey(_ key: UnsafeRawBufferPointer) -> Bool { key.last == 0 }

    /// Calls `body` with the key of a scope's body, the scope path and a 0x00 byte, made on
    /// the stack (an array per key was a malloc per body read and per body written).
    static func withBodyKey<R>(_ scope: ArraySlice<UInt8>, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: scope.count + 1) { key in
            _ = scope.withUnsafeBufferPointer { key.initialize(fromContentsOf: $0) }
            key[scope.count] = 0
            return try body(UnsafeRawBufferPointer(key))
        }
    }

    /// Appends the head of the JSON answer (see the type's comment) to `out`.
    func renderHead(to out: inout [UInt8]) {
        JSONFragments.appendRaw("{\"scope\":", to: &out)
        JSONFragments.appendString(scope, to: &out)
        JSONFragments.appendRaw(",\"position\":", to: &out)
        JSONFragments.appendUInt(lastPosition, to: &out)
        JSONFragments.appendRaw(",\"events\":", to: &out)
        JSONFragments.appendUInt(events, to: &out)
        if events > 0 {
            JSONFragments.appendRaw(",\"first_time\":", to: &out)
            JSONFragments.appendTime(firstTime, to: &out)
            JSONFragments.appendRaw(",\"last_time\":", to: &out)
            JSONFragments.appendTime(lastTime, to: &out)
        }
        JSONFragments.appendRaw(",\"counts\":{", to: &out)
        for (i, k) in kinds.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONFragments.appendString(k.name, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONFragments.appendUInt(k.count, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A scope's state from its stored head and body (`nil`: not stored).
    static func decode(head: [UInt8], body: [UInt8]?, scope: ArraySlice<UInt8>) throws -> ScopeState {
        var s = try decode(head: head, scope: scope)
        if let body { try s.decodeBody(body) }
        s.bodyLoaded = true
        return s
    }

    /// A scope's state from its head alone: counters and unfolded events; the body is not
    /// loaded (`bodyLoaded` false) until `decodeBody`.
    static func decode(head: [UInt8], scope: ArraySlice<UInt8>) throws -> ScopeState {
        try decode(head: head, length: head.count, scope: scope)
    }

    /// `decode(head:scope:)` of the first `length` bytes of `head` (the rest may be the scope's).
    static func decode(head: [UInt8], length: Int, scope: ArraySlice<UInt8>) throws -> ScopeState {
        var s = ScopeState(scope: scope)
        s.bodyLoaded = false
        var r = ByteReader(bytes: head, end: length)
        guard try r.u8() == format else { throw r.failure("unknown context view format") }
        try r.skip(Int(try r.u32()))
        _ = try r.u8()
        // Room for the events this transaction may push before a fold replaces the list.
        try decodeRecent(&r, appendingTo: &s.recent, extraCapacity: 4)
        s.unfolded = s.recent.count
        s.unfoldedBytes = s.recent.reduce(0) { $0 + $1.fragment.count }
        s.events = try r.u64()
        s.firstTime = Int64(bitPattern: try r.u64())
        s.lastTime = Int64(bitPattern: try r.u64())
        s.lastPosition = try r.u64()
        let kindCount = Int(try r.u16())
        for _ in 0..<kindCount {
            let length = Int(try r.u8())
            let name = try r.slice(length)
            s.kinds.append((name, try r.u64()))
        }
        guard r.atEnd else { throw r.failure("trailing bytes") }
        return s
    }

    /// Adds the stored body's events (after the head's) and insights to a state decoded from its head.
    /// On a failure the state is left partly filled: the caller reports the view corrupt and drops it.
    mutating func decodeBody(_ body: [UInt8]) throws {
        precondition(!bodyLoaded && unfolded == recent.count && insights.isEmpty, "the body is loaded once, into a head-only state")
        var b = ByteReader(bytes: body)
        guard try b.u8() == ScopeState.format else { throw b.failure("unknown context view body format") }
        // The body's events are older than the head's: one new list, body's then head's.
        var merged: [Recent] = []
        try ScopeState.decodeRecent(&b, appendingTo: &merged, extraCapacity: recent.count + ScopeState.trimSlack + 4)
        merged.append(contentsOf: recent)
        recent = merged
        let insightCount = Int(try b.u16())
        insights.reserveCapacity(insightCount)
        var lengths: [Int] = []
        for _ in 0..<insightCount {
            let id = EventID(high: try b.u64(), low: try b.u64())
            let hash = try b.u64()
            let importance = Double(bitPattern: try b.u64())
            let position = try b.u64()
            let mentions = try b.u32()
            lengths.append(Int(try b.u32()))
            insights.append(Insight(id: id, textHash: hash, importance: importance, position: position,
                                      mentions: mentions, fragment: []))
        }
        for i in 0..<insightCount { insights[i].fragment = try b.slice(lengths[i]) }
        guard b.atEnd else { throw b.failure("trailing bytes in the body") }
        bodyLoaded = true
    }

    /// Appends a stored list of events (newest first) to `recent`, oldest first, reserving room
    /// for `extraCapacity` more. The headers are read where they are stored, twice (the
    /// fragments' total length, then each fragment from the end), rather than into an array.
    private static func decodeRecent(_ r: inout ByteReader, appendingTo recent: inout [Recent], extraCapacity: Int) throws {
        let count = Int(try r.u16())
        let headers = r.offset
        try r.skip(count * 12)
        var total = 0
        for i in 0..<count { total += Int(r.u32(at: headers + 12 * i + 8)) }
        let fragments = r.offset
        try r.skip(total)
        recent.reserveCapacity(recent.count + count + extraCapacity)
        var end = fragments + total
        for i in stride(from: count - 1, through: 0, by: -1) {
            let length = Int(r.u32(at: headers + 12 * i + 8))
            recent.append(Recent(position: r.u64(at: headers + 12 * i), fragment: r.bytes[(end - length)..<end]))
            end -= length
        }
    }
}

@inline(__always) func put16(_ v: UInt16, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
@inline(__always) func put32(_ v: UInt32, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
@inline(__always) func put64(_ v: UInt64, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }

/// Reads the little-endian fields of a stored view value, failing on truncation.
struct ByteReader {
    struct Failure: Error { var reason: String }
    let bytes: [UInt8]
    /// Where the value ends in `bytes`.
    let end: Int
    var offset = 0

    init(bytes: [UInt8], end: Int? = nil) {
        self.bytes = bytes
        self.end = min(end ?? bytes.count, bytes.count)
    }

    var atEnd: Bool { offset == end }

    func failure(_ reason: String) -> Failure { Failure(reason: "\(reason) at byte \(offset)") }

    mutating func need(_ n: Int) throws {
        if n < 0 || offset + n > end { throw failure("truncated value") }
    }
    mutating func u8() throws -> UInt8 { try need(1); defer { offset += 1 }; return bytes[offset] }
    mutating func u16() throws -> UInt16 { try need(2); defer { offset += 2 }; return bytes.withUnsafeBytes { UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) } }
    mutating func u32() throws -> UInt32 { try need(4); defer { offset += 4 }; return u32(at: offset) }
    mutating func u64() throws -> UInt64 { try need(8); defer { offset += 8 }; return u64(at: offset) }
    mutating func skip(_ n: Int) throws { try need(n); offset += n }
    /// The field at `at`, which `need` (through a `skip` over it, or `u32()`/`u64()`) has
    /// bounds-checked already.
    func u32(at: Int) -> UInt32 { bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self)) } }
    func u64(at: Int) -> UInt64 { bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) } }
    mutating func slice(_ n: Int) throws -> ArraySlice<UInt8> { try need(n); defer { offset += n }; return bytes[offset..<(offset + n)] }
}
