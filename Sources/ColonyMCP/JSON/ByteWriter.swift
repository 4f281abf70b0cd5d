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
    /// Eight bytes at a time while none of them needs an escape (the test below is exact for
    /// `"`, `\` and bytes under 0x20), then byte by byte through the table for a word that has
    /// one: the context JSON this escapes for a `get_context` answer's text is long runs of
    /// prose between short runs of quoted keys.
    mutating func escaped(_ source: UnsafeRawBufferPointer) {
        precondition(count + 6 * source.count + 2 <= capacity)
        var o = count
        base[o] = UInt8(ascii: "\"")
        o += 1
        let table = JSONEscapes.table
        let hex = JSONEscapes.hex
        let n = source.count
        var i = 0
        while i < n {
            var stop = n
            if n - i >= 8 {
                let w = source.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if !JSONEscapes.needsEscape(w) {
                    UnsafeMutableRawPointer(base + o).storeBytes(of: w, as: UInt64.self)
                    o += 8
                    i += 8
                    continue
                }
                stop = i + 8
            }
            while i < stop {
                let b = source[i]
                let e = table[Int(b)]
                if e == 0 {
                    base[o] = b
                    o += 1
                } else if e != UInt8(ascii: "u") {
                    base[o] = UInt8(ascii: "\\")
                    base[o + 1] = e
                    o += 2
                } else {
                    base[o] = UInt8(ascii: "\\"); base[o + 1] = UInt8(ascii: "u")
                    base[o + 2] = UInt8(ascii: "0"); base[o + 3] = UInt8(ascii: "0")
                    base[o + 4] = hex[Int(b >> 4)]; base[o + 5] = hex[Int(b & 15)]
                    o += 6
                }
                i += 1
            }
        }
        base[o] = UInt8(ascii: "\"")
        count = o + 1
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

    /// Whether any of the eight bytes of `w` is `"`, `\` or under 0x20 (exact, no false
    /// positives: the classic SWAR zero-byte and less-than tests).
    @inline(__always) static func needsEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
        let zeroInQuote = (quote &- ones) & ~quote & highs
        let zeroInBackslash = (backslash &- ones) & ~backslash & highs
        let control = (w &- ones &* 0x20) & ~w & highs
        return (zeroInQuote | zeroInBackslash | control) != 0
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
