/// Writes bytes into memory sized in advance, with no bounds growth and no
/// per-append bookkeeping: the answer to a `get_context` call is assembled in
/// one allocation and one pass (the context JSON twice, once escaped as text).
struct ByteWriter {
    let base: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        base = buffer.baseAddress!
        capacity = buffer.count
    }

    @inline(__always) mutating func byte(_ b: UInt8) {
        precondition(count < capacity)
        base[count] = b
        count += 1
    }

    @inline(__always) mutating func bytes(_ source: UnsafeRawBufferPointer) {
        precondition(count + source.count <= capacity)
        if source.count > 0 { (base + count).update(from: source.baseAddress!.assumingMemoryBound(to: UInt8.self), count: source.count) }
        count += source.count
    }

    @inline(__always) mutating func bytes(_ source: [UInt8]) { source.withUnsafeBytes { bytes($0) } }

    @inline(__always) mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes(UnsafeRawBufferPointer($0)) }
    }

    /// `source` as a JSON string literal. Needs up to `6 * source.count + 2` bytes.
    ///
    /// Eight bytes at a time: a word with no byte to escape (`"`, `\` or under 0x20) is copied
    /// whole; in a word with one, the bytes before the first such byte are copied with the same
    /// eight-byte store (the writer has room: it reserves six bytes per input byte), then that
    /// byte is escaped and the next word starts right after it. The context JSON this escapes
    /// for a `get_context` answer's text has a quote every few bytes, so most words hold one.
    mutating func escaped(_ source: UnsafeRawBufferPointer) {
        precondition(count + 6 * source.count + 2 <= capacity)
        var o = count
        base[o] = UInt8(ascii: "\"")
        o += 1
        let n = source.count
        var i = 0
        // The table is read through a pointer taken once: a global's lazy-initialisation
        // check per escaped byte was a third of this loop's time.
        JSONEscapes.table.withUnsafeBufferPointer { table in
            while n - i >= 8 {
                let w = source.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                UnsafeMutableRawPointer(base + o).storeBytes(of: w, as: UInt64.self)
                let mask = JSONEscapes.escapeMask(w)
                if mask == 0 {
                    o += 8
                    i += 8
                    continue
                }
                let clean = mask.trailingZeroBitCount >> 3
                o += clean
                i += clean
                o = escapeByte(source[i], at: o, table: table)
                i += 1
            }
            while i < n {
                o = escapeByte(source[i], at: o, table: table)
                i += 1
            }
        }
        base[o] = UInt8(ascii: "\"")
        count = o + 1
    }

    /// Writes `b` at `o` as it stands in a JSON string (itself, `\X` or `\u00XX`); returns the new end.
    @inline(__always) private func escapeByte(_ b: UInt8, at o: Int, table: UnsafeBufferPointer<UInt8>) -> Int {
        let e = table[Int(b)]
        if e == 0 {
            base[o] = b
            return o + 1
        }
        base[o] = UInt8(ascii: "\\")
        if e != UInt8(ascii: "u") {
            base[o + 1] = e
            return o + 2
        }
        base[o + 1] = UInt8(ascii: "u"); base[o + 2] = UInt8(ascii: "0"); base[o + 3] = UInt8(ascii: "0")
        base[o + 4] = JSONEscapes.hex[Int(b >> 4)]; base[o + 5] = JSONEscapes.hex[Int(b & 15)]
        return o + 6
    }

    mutating func escaped(_ source: [UInt8]) { source.withUnsafeBytes { escaped($0) } }

    /// Builds an array of at most `capacity` bytes with `body`.
    static func build(capacity: Int, _ body: (inout ByteWriter) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            var w = ByteWriter(buffer)
            body(&w)
            initialized = w.count
        }
    }
}

/// For each byte: 0 if it stands for itself in a JSON string, else the letter after
/// the backslash (`u` for a `\u00XX` escape).
enum JSONEscapes {
    static let table: [UInt8] = (0..<256).map { b -> UInt8 in
        switch b {
        case 0x22: return UInt8(ascii: "\"")
        case 0x5C: return UInt8(ascii: "\\")
        case 0x0A: return UInt8(ascii: "n")
        case 0x0D: return UInt8(ascii: "r")
        case 0x09: return UInt8(ascii: "t")
        case 0..<0x20: return UInt8(ascii: "u")
        default: return 0
        }
    }
    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// The high bit of each byte lane of `w` that may need an escape (`"`, `\` or under 0x20;
    /// the classic SWAR zero-byte and less-than tests): zero exactly when none does. The lowest set lane
    /// (in memory order: `w` is loaded little-endian) is exact: a borrow in these tests only
    /// carries upward, so a lane above a real match may be marked too, never one below it.
    @inline(__always) static func escapeMask(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
        let zeroInQuote = (quote &- ones) & ~quote & highs
        let zeroInBackslash = (backslash &- ones) & ~backslash & highs
        let control = (w &- ones &* 0x20) & ~w & highs
        return zeroInQuote | zeroInBackslash | control
    }
}

/// The JSON-RPC answer to a `tools/call`, written in one pass.
enum ToolResultWriter {
    static func answer(id: JSONRPC.ID, modern: Bool, structured json: [UInt8], text: [UInt8]?) -> [UInt8] {
        let textBytes = text ?? json
        let capacity = 128 + id.json.count + 6 * textBytes.count + json.count + JSONRPC.modernTailBound
        return ByteWriter.build(capacity: capacity) { w in
            w.raw("{\"jsonrpc\":\"2.0\",\"id\":")
            w.bytes(id.json)
            w.raw(",\"result\":{\"content\":[{\"type\":\"text\",\"text\":")
            w.escaped(textBytes)
            w.raw("}],\"structuredContent\":")
            w.bytes(json)
            w.raw(",\"isError\":false")
            if modern { JSONRPC.modernTail.withUnsafeBytes { w.bytes($0) } } else { w.byte(UInt8(ascii: "}")) }
            w.byte(UInt8(ascii: "}"))
        }
    }

    static func failure(id: JSONRPC.ID, modern: Bool, message: String) -> [UInt8] {
        var out: [UInt8] = []
        JSONRPC.resultPrefix(id, to: &out)
        var result: [UInt8] = []
        JSONWriter.raw("{\"content\":[{\"type\":\"text\",\"text\":", to: &result)
        JSONWriter.string(message, to: &result)
        JSONWriter.raw("}],\"isError\":true}", to: &result)
        if modern { JSONRPC.appendModernResult(result, cacheable: false, to: &out) } else { out.append(contentsOf: result) }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
