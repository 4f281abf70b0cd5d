import ColonyStore
import Foundation

/// Feeds arbitrary bytes to the JSON validator, then checks what it accepted
/// with Foundation's parser: a document the validator accepts must parse.
/// (Foundation is laxer the other way — it takes trailing commas, a byte order
/// mark, text after a NUL — so a rejection is not compared. It also refuses
/// numbers beyond Double's range and lone surrogate escapes, which RFC 8259
/// allows, so documents with long numbers or surrogate escapes are not compared.)
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONValidator(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do { try JSONValidator.validate(bytes, maxDepth: 512) } catch { return 0 }
    let text = String(decoding: bytes, as: UTF8.self).lowercased()
    var digitRun = 0, longestDigitRun = 0
    for b in bytes {
        digitRun = (b >= 0x30 && b <= 0x39) ? digitRun + 1 : 0
        longestDigitRun = max(longestDigitRun, digitRun)
    }
    if longestDigitRun > 15 || text.contains("e") && text.contains(where: \.isNumber) || text.contains("\\ud") { return 0 }
    if (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) == nil {
        preconditionFailure("validator accepted what Foundation cannot parse: \(String(decoding: bytes, as: UTF8.self))")
    }
    return 0
}

// SwiftPM links an executable's entry point as `FuzzJSONValidator_main`; hand control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzJSONValidator_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, fuzzJSONValidator)
}
