@testable import ColonyMCP
import Foundation
import XCTest

/// `ByteWriter.escaped` against a byte-at-a-time reference and against Foundation's JSON
/// parser: the eight-bytes-at-a-time path must write exactly what the table writes.
final class ByteWriterTests: XCTestCase {
    /// The escape as JSON defines it, one byte at a time.
    private func reference(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for b in bytes {
            switch b {
            case 0x22: out += Array(#"\""#.utf8)
            case 0x5C: out += Array(#"\\"#.utf8)
            case 0x0A: out += Array(#"\n"#.utf8)
            case 0x0D: out += Array(#"\r"#.utf8)
            case 0x09: out += Array(#"\t"#.utf8)
            case 0..<0x20: out += Array(String(format: "\\u%04x", b).utf8)
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    private func escaped(_ bytes: [UInt8]) -> [UInt8] {
        ByteWriter.build(capacity: 6 * bytes.count + 2) { $0.escaped(bytes) }
    }

    func test_everyByteAtEveryPositionOfAWord() {
        for b in 0...255 {
            for length in 1...17 {
                for at in 0..<length {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[at] = UInt8(b)
                    XCTAssertEqual(escaped(bytes), reference(bytes), "byte \(b) at \(at) of \(length)")
                }
            }
        }
    }

    func test_randomTextMatchesTheReferenceAndParsesBack() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array("abc xyz {}:,0123".utf8) + [0x22, 0x5C, 0x0A, 0x09, 0x00, 0x1F, 0x7F, 0xC3, 0xA9]
        for _ in 0..<2_000 {
            let length = Int.random(in: 0...300, using: &rng)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &rng)! }
            let out = escaped(bytes)
            XCTAssertEqual(out, reference(bytes))
            if String(validatingUTF8: bytes.map { CChar(bitPattern: $0) } + [0]) != nil, !bytes.contains(0) {
                let parsed = try JSONSerialization.jsonObject(with: Data(out), options: [.fragmentsAllowed]) as? String
                XCTAssertEqual(parsed.map { Array($0.utf8) }, bytes)
            }
        }
    }

    func test_escapeMaskIsExactForEveryByteInEveryLane() {
        for b in 0...255 {
            for lane in 0..<8 {
                let w = (UInt64(0x61) * 0x0101_0101_0101_0101) & ~(UInt64(0xFF) << (8 * lane)) | UInt64(b) << (8 * lane)
                let mask = JSONEscapes.escapeMask(w)
                let needs = b == 0x22 || b == 0x5C || b < 0x20
                XCTAssertEqual(mask != 0, needs, "byte \(b) in lane \(lane)")
                if needs { XCTAssertEqual(mask.trailingZeroBitCount >> 3, lane, "first lane marked for byte \(b) in lane \(lane)") }
            }
        }
    }
}
