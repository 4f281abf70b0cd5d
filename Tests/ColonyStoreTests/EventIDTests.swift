import ColonyStore
import Foundation
import XCTest

final class EventIDTests: XCTestCase {
    func test_printedIDParsesBackToTheSameID() {
        for _ in 0..<100 {
            let id = EventID()
            XCTAssertEqual(EventID(string: id.description), id)
        }
    }

    func test_printsAsLowerCaseUUIDText() {
        let id = EventID(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
        XCTAssertEqual(id.description, "01234567-89ab-cdef-fedc-ba9876543210")
    }

    func test_parsesWithOrWithoutDashesInAnyCase() {
        let expected = EventID(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
        XCTAssertEqual(EventID(string: "01234567-89ab-cdef-fedc-ba9876543210"), expected)
        XCTAssertEqual(EventID(string: "0123456789ABCDEFFEDCBA9876543210"), expected)
        XCTAssertEqual(EventID(string: "01234567-89AB-cdef-FEDC-ba9876543210"), expected)
    }

    func test_rejectsStringsThatAreNot32HexDigits() {
        let bad = ["", "0123", "01234567-89ab-cdef-fedc-ba987654321",  // 31 digits
                   "01234567-89ab-cdef-fedc-ba98765432100",  // 33 digits
                   "01234567-89ab-cdef-fedc-ba987654321g", "{01234567-89ab-cdef-fedc-ba9876543210}",
                   " 01234567-89ab-cdef-fedc-ba9876543210", "01234567 89ab cdef fedc ba9876543210",
                   "0123456-789ab-cdef-fedc-ba9876543210", "0-123456789abcdeffedcba9876543210"]  // dashes out of place
        for text in bad { XCTAssertNil(EventID(string: text), text) }
    }

    func test_bytesAreSixteenBigEndianBytesAndRoundTrip() {
        let id = EventID(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10)
        XCTAssertEqual(id.bytes, Array(1...16))
        XCTAssertEqual(id.bytes.withUnsafeBytes { EventID(bytes: $0) }, id)
    }

    func test_newIDsHaveTheUUIDv7Layout() {
        let id = EventID()
        XCTAssertEqual((id.high >> 12) & 0xF, 7, "version nibble")
        XCTAssertEqual(id.low >> 62, 0b10, "RFC 4122 variant")
        let millis = UInt64(Date().timeIntervalSince1970 * 1000)
        let stamped = id.high >> 16
        XCTAssertLessThanOrEqual(stamped, millis)
        XCTAssertGreaterThan(stamped, millis - 10_000)
    }

    func test_newIDsAreDistinct() {
        let ids = (0..<10_000).map { _ in EventID() }
        XCTAssertEqual(Set(ids).count, 10_000)
    }

    /// The random bits come from a shared pool refilled 256 ids at a time: ids made on many
    /// threads at once, across many refills, never repeat.
    func test_newIDsMadeOnManyThreadsAtOnceAreDistinct() {
        let threads = 8, each = 5_000
        let lock = NSLock()
        nonisolated(unsafe) var all: [EventID] = []
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let ids = (0..<each).map { _ in EventID() }
            lock.lock()
            all.append(contentsOf: ids)
            lock.unlock()
        }
        XCTAssertEqual(all.count, threads * each)
        XCTAssertEqual(Set(all).count, threads * each)
        XCTAssertEqual(Set(all.map { $0.low }).count, threads * each, "the random low words repeat")
    }

    func test_idsOrderByTheirBytes() {
        let a = EventID(high: 1, low: .max)
        let b = EventID(high: 2, low: 0)
        XCTAssertLessThan(a, b)
        XCTAssertTrue(a.bytes.lexicographicallyPrecedes(b.bytes))
    }
}
