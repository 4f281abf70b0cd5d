/// Assembles a context answer from a scope's stored head and body (see
/// `ScopeState`): the pre-rendered head, then as many pre-rendered insights and
/// events as the query allows. No JSON is parsed and nothing is decoded beyond
/// the section lengths.
enum ContextRenderer {
    /// Section lengths of one stored value, checked against its size.
    struct Fields {
        let bytes: UnsafeRawBufferPointer
        func u16(_ o: Int) throws -> Int {
            guard o + 2 <= bytes.count else { throw ByteReader.Failure(reason: "truncated at byte \(o)") }
            return Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
        }
        func u32(_ o: Int) throws -> Int {
            guard o + 4 <= bytes.count else { throw ByteReader.Failure(reason: "truncated at byte \(o)") }
            return Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
        }
        func u64(_ o: Int) throws -> UInt64 {
            guard o + 8 <= bytes.count else { throw ByteReader.Failure(reason: "truncated at byte \(o)") }
            return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self))
        }

        /// Adds the fragments of the event list at `o` (newest first) to `recent` while
        /// fewer than `shown` events were seen; returns the offset after the list.
        func events(at o: Int, seen: inout Int, shown: Int, query: ContextQuery,
                    into recent: inout Slots) throws -> Int {
            let count = try u16(o)
            let headers = o + 2
            var f = headers + 12 * count
            guard f <= bytes.count else { throw ByteReader.Failure(reason: "event headers overrun the value") }
            let since = query.sincePosition ?? 0
            for k in 0..<count {
                let h = headers + 12 * k
                let position = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: h, as: UInt64.self))
                let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: h + 8, as: UInt32.self)))
                guard length <= bytes.count - f else { throw ByteReader.Failure(reason: "event fragment overruns the value") }
                if seen < shown && recent.count < query.maxEvents && recent.count < recent.capacity && position > since {
                    recent.append(UnsafeRawBufferPointer(rebasing: bytes[f..<(f + length)]))
                }
                seen += 1
                f += length
            }
            return f
        }
    }

    /// Fragments found in the stored values, in a stack buffer (no allocation per read).
    struct Slots {
        let base: UnsafeMutablePointer<UnsafeRawBufferPointer>
        let capacity: Int
        var count = 0
        mutating func append(_ fragment: UnsafeRawBufferPointer) {
            precondition(count < capacity)
            (base + count).initialize(to: fragment)
            count += 1
        }
        var all: UnsafeBufferPointer<UnsafeRawBufferPointer> { UnsafeBufferPointer(start: base, count: count) }
    }

    static func render(head stored: UnsafeRawBufferPointer?, body: UnsafeRawBufferPointer?,
                       scope: String, query: ContextQuery) throws -> ContextDocument {
        guard let stored, stored.count > 0 else { return empty(scope: scope) }
        // Room for what can be shown: 30 slots (480 bytes, on the stack) with the default limits.
        // (A value too short for its head is reported by the render below.)
        let headEnd = stored.count >= 5 ? 5 + Int(UInt32(littleEndian: stored.loadUnaligned(fromByteOffset: 1, as: UInt32.self))) : .max
        let events = headEnd < stored.count ? min(Int(stored[headEnd]), query.maxEvents) : 0
        let most = min(query.maxInsights, 255)
        return try withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer.self, capacity: events + most) { slots in
            var recent = Slots(base: slots.baseAddress!, capacity: events)
            var insights = Slots(base: slots.baseAddress! + events, capacity: most)
            return try render(head: stored, body: body, query: query, recent: &recent, insights: &insights)
        }
    }

    private static func render(head stored: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer?, query: ContextQuery,
                               recent: inout Slots, insights: inout Slots) throws -> ContextDocument {
        let h = Fields(bytes: stored)
        guard stored[0] == ScopeState.format else { throw ByteReader.Failure(reason: "unknown format \(stored[0])") }
        let headLength = try h.u32(1)
        let head = 5..<(5 + headLength)
        guard head.upperBound < stored.count else { throw ByteReader.Failure(reason: "truncated head") }
        let shown = Int(stored[head.upperBound])
        var seen = 0
        _ = try h.events(at: head.upperBound + 1, seen: &seen, shown: shown, query: query, into: &recent)
        if let body, body.count > 0 {
            let b = Fields(bytes: body)
            guard body[0] == ScopeState.format else { throw ByteReader.Failure(reason: "unknown body format \(body[0])") }
            var o = try b.events(at: 1, seen: &seen, shown: shown, query: query, into: &recent)
            let insightCount = try b.u16(o)
            o += 2
            var f = o + 48 * insightCount
            for _ in 0..<insightCount {
                let position = try b.u64(o + 32)
                let length = try b.u32(o + 44)
                guard f + length <= body.count else { throw ByteReader.Failure(reason: "insight fragment overruns the value") }
                if insights.count < query.maxInsights && insights.count < insights.capacity && position > (query.sincePosition ?? 0) {
                    insights.append(UnsafeRawBufferPointer(rebasing: body[f..<(f + length)]))
                }
                o += 48
                f += length
            }
        }
        // Fit the byte cap: insights first (they are the distilled knowledge), then newest events.
        let fixed = headLength + 12 + 15 + 19   // ,"recent":[ … ],"insights":[ … ],"truncated":false}
        var budget = query.maxBytes - fixed
        var truncated = budget < 0
        var keptInsights = 0, keptRecent = 0
        for fragment in insights.all {
            let cost = fragment.count + (keptInsights > 0 ? 1 : 0)
            if cost > budget { truncated = true; break }
            budget -= cost
            keptInsights += 1
        }
        for fragment in recent.all {
            let cost = fragment.count + (keptRecent > 0 ? 1 : 0)
            if cost > budget { truncated = true; break }
            budget -= cost
            keptRecent += 1
        }
        // One allocation of the exact size, filled by memcpy.
        let recentBytes = recent.all.prefix(keptRecent).reduce(0) { $0 + $1.count }
        let insightBytes = insights.all.prefix(keptInsights).reduce(0) { $0 + $1.count }
        let open = ",\"recent\":[" as StaticString, middle = "],\"insights\":[" as StaticString
        let close: StaticString = truncated ? "],\"truncated\":true}" : "],\"truncated\":false}"
        let size = headLength + open.utf8CodeUnitCount + recentBytes + max(keptRecent - 1, 0)
            + middle.utf8CodeUnitCount + insightBytes + max(keptInsights - 1, 0) + close.utf8CodeUnitCount
        let out = [UInt8](unsafeUninitializedCapacity: size) { buffer, written in
            var p = buffer.baseAddress!
            func put(_ bytes: UnsafeRawBufferPointer) {
                guard let from = bytes.baseAddress else { return }
                UnsafeMutableRawPointer(p).copyMemory(from: from, byteCount: bytes.count)
                p += bytes.count
            }
            func put(_ text: StaticString) {
                UnsafeMutableRawPointer(p).copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
                p += text.utf8CodeUnitCount
            }
            func list(_ fragments: Slice<UnsafeBufferPointer<UnsafeRawBufferPointer>>) {
                for (i, fragment) in fragments.enumerated() {
                    if i > 0 { p.pointee = UInt8(ascii: ","); p += 1 }
                    put(fragment)
                }
            }
            put(UnsafeRawBufferPointer(rebasing: stored[head]))
            put(open)
            list(recent.all.prefix(keptRecent))
            put(middle)
            list(insights.all.prefix(keptInsights))
            put(close)
            written = p - buffer.baseAddress!
            precondition(written == size, "context answer size miscounted")
        }
        return ContextDocument(json: out, truncated: truncated)
    }

    /// The `"position":N` of a stored value's pre-rendered head (0 if absent).
    static func position(inHeadOf stored: UnsafeRawBufferPointer) -> UInt64 {
        let headLength = Int(UInt32(littleEndian: stored.loadUnaligned(fromByteOffset: 1, as: UInt32.self)))
        let head = UnsafeRawBufferPointer(rebasing: stored[5..<min(5 + headLength, stored.count)])
        let key = Array(",\"position\":".utf8)
        guard head.count > key.count else { return 0 }
        var i = 0
        search: while i + key.count <= head.count {
            for k in 0..<key.count where head[i + k] != key[k] { i += 1; continue search }
            break
        }
        var v: UInt64 = 0
        var j = i + key.count
        while j < head.count, head[j] >= 0x30, head[j] <= 0x39 {
            v = v &* 10 &+ UInt64(head[j] - 0x30)
            j += 1
        }
        return v
    }

    static func empty(scope: String) -> ContextDocument {
        var out: [UInt8] = []
        JSONFragments.appendRaw("{\"scope\":", to: &out)
        JSONFragments.appendString(scope, to: &out)
        JSONFragments.appendRaw(",\"position\":0,\"events\":0,\"counts\":{},\"recent\":[],\"insights\":[],\"truncated\":false}", to: &out)
        return ContextDocument(json: out, truncated: false)
    }
}
