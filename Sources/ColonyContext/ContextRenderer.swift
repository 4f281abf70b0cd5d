/// Assembles a context answer from a stored scope value: the pre-rendered
/// head, then as many pre-rendered insights and events as the query allows.
/// No JSON is parsed and nothing is decoded beyond the section lengths.
enum ContextRenderer {
    static func render(stored: UnsafeRawBufferPointer?, scope: String, query: ContextQuery) throws -> ContextDocument {
        guard let stored, stored.count > 0 else { return empty(scope: scope) }
        let n = stored.count
        func u16(_ o: Int) throws -> Int {
            guard o + 2 <= n else { throw ByteReader.Failure(reason: "truncated at byte \(o)") }
            return Int(UInt16(littleEndian: stored.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
        }
        func u32(_ o: Int) throws -> Int {
            guard o + 4 <= n else { throw ByteReader.Failure(reason: "truncated at byte \(o)") }
            return Int(UInt32(littleEndian: stored.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
        }
        func u64(_ o: Int) throws -> UInt64 {
            guard o + 8 <= n else { throw ByteReader.Failure(reason: "truncated at byte \(o)") }
            return UInt64(littleEndian: stored.loadUnaligned(fromByteOffset: o, as: UInt64.self))
        }
        guard stored[0] == ScopeState.format else { throw ByteReader.Failure(reason: "unknown format \(stored[0])") }
        let headLength = try u32(1)
        let head = 5..<(5 + headLength)
        var o = head.upperBound
        let recentCount = try u16(o)
        o += 2
        // Fragments are (start, length) pairs; at most 255 + 255 of them.
        var recent: [(Int, Int)] = []
        recent.reserveCapacity(min(recentCount, query.maxEvents))
        var f = o + 12 * recentCount
        for _ in 0..<recentCount {
            let position = try u64(o)
            let length = try u32(o + 8)
            guard f + length <= n else { throw ByteReader.Failure(reason: "event fragment overruns the value") }
            if recent.count < query.maxEvents && position > (query.sincePosition ?? 0) { recent.append((f, length)) }
            o += 12
            f += length
        }
        o = f
        let insightCount = try u16(o)
        o += 2
        var insights: [(Int, Int)] = []
        insights.reserveCapacity(min(insightCount, query.maxInsights))
        f = o + 48 * insightCount
        for _ in 0..<insightCount {
            let position = try u64(o + 32)
            let length = try u32(o + 44)
            guard f + length <= n else { throw ByteReader.Failure(reason: "insight fragment overruns the value") }
            if insights.count < query.maxInsights && position > (query.sincePosition ?? 0) { insights.append((f, length)) }
            o += 48
            f += length
        }
        // Fit the byte cap: insights first (they are the distilled knowledge), then newest events.
        let fixed = headLength + 12 + 15 + 19   // ,"recent":[ … ],"insights":[ … ],"truncated":false}
        var budget = query.maxBytes - fixed
        var truncated = budget < 0
        var keptInsights = 0, keptRecent = 0
        for (_, length) in insights {
            let cost = length + (keptInsights > 0 ? 1 : 0)
            if cost > budget { truncated = true; break }
            budget -= cost
            keptInsights += 1
        }
        for (_, length) in recent {
            let cost = length + (keptRecent > 0 ? 1 : 0)
            if cost > budget { truncated = true; break }
            budget -= cost
            keptRecent += 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(query.maxBytes - max(budget, 0) + 1)
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: stored[head]))
        JSONFragments.appendRaw(",\"recent\":[", to: &out)
        for (i, (start, length)) in recent.prefix(keptRecent).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: stored[start..<(start + length)]))
        }
        JSONFragments.appendRaw("],\"insights\":[", to: &out)
        for (i, (start, length)) in insights.prefix(keptInsights).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: stored[start..<(start + length)]))
        }
        if truncated {
            JSONFragments.appendRaw("],\"truncated\":true}", to: &out)
        } else {
            JSONFragments.appendRaw("],\"truncated\":false}", to: &out)
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
