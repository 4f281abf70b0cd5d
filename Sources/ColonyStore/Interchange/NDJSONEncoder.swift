/// Writes events as lines of Colony's NDJSON interchange format, schema 1
/// (docs/ndjson.md):
///
/// ```
/// {"position":1,"id":"0190f1c2-…","time":"2026-11-21T12:34:56.789012Z","time_us":1795264496789012,
///  "stream":"acme/api","stream_version":1,"kind":"note","metadata":{…},"payload":{…}}
/// ```
///
/// (one line per event; wrapped here). Fields always come in this order, so
/// the same log always gives the same bytes. `metadata` is left out when the
/// event has none, `priority` appears only as `"low"`, and `payload_text` /
/// `metadata_text` appear only when the stored JSON is not byte for byte what
/// the line can show (it holds line breaks or surrounding whitespace).
///
/// ```swift
/// for event in try store.read(from: 1) { FileHandle.standardOutput.write(Data(NDJSONEncoder.line(for: event))) }
/// ```
public enum NDJSONEncoder {
    /// The schema version this build writes and reads.
    public static let schemaVersion = 1

    /// The line for `event`, ending in `\n`.
    public static func line(for event: RecordedEvent) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(event.storage.count + 160)
        append(event, to: &out)
        return out
    }

    /// Appends the line for `event`, ending in `\n`, to `out`.
    public static func append(_ event: RecordedEvent, to out: inout [UInt8]) {
        event.storage.withUnsafeBytes { append(position: event.position, record: $0, layout: event.layout, to: &out) }
    }

    /// Appends the line of a validated record.
    static func append(position: UInt64, record: UnsafeRawBufferPointer, layout: EventRecord.Layout, to out: inout [UInt8]) {
        let streamVersion = UInt64(littleEndian: record.loadUnaligned(fromByteOffset: 6, as: UInt64.self))
        let time = Int64(littleEndian: record.loadUnaligned(fromByteOffset: 14, as: Int64.self))
        let id = EventID(bytes: UnsafeRawBufferPointer(rebasing: record[22..<38]))
        append(#"{"position":"#, to: &out)
        JSONText.appendInteger(position, to: &out)
        append(#","id":""#, to: &out)
        out.append(contentsOf: id.description.utf8)
        append(#"","time":""#, to: &out)
        Timestamp.append(time, to: &out)
        append(#"","time_us":"#, to: &out)
        JSONText.appendInteger(time, to: &out)
        append(#","stream":"#, to: &out)
        JSONText.appendString(UnsafeRawBufferPointer(rebasing: record[layout.streamRange]), to: &out)
        append(#","stream_version":"#, to: &out)
        JSONText.appendInteger(streamVersion, to: &out)
        append(#","kind":"#, to: &out)
        JSONText.appendString(UnsafeRawBufferPointer(rebasing: record[layout.kindRange]), to: &out)
        if record[1] & 1 == 1 { append(#","priority":"low""#, to: &out) }
        let metadata = UnsafeRawBufferPointer(rebasing: record[layout.metadataRange])
        if !metadata.isEmpty { appendJSON(metadata, name: #","metadata":"#, exactName: #","metadata_text":"#, to: &out) }
        appendJSON(UnsafeRawBufferPointer(rebasing: record[layout.payloadRange]), name: #","payload":"#,
                   exactName: #","payload_text":"#, to: &out)
        append("}\n", to: &out)
    }

    /// Writes a stored JSON value as a member; when the line cannot show its exact
    /// bytes (line breaks, surrounding whitespace), adds them as a string member too.
    private static func appendJSON(_ json: UnsafeRawBufferPointer, name: StaticString, exactName: StaticString,
                                   to out: inout [UInt8]) {
        append(name, to: &out)
        if isShownExactly(json) {
            out.append(contentsOf: json)
            return
        }
        out.append(contentsOf: shown(json))
        append(exactName, to: &out)
        JSONText.appendString(json, to: &out)
    }

    /// Whether a JSON value's bytes can stand in a line unchanged: no CR or LF
    /// (JSON allows them only as whitespace between tokens) and no surrounding whitespace.
    static func isShownExactly(_ json: some Collection<UInt8>) -> Bool {
        guard let first = json.first, !JSONText.isWhitespace(first) else { return false }
        var last = first
        for b in json {
            if b == 0x0A || b == 0x0D { return false }
            last = b
        }
        return !JSONText.isWhitespace(last)
    }

    /// The same JSON value on one line: surrounding whitespace dropped, CR and LF as spaces.
    static func shown(_ json: some Collection<UInt8>) -> [UInt8] {
        var bytes = Array(json)
        while let b = bytes.last, JSONText.isWhitespace(b) { bytes.removeLast() }
        let start = bytes.firstIndex { !JSONText.isWhitespace($0) } ?? bytes.endIndex
        return bytes[start...].map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }
    }

    @inline(__always)
    private static func append(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
}
