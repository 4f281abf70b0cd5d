import ColonyStore

/// Feeds arbitrary bytes to the event record decoder: it must either return an
/// event whose fields lie inside the record, or throw `corruptRecord`; never crash.
/// For inputs whose last byte is odd, the checksum is fixed up first, so the
/// fuzzer reaches the structural checks behind it rather than stopping at the CRC.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventRecord(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let position: UInt64 = 1  // the seed corpus holds records stored at position 1
    if size >= 6, let last = bytes.last, last & 1 == 1 {
        var crc = withUnsafeBytes(of: position.bigEndian) { CRC32C.update(0, $0) }
        crc = bytes.withUnsafeBytes { raw in
            let head = CRC32C.update(crc, UnsafeRawBufferPointer(rebasing: raw[0..<2]))
            return CRC32C.update(head, UnsafeRawBufferPointer(rebasing: raw[6...]))
        }
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[2 + i] = $0[i] } }
    }
    do {
        let event = try bytes.withUnsafeBytes { try EventRecord.decode(position: position, record: $0) }
        precondition(event.payload.count + event.metadata.count + event.kindBytes.count + event.streamBytes.count <= size)
        _ = event.kind
        _ = event.stream
        _ = event.id
        _ = event.streamVersion
    } catch StoreError.corruptRecord {
        // expected for almost every input
    } catch {
        preconditionFailure("unexpected error \(error)")
    }
    return 0
}

// SwiftPM links an executable's entry point as `FuzzEventRecord_main`; hand control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzEventRecord_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, fuzzEventRecord)
}
