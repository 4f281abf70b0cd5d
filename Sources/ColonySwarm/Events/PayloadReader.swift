import ColonyStore

/// Reads members of a swarm event's payload (JSON the store validated) without a
/// general-purpose decoder. A missing or mistyped member reads as `nil`; the
/// projection then ignores the event, so hand-written events cannot break the view.
struct PayloadReader {
    private let json: ArraySlice<UInt8>
    private var members: [(key: ArraySlice<UInt8>, value: Range<Int>)] = []

    init(_ json: ArraySlice<UInt8>) {
        self.json = json
        var i = json.startIndex
        let end = json.endIndex
        func skipWhitespace() { while i < end, json[i] == 0x20 || json[i] == 0x0A || json[i] == 0x0D || json[i] == 0x09 { i += 1 } }
        skipWhitespace()
        guard i < end, json[i] == UInt8(ascii: "{") else { return }
        i += 1
        while true {
            skipWhitespace()
            guard i < end, json[i] != UInt8(ascii: "}") else { return }
            if json[i] == UInt8(ascii: ",") { i += 1; skipWhitespace() }
            guard i < end, json[i] == UInt8(ascii: "\"") else { return }
            let keyStart = i
            i = JSONText.skipString(json, from: i)
            let key = json[(keyStart + 1)..<max(i - 1, keyStart + 1)]
            skipWhitespace()
            i += 1  // ':'
            skipWhitespace()
            let valueStart = i
            i = JSONText.skipValue(json, from: i)
            members.append((key, valueStart..<i))
        }
    }

    private func raw(_ name: String) -> ArraySlice<UInt8>? {
        for m in members where m.key.elementsEqual(name.utf8) { return json[m.value] }
        return nil
    }

    func string(_ name: String) -> String? {
        raw(name).flatMap { JSONText.decodeString($0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    func number(_ name: String) -> Double? {
        guard let r = raw(name), let first = r.first, first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39) else { return nil }
        return Double(String(decoding: r, as: UTF8.self))
    }

    func integer(_ name: String) -> Int64? {
        guard let d = number(name), d.rounded() == d, abs(d) < 9e15 else { return nil }
        return Int64(d)
    }

    func bool(_ name: String) -> Bool? {
        guard let r = raw(name) else { return nil }
        if r.elementsEqual("true".utf8) { return true }
        if r.elementsEqual("false".utf8) { return false }
        return nil
    }

    func strings(_ name: String) -> [String]? {
        guard let r = raw(name), r.first == UInt8(ascii: "[") else { return nil }
        var out: [String] = []
        var i = r.startIndex + 1
        while i < r.endIndex {
            let b = r[i]
            if b == UInt8(ascii: "\"") {
                let end = JSONText.skipString(r, from: i)
                guard let s = JSONText.decodeString(r[i..<end]) else { return nil }
                out.append(String(decoding: s, as: UTF8.self))
                i = end
            } else if b == UInt8(ascii: "]") {
                return out
            } else if b == UInt8(ascii: ",") || b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 {
                i += 1
            } else {
                return nil
            }
        }
        return nil
    }
}
