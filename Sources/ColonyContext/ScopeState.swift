import ColonyStore

/// The context of one scope as the projection updates it, and its stored encoding.
///
/// Stored value (all integers little-endian):
/// ```
/// u8  format (2)
/// u32 H, H bytes: the head of the JSON answer, pre-rendered:
///     {"scope":…,"position":…,"events":…,"first_time":…,"last_time":…,"counts":{…}
/// u16 R, R × (u64 position, u32 L), then the R events' JSON            newest first
/// u16 I, I × (16-byte id, u64 text hash, u64 importance bits, u64 position,
///             u32 mentions, u32 L), then the I insights' JSON          best first
/// u64 events, i64 first time µs, i64 last time µs, u64 last position
/// u16 K, K × (u8 L, L bytes of kind, u64 count)                      by kind
/// ```
/// The read path (`ContextRenderer`) uses only the first three sections, so a
/// read is one lookup and a few copies. Headers come before their fragments so
/// the reader finds every fragment from one run of adjacent headers instead of
/// hopping from fragment to fragment (a cache miss each on a large store).
struct ScopeState {
    static let format: UInt8 = 2
    static let maxKinds = 32

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
    var recent: [Recent] = []
    var insights: [Insight] = []

    init(scope: ArraySlice<UInt8>) { self.scope = scope }

    // MARK: Updates

    mutating func count(kind: ArraySlice<UInt8>, time: Int64, position: UInt64) {
        events += 1
        firstTime = min(firstTime, time)
        lastTime = max(lastTime, time)
        lastPosition = max(lastPosition, position)
        var name = kind
        if let i = kinds.firstIndex(where: { $0.name.elementsEqual(name) }) {
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

    mutating func pushRecent(position: UInt64, fragment: ArraySlice<UInt8>, limit: Int) {
        guard limit > 0 else { return }
        recent.insert(Recent(position: position, fragment: fragment), at: 0)
        if recent.count > limit { recent.removeLast(recent.count - limit) }
    }

    /// Places `insight` by rank, replacing the entry with the same text; keeps at most `limit`.
    mutating func upsert(_ insight: Insight, limit: Int) {
        insights.removeAll { $0.textHash == insight.textHash }
        let at = insights.firstIndex { insight.ranksBefore($0) } ?? insights.count
        insights.insert(insight, at: at)
        if insights.count > limit { insights.removeLast(insights.count - limit) }
    }

    /// Removes the insight with this text hash; returns whether it was shown.
    mutating func removeInsight(textHash: UInt64) -> Bool {
        let before = insights.count
        insights.removeAll { $0.textHash == textHash }
        return insights.count != before
    }

    // MARK: Encoding

    func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + recent.reduce(0) { $0 + $1.fragment.count + 12 } + insights.reduce(0) { $0 + $1.fragment.count + 52 })
        out.append(ScopeState.format)
        let head = renderHead()
        put32(UInt32(head.count), &out)
        out.append(contentsOf: head)
        put16(UInt16(recent.count), &out)
        for r in recent {
            put64(r.position, &out)
            put32(UInt32(r.fragment.count), &out)
        }
        for r in recent { out.append(contentsOf: r.fragment) }
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
        put64(events, &out)
        put64(UInt64(bitPattern: firstTime), &out)
        put64(UInt64(bitPattern: lastTime), &out)
        put64(lastPosition, &out)
        put16(UInt16(kinds.count), &out)
        for k in kinds {
            out.append(UInt8(k.name.count))
            out.append(contentsOf: k.name)
            put64(k.count, &out)
        }
        return out
    }

    func renderHead() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + scope.count + kinds.count * 24)
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
        return out
    }

    static func decode(_ bytes: [UInt8], scope: ArraySlice<UInt8>) throws -> ScopeState {
        var r = ByteReader(bytes: bytes)
        var s = ScopeState(scope: scope)
        guard try r.u8() == format else { throw r.failure("unknown context view format") }
        let headLength = Int(try r.u32())
        try r.skip(headLength)
        let recentCount = Int(try r.u16())
        s.recent.reserveCapacity(recentCount)
        var recentHeaders: [(UInt64, Int)] = []
        recentHeaders.reserveCapacity(recentCount)
        for _ in 0..<recentCount { recentHeaders.append((try r.u64(), Int(try r.u32()))) }
        for (position, length) in recentHeaders {
            s.recent.append(Recent(position: position, fragment: try r.slice(length)))
        }
        let insightCount = Int(try r.u16())
        s.insights.reserveCapacity(insightCount)
        var lengths: [Int] = []
        for _ in 0..<insightCount {
            let id = EventID(high: try r.u64(), low: try r.u64())
            let hash = try r.u64()
            let importance = Double(bitPattern: try r.u64())
            let position = try r.u64()
            let mentions = try r.u32()
            lengths.append(Int(try r.u32()))
            s.insights.append(Insight(id: id, textHash: hash, importance: importance, position: position,
                                      mentions: mentions, fragment: []))
        }
        for i in 0..<insightCount { s.insights[i].fragment = try r.slice(lengths[i]) }
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
}

@inline(__always) func put16(_ v: UInt16, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
@inline(__always) func put32(_ v: UInt32, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
@inline(__always) func put64(_ v: UInt64, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }

/// Reads the little-endian fields of a stored view value, failing on truncation.
struct ByteReader {
    struct Failure: Error { var reason: String }
    let bytes: [UInt8]
    var offset = 0

    var atEnd: Bool { offset == bytes.count }

    func failure(_ reason: String) -> Failure { Failure(reason: "\(reason) at byte \(offset)") }

    mutating func need(_ n: Int) throws {
        if n < 0 || offset + n > bytes.count { throw failure("truncated value") }
    }
    mutating func u8() throws -> UInt8 { try need(1); defer { offset += 1 }; return bytes[offset] }
    mutating func u16() throws -> UInt16 { try need(2); defer { offset += 2 }; return bytes.withUnsafeBytes { UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) } }
    mutating func u32() throws -> UInt32 { try need(4); defer { offset += 4 }; return bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) } }
    mutating func u64() throws -> UInt64 { try need(8); defer { offset += 8 }; return bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) } }
    mutating func skip(_ n: Int) throws { try need(n); offset += n }
    mutating func slice(_ n: Int) throws -> ArraySlice<UInt8> { try need(n); defer { offset += n }; return bytes[offset..<(offset + n)] }
}
