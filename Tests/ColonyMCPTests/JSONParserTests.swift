import XCTest
@testable import ColonyMCP

final class JSONParserTests: XCTestCase {
    func testParsesAndWritesBack() throws {
        let text = #"{"a":[1,-2,3.5,true,false,null],"b":"x\"y\\z\n\u00e9\ud83d\ude00","c":{}}"#
        let v = try JSONParser.parse(text)
        XCTAssertEqual(v["a"], .array([.int(1), .int(-2), .double(3.5), .bool(true), .bool(false), .null]))
        XCTAssertEqual(v["b"], .string("x\"y\\z\né😀"))
        XCTAssertEqual(try JSONParser.parse(v.jsonBytes), v)
    }

    func testRejectsWhatIsNotJSON() {
        let cases: [(String, String)] = [
            ("{", "expected a member name"), ("[1", "unterminated array"), ("[1,]", "unexpected character"), ("01", "leading zero"),
            ("{\"a\" 1}", "expected ':'"), ("\"\\x\"", "invalid escape"), ("\"\\ud800\"", "unpaired surrogate"),
            ("nul", "unexpected end"), ("1 2", "after the JSON value"), ("\"a\u{01}\"", "control character"),
        ]
        for (input, reason) in cases {
            XCTAssertThrowsError(try JSONParser.parse(input), input) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(input): \(error)")
            }
        }
    }

    func testRejectsInvalidUTF8AndDeepNesting() {
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0x61, 0xFF, 0x22])) { XCTAssertTrue("\($0)".contains("UTF-8")) }
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        XCTAssertThrowsError(try JSONParser.parse(deep)) { XCTAssertTrue("\($0)".contains("nesting")) }
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        XCTAssertNoThrow(try JSONParser.parse(ok))
    }

    func testLargeIntegersBecomeDoubles() throws {
        XCTAssertEqual(try JSONParser.parse("9223372036854775807"), .int(.max))
        XCTAssertEqual(try JSONParser.parse("-9223372036854775808"), .int(.min))
        XCTAssertEqual(try JSONParser.parse("9223372036854775808"), .double(9223372036854775808))
    }

    /// Found by FuzzMCPMessage: `1e400` parsed as infinity and was written back as
    /// `null`, so a log_event `data` holding it would have been stored changed.
    func testNumbersBeyondDoubleAreRefusedNotTurnedIntoNull() {
        for text in ["999e999999999999999", "[1e400]", #"{"x":-1e309}"#] {
            XCTAssertThrowsError(try JSONParser.parse(text), text) { error in
                XCTAssertTrue("\(error)".contains("out of range"), "\(error)")
            }
        }
        XCTAssertEqual(try JSONParser.parse("1e308"), .double(1e308), "the largest finite numbers still parse")
    }

    func testToolDefinitionsParse() {
        XCTAssertEqual(ToolCatalog.names, ["get_context", "log_event", "log_insight", "get_stats",
                                           "start_export", "start_backup", "start_verify", "start_rebuild", "get_ticket",
                                           "register_agent", "heartbeat", "create_task", "assign_task", "complete_task",
                                           "explain_assignment", "open_proposal", "cast_vote", "get_proposal", "get_swarm"])
    }
}
