import HTTPTypes
import XCTest
@testable import ColonyMCP

/// The header reads every HTTP request makes, written to copy nothing: they must read
/// exactly what HTTPTypes' subscript and a case-insensitive prefix check read.
final class HTTPHeaderTests: XCTestCase {
    func test_aFieldSentOnceIsItsValueAndAFieldSentTwiceIsJoinedAsTheSubscriptJoinsIt() {
        var fields = HTTPFields()
        fields.append(HTTPField(name: .contentType, value: "application/json"))
        fields.append(HTTPField(name: .origin, value: "http://localhost"))
        fields.append(HTTPField(name: .origin, value: "https://evil.example"))
        XCTAssertEqual(fields.value(.contentType), "application/json")
        XCTAssertEqual(fields.value(HTTPField.Name("CONTENT-TYPE")!), "application/json", "names match in any case")
        XCTAssertEqual(fields.value(.origin), "http://localhost, https://evil.example",
                       "a second Origin is not ignored: the guard sees both and refuses the pair")
        XCTAssertEqual(fields.value(.origin), fields[.origin])
        XCTAssertNil(fields.value(.authorization))
        XCTAssertEqual(HTTPGuard(token: nil, loopbackOnly: true).admit(origin: fields.value(.origin), host: "localhost",
                                                                       authorization: nil, path: "/mcp"),
                       .refused(.badOrigin("http://localhost, https://evil.example")))
    }

    func test_jsonContentTypesAreRecognisedInAnyCaseWithParameters() {
        for type in ["application/json", "Application/JSON", "APPLICATION/JSON; charset=utf-8", "application/json;charset=UTF-8"] {
            XCTAssertTrue(HTTPTransport.isJSON(contentType: type), type)
        }
        for type in ["", "application/jso", "text/plain", "application/x-json", " application/json", "application/jsón"] {
            XCTAssertFalse(HTTPTransport.isJSON(contentType: type), type)
        }
    }
}
