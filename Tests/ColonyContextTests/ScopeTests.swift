import ColonyContext
import XCTest

final class ScopeTests: XCTestCase {
    func test_validScopeHasLineageFromRootDown() throws {
        XCTAssertEqual(try Scope("acme/api/s1").lineage, ["acme", "acme/api", "acme/api/s1"])
        XCTAssertEqual(try Scope("solo").lineage, ["solo"])
    }

    func test_invalidScopesAreRefusedWithAReason() {
        let bad: [(String, String)] = [
            ("", "empty"), ("a//b", "empty segment"), ("/a", "empty segment"), ("a/", "empty segment"),
            ("a/../b", "'.' and '..'"), ("a:b", "reserved"), ("a\u{7}b", "control"), (" a/b", "space"),
            (String(repeating: "x", count: 257), "over the limit"),
            (Array(repeating: "s", count: 17).joined(separator: "/"), "segments"),
        ]
        for (scope, reason) in bad {
            XCTAssertThrowsError(try Scope(scope), "\(scope) should be refused") { error in
                guard case ContextError.invalidScope(_, let r) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(r.contains(reason), "\(scope): \(r) should mention \(reason)")
            }
        }
    }

    func test_scopeBytesMustBeUTF8() {
        XCTAssertThrowsError(try Scope(bytes: [0x61, 0xFF, 0x62])) { error in
            guard case ContextError.invalidScope(_, let r) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(r.contains("UTF-8"))
        }
    }

    func test_insightTextNormalisationIgnoresCaseSpacingAndFinalPunctuation() {
        XCTAssertEqual(InsightText.normalize("  Migrations   FIRST!! "), "migrations first")
        XCTAssertEqual(InsightText.normalize("migrations first."), "migrations first")
        XCTAssertNotEqual(InsightText.normalize("migrations first"), InsightText.normalize("migrations last"))
    }
}
