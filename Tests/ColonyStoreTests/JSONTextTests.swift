@testable import ColonyStore
import XCTest

final class JSONTextTests: XCTestCase {
    /// The byte-at-a-time scan `skipString` replaced, as the reference.
    private func referenceSkipString(_ json: ArraySlice<UInt8>, from: Int) -> Int {
        var i = from + 1
        while i < json.endIndex {
            let b = json[i]
            if b == UInt8(ascii: "\\") { i += 2; continue }
            i += 1
            if b == UInt8(ascii: "\"") { return i }
        }
        return i
    }

    func test_skipStringMatchesAByteAtATimeScanWhereverQuotesAndBackslashesFall() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("ab \"\\é€\u{7f}".utf8) + [0x00, 0x80, 0xFF, 0x21, 0x23, 0x5B, 0x5D]
        for _ in 0..<3_000 {
            let length = Int.random(in: 0...70, using: &rng)
            let body = (0..<length).map { _ -> UInt8 in
                // Mostly plain letters, so runs of eight without a quote or backslash occur.
                Int.random(in: 0..<6, using: &rng) == 0 ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0x61...0x7A, using: &rng)
            }
            let bytes = [UInt8(ascii: "x"), UInt8(ascii: "\"")] + body
            for lower in 0..<min(3, bytes.count) {
                let slice = bytes[lower...]
                for from in lower..<bytes.count {
                    XCTAssertEqual(JSONText.skipString(slice, from: from), referenceSkipString(slice, from: from),
                                   "\(bytes) from \(from) in a slice from \(lower)")
                }
            }
        }
    }

    func test_aWordHoldingAQuoteOrABackslashAnywhereIsSeen() {
        for position in 0..<8 {
            for special in [UInt8(ascii: "\""), UInt8(ascii: "\\")] {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                bytes[position] = special
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                XCTAssertTrue(JSONText.holdsQuoteOrBackslash(word), "\(special) at \(position)")
            }
        }
        for plain in [UInt8(ascii: "a"), 0x00, 0x21, 0x23, 0x5B, 0x5D, 0xFF, 0x80] {
            let word = [UInt8](repeating: plain, count: 8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            XCTAssertFalse(JSONText.holdsQuoteOrBackslash(word), "\(plain)")
        }
    }
}
