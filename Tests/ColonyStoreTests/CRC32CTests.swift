import ColonyStore
import Foundation
import XCTest

final class CRC32CTests: XCTestCase {
    func test_checksumOfTheStandardCheckStringIsE3069283() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
    }

    func test_checksumOfNothingIsZero() {
        XCTAssertEqual(CRC32C.checksum([]), 0)
    }

    func test_knownVectorsFromRFC3720() {
        // iSCSI (RFC 3720, B.4): 32 bytes of zeros, of ones, ascending and descending.
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map(UInt8.init)), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0..<32).reversed().map(UInt8.init)), 0x113F_DB5C)
    }

    func test_updatingInPiecesEqualsTheChecksumOfTheWhole() {
        let bytes = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for split in [0, 1, 7, 8, 9, 500, 999, 1_000] {
            let head = bytes.prefix(split).withUnsafeBytes { CRC32C.update(0, $0) }
            let whole = bytes.suffix(from: split).withUnsafeBytes { CRC32C.update(head, $0) }
            XCTAssertEqual(whole, CRC32C.checksum(bytes), "split at \(split)")
        }
    }

    func test_theTablesGiveTheKnownVectorsToo() {
        func software(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { CRC32C.software(0, $0) } }
        XCTAssertEqual(software(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(software([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(software((0..<32).map(UInt8.init)), 0x46DD_794E)
    }

    func test_theCPUsInstructionsAndTheTablesAgreeOnEveryLengthAndAlignment() throws {
        try XCTSkipUnless(CRC32C.hardware, "this CPU has no CRC-32C instructions: update uses the tables")
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<1_100).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes.withUnsafeBytes { all in
            for start in 0..<9 {
                for length in [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 50, 320, 1_024] {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    let seed = UInt32.random(in: 0...UInt32.max, using: &rng)
                    XCTAssertEqual(CRC32C.update(seed, slice), CRC32C.software(seed, slice), "start \(start), length \(length)")
                }
            }
        }
    }
}
