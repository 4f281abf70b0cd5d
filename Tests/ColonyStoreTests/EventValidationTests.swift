import ColonyStore
import Foundation
import XCTest

/// Bad input is refused with a precise error and never reaches the log.
final class EventValidationTests: StoreTestCase {
    /// Appends one good event, then `bad`; returns the `StoreError` thrown and checks the head did not move.
    private func refusal(_ bad: NewEvent, file: StaticString = #filePath, line: UInt = #line,
                         _ configure: (inout StoreOptions) -> Void = { _ in }) async throws -> StoreError? {
        let store = try openStore(configure)
        try await store.append(event("good"))
        let error = await thrownError(file: file, line: line) { try await store.append([event("good"), bad]) }
        XCTAssertEqual(try store.headPosition(), 1, "head unchanged", file: file, line: line)
        XCTAssertNotNil(error as? StoreError, "a StoreError, got \(String(describing: error))", file: file, line: line)
        return error as? StoreError
    }

    func test_emptyStreamIsRefused() async throws {
        let error = try await refusal(event(""))
        XCTAssertEqual(error, .invalidStream("", reason: "empty"))
    }

    func test_streamOf256BytesIsAccepted() async throws {
        let store = try openStore()
        let result = try await store.append(event(String(repeating: "s", count: 256)))
        XCTAssertEqual(result.positions, [1])
    }

    func test_streamOver256BytesIsRefused() async throws {
        let error = try await refusal(event(String(repeating: "s", count: 257)))
        guard case .invalidStream(_, let reason)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertTrue(reason.contains("257"), reason)
    }

    func test_streamCountsBytesNotCharacters() async throws {
        let error = try await refusal(event(String(repeating: "é", count: 129)))  // 258 bytes
        guard case .invalidStream? = error else { return XCTFail("got \(String(describing: error))") }
    }

    func test_streamWithAControlCharacterIsRefused() async throws {
        for bad in ["tab\there", "new\nline", "nul\u{0}", "del\u{7F}"] {
            let store = try openStore()
            let error = await thrownError { try await store.append(event(bad)) }
            guard case StoreError.invalidStream(_, let reason)? = error as? StoreError else {
                XCTFail("\(bad.debugDescription): got \(String(describing: error))")
                store.close()
                continue
            }
            XCTAssertTrue(reason.contains("control character"), reason)
            XCTAssertEqual(try store.headPosition(), 0)
            store.close()
        }
    }

    func test_kindOutsideTheAllowedCharactersIsRefused() async throws {
        for bad in ["", "has space", "slash/kind", "ünïcode", String(repeating: "k", count: 65)] {
            let store = try openStore()
            let error = await thrownError { try await store.append(event("s", kind: bad)) }
            guard case StoreError.invalidKind(let kind, _)? = error as? StoreError else {
                XCTFail("\(bad.debugDescription): got \(String(describing: error))")
                store.close()
                continue
            }
            XCTAssertEqual(kind, bad)
            XCTAssertEqual(try store.headPosition(), 0)
            store.close()
        }
    }

    func test_kindOfLettersDigitsDotsDashesAndUnderscoresIsAccepted() async throws {
        let store = try openStore()
        let kind = "Agent_2.task-done" + String(repeating: "x", count: 47)  // 64 bytes
        try await store.append(event("s", kind: kind))
        XCTAssertEqual(try store.event(at: 1)?.kind, kind)
    }

    func test_payloadOverTheLimitIsRefused() async throws {
        let payload = #"{"text":"\#(String(repeating: "a", count: 100))"}"#
        let error = try await refusal(event("s", payload)) { $0.maxPayloadBytes = 64 }
        XCTAssertEqual(error, .payloadTooLarge(field: "payload", sizeBytes: payload.utf8.count, limitBytes: 64))
    }

    func test_payloadAtTheLimitIsAccepted() async throws {
        let store = try openStore { $0.maxPayloadBytes = 16 }
        let payload = #"{"t":"12345678"}"#  // 16 bytes
        try await store.append(event("s", payload))
        XCTAssertEqual(try store.headPosition(), 1)
    }

    func test_metadataOverTheLimitIsRefused() async throws {
        let metadata = #"{"note":"\#(String(repeating: "m", count: 40))"}"#
        let error = try await refusal(event("s", metadata: metadata)) { $0.maxMetadataBytes = 32 }
        XCTAssertEqual(error, .payloadTooLarge(field: "metadata", sizeBytes: metadata.utf8.count, limitBytes: 32))
    }

    func test_invalidJSONPayloadIsRefusedWithTheOffset() async throws {
        let error = try await refusal(event("s", #"{"a":1,}"#))
        guard case .invalidJSON(let field, _, let offset)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(field, "payload")
        XCTAssertEqual(offset, 7)
    }

    func test_emptyPayloadIsRefused() async throws {
        let error = try await refusal(event("s", ""))
        guard case .invalidJSON(let field, _, 0)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(field, "payload")
    }

    func test_invalidUTF8InsideAJSONStringIsRefused() async throws {
        var bad = event("s")
        bad.payload = Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8)
        let error = try await refusal(bad)
        guard case .invalidJSON(let field, let reason, let offset)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(field, "payload")
        XCTAssertEqual(offset, 6)
        XCTAssertTrue(reason.contains("UTF-8"), reason)
    }

    func test_metadataThatIsNotAnObjectIsRefused() async throws {
        for bad in ["[1,2]", #""text""#, "42", "null"] {
            let store = try openStore()
            let error = await thrownError { try await store.append(event("s", metadata: bad)) }
            guard case StoreError.invalidJSON(let field, _, _)? = error as? StoreError else {
                XCTFail("\(bad): got \(String(describing: error))")
                store.close()
                continue
            }
            XCTAssertEqual(field, "metadata")
            XCTAssertEqual(try store.headPosition(), 0)
            store.close()
        }
    }

    func test_invalidJSONMetadataIsRefused() async throws {
        let error = try await refusal(event("s", metadata: #"{"a":}"#))
        guard case .invalidJSON(let field, _, let offset)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(field, "metadata")
        XCTAssertEqual(offset, 5)
    }

    func test_badInputIsNotRetryable() {
        XCTAssertFalse(StoreError.invalidStream("", reason: "empty").isRetryable)
        XCTAssertFalse(StoreError.invalidJSON(field: "payload", reason: "x", offset: 0).isRetryable)
        XCTAssertTrue(StoreError.shed.isRetryable)
        XCTAssertTrue(StoreError.overloaded(queuedEvents: 1, waitedMilliseconds: 1).isRetryable)
    }
}
