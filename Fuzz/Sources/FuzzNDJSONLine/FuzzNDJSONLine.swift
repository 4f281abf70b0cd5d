import ColonyStore

/// Feeds arbitrary bytes to the NDJSON import line decoder. What must hold:
/// it returns an event or throws `NDJSONDecoder.Failure` (whose column lies within the
/// line); an event it returns has a payload, and metadata when present, that are
/// valid JSON within the store's limits, and a non-empty stream and kind; nothing crashes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNDJSONLine(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let line = Array(UnsafeBufferPointer(start: data, count: size))
    let options = StoreOptions()
    do {
        let decoded = try NDJSONDecoder.decode(line[...], options: options)
        let event = decoded.event
        precondition((try? JSONValidator.validate(event.payload)) != nil, "accepted a payload that is not JSON")
        if !event.metadata.isEmpty {
            precondition((try? JSONValidator.validate(event.metadata)) != nil, "accepted metadata that is not JSON")
        }
        precondition(event.payload.count <= options.maxPayloadBytes && event.metadata.count <= options.maxMetadataBytes)
        precondition(!event.stream.isEmpty && !event.kind.isEmpty, "accepted an empty stream or kind")
    } catch {
        if let column = error.column { precondition(column >= 1 && column <= size + 1, "column \(column) outside a \(size)-byte line") }
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzNDJSONLine_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, fuzzNDJSONLine)
}
