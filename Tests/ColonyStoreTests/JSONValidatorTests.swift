import ColonyStore
import Foundation
import XCTest

final class JSONValidatorTests: XCTestCase {
    private func failure(_ bytes: [UInt8], maxDepth: Int = JSONValidator.defaultMaxDepth) -> JSONValidator.Failure? {
        do {
            try JSONValidator.validate(bytes, maxDepth: maxDepth)
            return nil
        } catch {
            return error
        }
    }

    private func failure(_ text: String) -> JSONValidator.Failure? { failure(Array(text.utf8)) }

    func test_acceptsEveryKindOfJSONValue() {
        let valid = [
            "{}", "[]", "0", "-0", "12", "-3.25", "1e10", "1E+2", "2.5e-3", "true", "false", "null",
            #""""#, #""text""#, #"{"a":[1,{"b":null}],"c":"d"}"#, " \t\r\n[ 1 , 2 ]\n ",
            #""escapes \" \\ \/ \b \f \n \r \t \u00e9 \uD83D\uDE00""#,
            "\"héllo wörld ✓ 𝄞\"",
        ]
        for text in valid { XCTAssertNil(failure(text), "\(text) is valid JSON") }
    }

    /// Strings are scanned eight bytes at a time while all eight are plain ASCII: a byte that
    /// needs a look is found wherever it falls in or across those words, with the offset the
    /// byte-at-a-time scan gives.
    func test_aByteThatNeedsALookIsFoundAtEveryOffsetOfAString() {
        let plain = Array(repeating: UInt8(ascii: "a"), count: 24)
        func string(_ inner: [UInt8]) -> [UInt8] { [UInt8(ascii: "\"")] + inner + [UInt8(ascii: "\"")] }
        func described(_ bytes: [UInt8]) -> String? { failure(bytes).map { "\($0.reason)@\($0.offset)" } }
        for k in 0..<20 {
            func with(_ bytes: [UInt8]) -> [UInt8] { string(Array(plain[..<k]) + bytes + Array(plain[k...])) }
            let at = 1 + k  // offset of the inserted bytes
            for c: UInt8 in 0..<0x20 {
                XCTAssertEqual(described(with([c])), "control character in string@\(at)", "0x\(c) at \(k)")
            }
            XCTAssertNil(failure(with([0x7F])), "DEL at \(k) needs no escape")
            XCTAssertNil(failure(with(Array(#"\n"#.utf8))), "an escape at \(k)")
            XCTAssertNil(failure(with(Array(#"\u00e9"#.utf8))), "a \\u escape at \(k)")
            XCTAssertEqual(failure(with(Array(#"\x"#.utf8)))?.offset, at + 1, "a bad escape at \(k)")
            XCTAssertEqual(described(with([UInt8(ascii: "\"")])), "unexpected data after the JSON value@\(at + 1)",
                           "a quote at \(k) ends the string")
            XCTAssertNil(failure(with(Array("é✓𝄞".utf8))), "UTF-8 at \(k)")
            XCTAssertEqual(described(with([0xC3, 0x28])), "invalid UTF-8@\(at + 1)", "a bad continuation at \(k)")
            XCTAssertEqual(described(with([0x80])), "invalid UTF-8@\(at)", "a stray continuation at \(k)")
            XCTAssertEqual(failure([UInt8(ascii: "\"")] + Array(plain[..<k]))?.reason, "unterminated string", "unterminated after \(k)")
        }
    }

    func test_rejectsTrailingGarbageAtItsOffset() {
        XCTAssertEqual(failure("{} x")?.offset, 3)
        XCTAssertEqual(failure("1 2")?.offset, 2)
        XCTAssertEqual(failure("[1]]")?.offset, 3)
    }

    func test_rejectsLeadingZeros() {
        XCTAssertEqual(failure("01")?.offset, 1)
        XCTAssertNotNil(failure("[-01]"))
        XCTAssertNotNil(failure(#"{"a":007}"#))
    }

    func test_rejectsMalformedNumbers() {
        for text in ["-", "1.", ".5", "1e", "1e+", "+1", "0x10", "NaN", "Infinity", "1.2.3"] {
            XCTAssertNotNil(failure(text), "\(text) is not JSON")
        }
    }

    func test_rejectsBadEscapes() {
        XCTAssertEqual(failure(#""\x41""#)?.offset, 2)
        XCTAssertEqual(failure(#""\u12G4""#)?.offset, 5)
        XCTAssertNotNil(failure(#""\u12""#))
        XCTAssertNotNil(failure(#""\"#))
        XCTAssertNotNil(failure(#""\'""#))
    }

    func test_rejectsControlCharactersInStrings() {
        XCTAssertEqual(failure("\"a\tb\"")?.offset, 2)
        XCTAssertEqual(failure([0x22, 0x00, 0x22])?.offset, 1)
    }

    func test_rejectsOverlongUTF8() {
        XCTAssertEqual(failure([0x22, 0xC0, 0xAF, 0x22])?.offset, 1, "2-byte overlong of '/'")
        XCTAssertEqual(failure([0x22, 0xC1, 0xBF, 0x22])?.offset, 1)
        XCTAssertEqual(failure([0x22, 0xE0, 0x80, 0xAF, 0x22])?.offset, 2, "3-byte overlong")
        XCTAssertEqual(failure([0x22, 0xF0, 0x80, 0x80, 0xAF, 0x22])?.offset, 2, "4-byte overlong")
    }

    func test_rejectsEncodedSurrogates() {
        XCTAssertEqual(failure([0x22, 0xED, 0xA0, 0x80, 0x22])?.offset, 2, "U+D800 encoded in UTF-8")
        XCTAssertNotNil(failure([0x22, 0xED, 0xBF, 0xBF, 0x22]), "U+DFFF encoded in UTF-8")
        XCTAssertNil(failure([0x22, 0xED, 0x9F, 0xBF, 0x22]), "U+D7FF is fine")
    }

    func test_rejectsCodePointsAboveU10FFFF() {
        XCTAssertNotNil(failure([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22]))
        XCTAssertNotNil(failure([0x22, 0xF5, 0x80, 0x80, 0x80, 0x22]))
        XCTAssertNil(failure([0x22, 0xF4, 0x8F, 0xBF, 0xBF, 0x22]), "U+10FFFF is fine")
    }

    func test_rejectsTruncatedAndStrayUTF8() {
        XCTAssertNotNil(failure([0x22, 0xE2, 0x82, 0x22]), "truncated 3-byte sequence")
        XCTAssertNotNil(failure([0x22, 0x80, 0x22]), "stray continuation byte")
        XCTAssertNotNil(failure([0x22, 0xFF, 0x22]))
        XCTAssertNotNil(failure([0x22, 0xE2, 0x82]), "sequence cut by the end of input")
    }

    func test_acceptsNestingUpToTheDepthLimit() {
        let depth = JSONValidator.defaultMaxDepth
        XCTAssertNil(failure(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)))
        XCTAssertNil(failure(String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)))
    }

    func test_rejectsNestingBeyondTheDepthLimit() {
        let depth = JSONValidator.defaultMaxDepth + 1
        let deep = failure(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
        XCTAssertEqual(deep?.offset, depth - 1)
        XCTAssertTrue(deep?.reason.contains("nesting") ?? false)
        XCTAssertNotNil(failure(Array("[[[1]]]".utf8), maxDepth: 2))
        XCTAssertNil(failure(Array("[[1]]".utf8), maxDepth: 2))
    }

    func test_rejectsStructuralErrors() {
        for text in ["", " ", "{", "[", "[1,]", "{\"a\"}", "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "[1 2]", "tru", "nul", "True", "'a'", "\"open"] {
            XCTAssertNotNil(failure(text), "\(text.debugDescription) is not JSON")
        }
    }

    func test_validateObjectAcceptsOnlyObjects() {
        XCTAssertNoThrow(try JSONValidator.validateObject(Array(#" {"a":1}"#.utf8)))
        for text in ["[]", "1", "\"s\"", "null"] {
            XCTAssertThrowsError(try JSONValidator.validateObject(Array(text.utf8)), text)
        }
    }
}
