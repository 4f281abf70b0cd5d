@testable import ColonyContext
import Foundation
import XCTest

/// The number and time writers of the context view's fragments, against independent
/// references: Swift's own decimal description, and glibc's `gmtime_r` (proleptic
/// Gregorian calendar, 64-bit `time_t`).
final class JSONFragmentsTests: XCTestCase {
    private func written(_ write: (inout [UInt8]) -> Void) -> String {
        var out: [UInt8] = Array("x".utf8)  // a prefix, so writers must append, not overwrite
        write(&out)
        XCTAssertEqual(out.first, UInt8(ascii: "x"))
        return String(decoding: out.dropFirst(), as: UTF8.self)
    }

    func test_appendUIntWritesDecimal() {
        var values: [UInt64] = [0, 1, 9, 10, 11, 99, 100, 101, 999, 1_000, UInt64(UInt32.max), UInt64.max, UInt64.max - 1]
        for p in 0..<20 { values.append(UInt64(pow(10.0, Double(p))) - 1); values.append(UInt64(pow(10.0, Double(p)))) }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5_000 { values.append(UInt64.random(in: 0...UInt64.max, using: &rng) >> UInt64.random(in: 0...63, using: &rng)) }
        for v in values { XCTAssertEqual(written { JSONFragments.appendUInt(v, to: &$0) }, String(v), "\(v)") }
    }

    /// `"YYYY-MM-DDTHH:MM:SS.mmmZ"` from gmtime_r, the milliseconds floored.
    private func reference(_ micros: Int64) -> String {
        let millis = micros >= 0 ? micros / 1_000 : (micros - 999) / 1_000
        let seconds = millis >= 0 ? millis / 1_000 : (millis - 999) / 1_000
        let ms = millis - seconds * 1_000
        var parts = tm()
        var t = time_t(seconds)
        _ = withUnsafePointer(to: &t) { gmtime_r($0, &parts) }
        return String(format: "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(ms))
    }

    func test_appendTimeMatchesGmtime() {
        var times: [Int64] = [0, -1, 1, 999, 1_000, -1_000, -1_001, 86_400_000_000 - 1, 86_400_000_000, -86_400_000_000,
                              951_782_400_000_000,   // 2000-02-29
                              1_795_000_000_123_456, // 2026-11
                              4_107_542_400_000_000, // 2100-03-01 (2100 is not a leap year)
                              -12_219_292_800_000_000, // 1582-10-15
                              JSONFragments.minimumMicroseconds, JSONFragments.maximumMicroseconds]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            times.append(Int64.random(in: JSONFragments.minimumMicroseconds...JSONFragments.maximumMicroseconds, using: &rng))
        }
        for t in times { XCTAssertEqual(written { JSONFragments.appendTime(t, to: &$0) }, reference(t), "\(t)") }
    }

    func test_appendTimeClampsToYears1Through9999() {
        XCTAssertEqual(written { JSONFragments.appendTime(Int64.min, to: &$0) }, "\"0001-01-01T00:00:00.000Z\"")
        XCTAssertEqual(written { JSONFragments.appendTime(JSONFragments.minimumMicroseconds - 1, to: &$0) }, "\"0001-01-01T00:00:00.000Z\"")
        XCTAssertEqual(written { JSONFragments.appendTime(Int64.max, to: &$0) }, "\"9999-12-31T23:59:59.999Z\"")
        XCTAssertEqual(written { JSONFragments.appendTime(JSONFragments.maximumMicroseconds + 1, to: &$0) }, "\"9999-12-31T23:59:59.999Z\"")
    }
}
