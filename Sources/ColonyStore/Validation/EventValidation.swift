/// The checks every event passes before it reaches the writer, so bad input
/// is refused with a precise error and never touches the store.
enum EventValidation {
    static let maxStreamBytes = 256
    static let maxKindBytes = 64

    static func check(_ event: NewEvent, options: StoreOptions) throws {
        try checkStream(event.stream)
        try checkKind(event.kind)
        if event.payload.count > options.maxPayloadBytes {
            throw StoreError.payloadTooLarge(field: "payload", sizeBytes: event.payload.count, limitBytes: options.maxPayloadBytes)
        }
        if event.metadata.count > options.maxMetadataBytes {
            throw StoreError.payloadTooLarge(field: "metadata", sizeBytes: event.metadata.count, limitBytes: options.maxMetadataBytes)
        }
        do {
            try JSONValidator.validate(event.payload)
        } catch {
            throw StoreError.invalidJSON(field: "payload", reason: error.reason, offset: error.offset)
        }
        if !event.metadata.isEmpty {
            do {
                try JSONValidator.validateObject(event.metadata)
            } catch {
                throw StoreError.invalidJSON(field: "metadata", reason: error.reason, offset: error.offset)
            }
        }
    }

    static func checkStream(_ stream: String) throws {
        let bytes = stream.utf8
        if bytes.isEmpty { throw StoreError.invalidStream(stream, reason: "empty") }
        if bytes.count > maxStreamBytes {
            throw StoreError.invalidStream(stream, reason: "\(bytes.count) bytes, over the limit of \(maxStreamBytes)")
        }
        if let b = bytes.first(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw StoreError.invalidStream(stream, reason: "contains control character 0x\(String(b, radix: 16))")
        }
    }

    static func checkKind(_ kind: String) throws {
        let bytes = kind.utf8
        if bytes.isEmpty { throw StoreError.invalidKind(kind, reason: "empty") }
        if bytes.count > maxKindBytes { throw StoreError.invalidKind(kind, reason: "over \(maxKindBytes) bytes") }
        for b in bytes {
            let ok = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
            if !ok { throw StoreError.invalidKind(kind, reason: "only letters, digits, '.', '_' and '-' are allowed") }
        }
    }
}
