/// Reads one line of Colony's NDJSON interchange format (docs/ndjson.md) into
/// an event to append, checking it as an append would.
///
/// ```swift
/// let line = Array(#"{"id":"…","time_us":0,"stream":"s","kind":"k","payload":{}}"#.utf8)
/// let decoded = try NDJSONDecoder.decode(line[...])
/// try await store.append(decoded.event)
/// ```
///
/// Required: `id`, `stream`, `kind`, `payload`, and `time_us` or `time`.
/// `position` and `stream_version` are checked for type only: the store that
/// imports the event assigns its own. Members this schema does not define
/// are ignored, so a file written by a later build that only added members
/// still imports; a line whose `schema` is newer than 1 is refused.
public enum NDJSONDecoder {
    /// A line and what it says about where it came from.
    public struct Decoded: Sendable {
        /// The event, ready to append (its id, time and priority as in the line).
        public var event: NewEvent
        /// The `position` member: where the event was in the log it was exported from.
        public var position: UInt64?
        /// The `stream_version` member.
        public var streamVersion: UInt64?
    }

    /// Why a line was refused.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong, naming the member.
        public var reason: String
        /// The byte (from 1) of the line where JSON parsing failed, when it did.
        public var column: Int?

        public init(_ reason: String, column: Int? = nil) {
            self.reason = reason
            self.column = column
        }

        public var description: String { column.map { "\(reason) at column \($0)" } ?? reason }
    }

    /// Decodes and checks one line (without its line break). `options` gives
    /// the size limits of the store the event is meant for.
    public static func decode(_ line: ArraySlice<UInt8>, options: StoreOptions = StoreOptions()) throws(Failure) -> Decoded {
        let validation: JSONValidator.Failure? = line.withUnsafeBytes { raw in
            // One level more than an append allows: the payload sits inside the line's object.
            do throws(JSONValidator.Failure) {
                try JSONValidator.validate(raw, maxDepth: JSONValidator.defaultMaxDepth + 1)
                return nil
            } catch {
                return error
            }
        }
        if let validation { throw Failure("not valid JSON: \(validation.reason)", column: validation.offset + 1) }
        guard let members = JSONText.members(line) else { throw Failure("not a JSON object") }

        var fields: [String: Range<Int>] = [:]
        for m in members {
            let key = String(decoding: m.key, as: UTF8.self)
            if fields.updateValue(m.value, forKey: key) != nil { throw Failure("member \"\(key.prefix(64))\" appears twice") }
        }
        func raw(_ name: String) -> ArraySlice<UInt8>? { fields[name].map { line[$0] } }
        func string(_ name: String) throws(Failure) -> [UInt8]? {
            guard let value = raw(name) else { return nil }
            guard let bytes = JSONText.decodeString(value) else { throw Failure("\(name) must be a string") }
            return bytes
        }
        func integer(_ name: String, minimum: Int64) throws(Failure) -> Int64? {
            guard let value = raw(name) else { return nil }
            guard let n = JSONText.decodeInteger(value), n >= minimum else {
                throw Failure("\(name) must be an integer ≥ \(minimum), not \(String(decoding: value.prefix(40), as: UTF8.self))")
            }
            return n
        }

        if let schema = raw("schema") {
            guard let n = JSONText.decodeInteger(schema), n >= 1 else { throw Failure("schema must be a positive integer") }
            if n > NDJSONEncoder.schemaVersion {
                throw Failure("schema \(n) is newer than this build reads (\(NDJSONEncoder.schemaVersion)); upgrade colony")
            }
        }

        guard let idText = try string("id") else { throw Failure("id is missing") }
        guard let id = EventID(string: String(decoding: idText, as: UTF8.self)) else {
            throw Failure("id \"\(String(decoding: idText.prefix(40), as: UTF8.self))\" is not a UUID")
        }
        guard let streamBytes = try string("stream") else { throw Failure("stream is missing") }
        guard let stream = String(validating: streamBytes, as: UTF8.self) else { throw Failure("stream is not valid UTF-8") }
        guard let kindBytes = try string("kind") else { throw Failure("kind is missing") }
        let kind = String(decoding: kindBytes, as: UTF8.self)

        let time: Int64
        let timeText = try string("time")
        if let micros = try integer("time_us", minimum: .min) {
            if let timeText, Timestamp.parse(timeText[...]) != micros {
                throw Failure("time \"\(String(decoding: timeText.prefix(40), as: UTF8.self))\" and time_us \(micros) disagree")
            }
            time = micros
        } else if let timeText {
            guard let micros = Timestamp.parse(timeText[...]) else {
                throw Failure("time \"\(String(decoding: timeText.prefix(40), as: UTF8.self))\" is not an ISO 8601 date-time")
            }
            time = micros
        } else {
            throw Failure("time_us (or time) is missing")
        }

        let priority: NewEvent.Priority
        switch try string("priority").map({ String(decoding: $0, as: UTF8.self) }) {
        case nil, "normal"?: priority = .normal
        case "low"?: priority = .low
        case let other?: throw Failure("priority must be \"normal\" or \"low\", not \"\(other.prefix(40))\"")
        }

        guard let payload = try json("payload", shown: raw("payload"), exact: raw("payload_text")) else {
            throw Failure("payload is missing")
        }
        let metadata = try json("metadata", shown: raw("metadata"), exact: raw("metadata_text")) ?? []

        let position = try integer("position", minimum: 1).map { UInt64($0) }
        let streamVersion = try integer("stream_version", minimum: 1).map { UInt64($0) }

        let event = NewEvent(id: id, stream: stream, kind: kind, payload: payload, metadata: metadata,
                             timeMicroseconds: time, priority: priority)
        do {
            try EventValidation.check(event, options: options)
        } catch let error as StoreError {
            throw Failure(error.description)
        } catch {
            throw Failure("\(error)")
        }
        return Decoded(event: event, position: position, streamVersion: streamVersion)
    }

    /// A JSON member's bytes: `<name>_text` (the exact stored bytes) when present, else the value as it stands.
    private static func json(_ name: String, shown: ArraySlice<UInt8>?, exact: ArraySlice<UInt8>?) throws(Failure) -> [UInt8]? {
        guard let exact else { return shown.map(Array.init) }
        guard let bytes = JSONText.decodeString(exact) else { throw Failure("\(name)_text must be a string") }
        guard let shown else { throw Failure("\(name)_text needs \(name) beside it") }
        guard NDJSONEncoder.shown(bytes) == Array(shown) else {
            throw Failure("\(name)_text does not hold the same JSON as \(name)")
        }
        return bytes
    }
}
