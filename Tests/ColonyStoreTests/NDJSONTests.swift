import ColonyStore
import Foundation
import XCTest

final class NDJSONTests: StoreTestCase {
    /// A second store directory, removed in tearDown with the first.
    private func otherStorePath(_ name: String = "other") -> String {
        directory.appendingPathComponent(name).path
    }

    /// Events that exercise every field: metadata, low priority, escapes, Unicode,
    /// a negative time, and payloads whose exact bytes a line cannot show as they are.
    private func variedEvents() -> [NewEvent] {
        var out: [NewEvent] = []
        out.append(NewEvent(stream: "acme/api", kind: "note", payload: Array(#"{"text":"plain"}"#.utf8),
                            timeMicroseconds: 1_795_273_206_790_327))
        out.append(NewEvent(stream: "acme/api", kind: "note", payload: Array(#"{"text":"with \"quotes\", \\ and \n"}"#.utf8),
                            metadata: Array(#"{"agent":"claude","n":1}"#.utf8), timeMicroseconds: 1))
        out.append(NewEvent(stream: "ünïcødé/scope \u{1F41C}", kind: "k.1_-", payload: Array(#"[1,2.5e3,null,true]"#.utf8),
                            timeMicroseconds: -1_234_567))
        out.append(NewEvent(stream: "swarm:agents", kind: "low", payload: Array(#""a string""#.utf8), priority: .low))
        out.append(NewEvent(stream: "acme/web", kind: "pretty", payload: Array("{\n  \"a\": [1,\r\n 2]\n}".utf8),
                            metadata: Array(" {\"m\":\n1} ".utf8)))
        out.append(NewEvent(stream: "acme/web", kind: "spaced", payload: Array("  {\"a\":1}\t".utf8)))
        out.append(NewEvent(stream: "acme", kind: "tabs", payload: Array("{\"a\":\t1}".utf8)))
        return out
    }

    private func exportAll(_ store: ColonyStore, filter: EventFilter = EventFilter()) throws -> [UInt8] {
        var out: [UInt8] = []
        _ = try NDJSONExporter(filter: filter).export(from: store) { out.append(contentsOf: $0) }
        return out
    }

    private func importBytes(_ bytes: [UInt8], into store: ColonyStore,
                             _ configure: (inout NDJSONImporter.Options) -> Void = { _ in }) async throws -> NDJSONImporter.Summary {
        let file = directory.appendingPathComponent("input-\(UUID().uuidString).ndjson")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        var options = NDJSONImporter.Options()
        configure(&options)
        return try await NDJSONImporter(store: store, options: options).importFile(atPath: file.path)
    }

    // MARK: Round trip

    func test_exportImportIntoAnEmptyStoreThenExportGivesTheSameBytes() async throws {
        let source = try openStore()
        for e in variedEvents() { try await source.append(e) }
        try await source.append(events("bulk", count: 2_500))
        let first = try exportAll(source)

        let target = try ColonyStore.open(at: otherStorePath())
        defer { target.close() }
        let summary = try await importBytes(first, into: target)
        let second = try exportAll(target)

        XCTAssertEqual(summary.imported, 2_507)
        XCTAssertEqual(summary.duplicates, 0)
        XCTAssertEqual(summary.batches, 3)
        XCTAssertTrue(summary.isComplete)
        XCTAssertEqual(second.count, first.count)
        XCTAssertTrue(second == first, "the second export differs from the first")
    }

    func test_importedEventsKeepIDTimePriorityMetadataAndExactPayloadBytes() async throws {
        let source = try openStore()
        let originals = variedEvents()
        try await source.append(originals)
        let target = try ColonyStore.open(at: otherStorePath())
        defer { target.close() }

        _ = try await importBytes(try exportAll(source), into: target)

        let imported = try target.read(from: 1)
        XCTAssertEqual(imported.count, originals.count)
        for (e, o) in zip(imported, originals) {
            XCTAssertEqual(e.id, o.id)
            XCTAssertEqual(e.timeMicroseconds, o.timeMicroseconds)
            XCTAssertEqual(e.priority, o.priority)
            XCTAssertEqual(e.stream, o.stream)
            XCTAssertEqual(e.kind, o.kind)
            XCTAssertEqual(Array(e.metadata), o.metadata)
            XCTAssertEqual(Array(e.payload), o.payload, "payload of \(e.kind)")
        }
        XCTAssertEqual(try target.read(from: 1).map(\.position), try source.read(from: 1).map(\.position))
        XCTAssertEqual(try target.read(from: 1).map(\.streamVersion), try source.read(from: 1).map(\.streamVersion))
    }

    func test_eachLineIsOneEventWithTheDocumentedMembersInOrder() async throws {
        let store = try openStore()
        let id = EventID(string: "01a1fe9f-2c02-70e2-b8be-1e756691d070")!
        try await store.append(NewEvent(id: id, stream: "acme/api", kind: "note", payload: Array(#"{"text":"hi"}"#.utf8),
                                        metadata: Array(#"{"agent":"a"}"#.utf8), timeMicroseconds: 1_795_273_206_790_327))
        try await store.append(NewEvent(stream: "s", kind: "k", payload: Array("{\n}".utf8), timeMicroseconds: 0, priority: .low))

        let lines = String(decoding: try exportAll(store), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)

        XCTAssertEqual(lines.count, 3, "two lines, each ending in a line break")
        XCTAssertEqual(lines[0], #"{"position":1,"id":"01a1fe9f-2c02-70e2-b8be-1e756691d070","time":"2026-11-21T15:00:06.790327Z","time_us":1795273206790327,"stream":"acme/api","stream_version":1,"kind":"note","metadata":{"agent":"a"},"payload":{"text":"hi"}}"#)
        XCTAssertTrue(lines[1].hasPrefix(#"{"position":2,"#))
        XCTAssertTrue(lines[1].hasSuffix(#""time":"1970-01-01T00:00:00.000000Z","time_us":0,"stream":"s","stream_version":1,"kind":"k","priority":"low","payload":{ },"payload_text":"{\n}"}"#), String(lines[1]))
        XCTAssertEqual(lines[2], "")
    }

    // MARK: Idempotency and batches

    func test_importingTheSameFileTwiceWritesNothingTheSecondTime() async throws {
        let source = try openStore()
        try await source.append(events("s", count: 30))
        let file = try exportAll(source)
        let target = try ColonyStore.open(at: otherStorePath())
        defer { target.close() }

        let first = try await importBytes(file, into: target)
        let second = try await importBytes(file, into: target)

        XCTAssertEqual(first.imported, 30)
        XCTAssertEqual(second.imported, 0)
        XCTAssertEqual(second.duplicates, 30)
        XCTAssertEqual(try target.headPosition(), 30)
    }

    func test_importIntoTheSourceStoreIsAllDuplicates() async throws {
        let store = try openStore()
        try await store.append(variedEvents())
        let summary = try await importBytes(try exportAll(store), into: store)
        XCTAssertEqual(summary.duplicates, variedEvents().count)
        XCTAssertEqual(summary.imported, 0)
        XCTAssertEqual(try store.headPosition(), UInt64(variedEvents().count))
    }

    func test_everyBadLineIsReportedByNumberAndNothingFromItsBatchOnIsWritten() async throws {
        let source = try openStore()
        try await source.append(events("s", count: 10))
        var lines = String(decoding: try exportAll(source), as: UTF8.self).split(separator: "\n").map(String.init)
        lines[4] = "{not json"                                       // line 5, batch 2 (lines 4-6)
        lines[7] = lines[7].replacingOccurrences(of: #""kind":"test.event""#, with: #""kind":"bad kind!""#)  // line 8
        lines.insert("", at: 2)                                      // a blank line 3: skipped, but counted in numbering
        let target = try ColonyStore.open(at: otherStorePath())
        defer { target.close() }

        let summary = try await importBytes(Array((lines.joined(separator: "\n") + "\n").utf8), into: target) { $0.batchLines = 3 }

        XCTAssertEqual(summary.errors.map(\.line), [6, 9])
        XCTAssertTrue(summary.errors[0].message.contains("not valid JSON"), summary.errors[0].message)
        XCTAssertTrue(summary.errors[1].message.contains("kind"), summary.errors[1].message)
        XCTAssertEqual(summary.invalidLines, 2)
        XCTAssertEqual(summary.lines, 10)
        XCTAssertEqual(summary.imported, 3, "only the first batch, lines 1, 2 and 4")
        XCTAssertEqual(summary.firstLineNotImported, 5)
        XCTAssertFalse(summary.isComplete)
        XCTAssertEqual(try target.headPosition(), 3)
    }

    func test_reportedErrorsAreCappedButAllCounted() async throws {
        let store = try openStore()
        let bad = Array(String(repeating: "nope\n", count: 50).utf8)
        let summary = try await importBytes(bad, into: store) { $0.maxReportedErrors = 7 }
        XCTAssertEqual(summary.errors.count, 7)
        XCTAssertEqual(summary.invalidLines, 50)
        XCTAssertEqual(try store.headPosition(), 0)
    }

    func test_anIDAlreadyStoredWithOtherContentIsABadLine() async throws {
        let store = try openStore()
        let id = EventID()
        try await store.append(NewEvent(id: id, stream: "s", kind: "k", payload: Array(#"{"v":1}"#.utf8)))
        let line = #"{"id":"\#(id)","time_us":0,"stream":"s","kind":"k","payload":{"v":2}}"#

        let summary = try await importBytes(Array((line + "\n").utf8), into: store)

        XCTAssertEqual(summary.errors.map(\.line), [1])
        XCTAssertTrue(summary.errors.first?.message.contains("already in the store at position 1") == true, "\(summary.errors)")
        XCTAssertEqual(try store.headPosition(), 1)
    }

    func test_theSameIDTwiceInAFileWithOtherContentIsABadLine() async throws {
        let store = try openStore()
        let id = EventID()
        let a = #"{"id":"\#(id)","time_us":0,"stream":"s","kind":"k","payload":1}"#
        let b = #"{"id":"\#(id)","time_us":0,"stream":"s","kind":"k","payload":2}"#

        let summary = try await importBytes(Array("\(a)\n\(a)\n\(b)\n".utf8), into: store)

        XCTAssertEqual(summary.errors.map(\.line), [3])
        XCTAssertTrue(summary.errors.first?.message.contains("also on line 1") == true, "\(summary.errors)")
        XCTAssertEqual(try store.headPosition(), 0)
    }

    func test_aLineLongerThanTheLimitIsABadLine() async throws {
        let store = try openStore()
        let long = #"{"id":"\#(EventID())","time_us":0,"stream":"s","kind":"k","payload":"\#(String(repeating: "x", count: 500))"}"#
        let short = #"{"id":"\#(EventID())","time_us":0,"stream":"s","kind":"k","payload":1}"#

        let summary = try await importBytes(Array("\(short)\n\(long)\n\(short)".utf8), into: store) { $0.maxLineBytes = 200 }

        XCTAssertEqual(summary.errors.map(\.line), [2])
        XCTAssertTrue(summary.errors.first?.message.contains("longer than the limit of 200") == true, "\(summary.errors)")
    }

    // MARK: Filters

    func test_exportFiltersBySincePositionScopeAndStreamPrefix() async throws {
        let store = try openStore()
        try await store.append([event("acme"), event("acme/api"), event("acme2"), event("swarm:a"), event("acme/api/x")])

        func positions(_ filter: EventFilter) throws -> [String] {
            String(decoding: try exportAll(store, filter: filter), as: UTF8.self).split(separator: "\n").map {
                String($0.split(separator: ",")[0].dropFirst(#"{"position":"#.count))
            }
        }

        XCTAssertEqual(try positions(EventFilter(afterPosition: 3)), ["4", "5"])
        XCTAssertEqual(try positions(EventFilter(scope: "acme")), ["1", "2", "5"])
        XCTAssertEqual(try positions(EventFilter(streamPrefix: "acme")), ["1", "2", "3", "5"])
        XCTAssertEqual(try positions(EventFilter(afterPosition: 1, scope: "acme/api")), ["2", "5"])
        XCTAssertEqual(try positions(EventFilter(streamPrefix: "swarm:")), ["4"])
    }

    func test_exportSummaryNamesTheHeadToResumeFrom() async throws {
        let store = try openStore()
        try await store.append(events("s", count: 9))
        let summary = try NDJSONExporter(filter: EventFilter(afterPosition: 4, scope: "nothing")).export(from: store) { _ in }
        XCTAssertEqual(summary.events, 0)
        XCTAssertEqual(summary.scanned, 5)
        XCTAssertEqual(summary.lastPosition, 0)
        XCTAssertEqual(summary.headPosition, 9)
    }

    func test_exportToAFileRefusesAnExistingFile() async throws {
        let store = try openStore()
        try await store.append(event("s"))
        let file = directory.appendingPathComponent("out.ndjson").path
        try store.export(to: file)
        XCTAssertEqual(thrownError { try store.export(to: file) } as? StoreError, .destinationExists(path: file))
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").count, 1)
    }
}

final class NDJSONDecoderTests: XCTestCase {
    private let id = "01a1fe9f-2c02-70e2-b8be-1e756691d070"

    private func decode(_ line: String) throws(NDJSONDecoder.Failure) -> NDJSONDecoder.Decoded {
        try NDJSONDecoder.decode(Array(line.utf8)[...])
    }

    private func failure(_ line: String) -> String {
        do {
            _ = try decode(line)
            XCTFail("accepted: \(line)")
            return ""
        } catch {
            return error.description
        }
    }

    func test_aMinimalLineDecodes() throws {
        let d = try decode(#"{"id":"\#(id)","time_us":-5,"stream":"s","kind":"k","payload":{"a" : 1}}"#)
        XCTAssertEqual(d.event.id.description, id)
        XCTAssertEqual(d.event.timeMicroseconds, -5)
        XCTAssertEqual(d.event.payload, Array(#"{"a" : 1}"#.utf8))
        XCTAssertEqual(d.event.metadata, [])
        XCTAssertEqual(d.event.priority, .normal)
        XCTAssertNil(d.position)
    }

    func test_timeAloneIsParsedAndMustAgreeWithTimeUS() throws {
        XCTAssertEqual(try decode(#"{"id":"\#(id)","time":"1970-01-01T00:00:01.5Z","stream":"s","kind":"k","payload":1}"#).event.timeMicroseconds,
                       1_500_000)
        XCTAssertEqual(try decode(#"{"id":"\#(id)","time":"1970-01-01T01:00:00+01:00","stream":"s","kind":"k","payload":1}"#).event.timeMicroseconds, 0)
        XCTAssertTrue(failure(#"{"id":"\#(id)","time":"1970-01-01T00:00:01Z","time_us":2,"stream":"s","kind":"k","payload":1}"#).contains("disagree"))
        XCTAssertTrue(failure(#"{"id":"\#(id)","time":"yesterday","stream":"s","kind":"k","payload":1}"#).contains("ISO 8601"))
    }

    func test_missingAndMistypedMembersAreNamed() {
        XCTAssertTrue(failure(#"{"time_us":0,"stream":"s","kind":"k","payload":1}"#).contains("id is missing"))
        XCTAssertTrue(failure(#"{"id":"x","time_us":0,"stream":"s","kind":"k","payload":1}"#).contains("not a UUID"))
        XCTAssertTrue(failure(#"{"id":"\#(id)","stream":"s","kind":"k","payload":1}"#).contains("time_us (or time) is missing"))
        XCTAssertTrue(failure(#"{"id":"\#(id)","time_us":1.5,"stream":"s","kind":"k","payload":1}"#).contains("time_us must be an integer"))
        XCTAssertTrue(failure(#"{"id":"\#(id)","time_us":0,"kind":"k","payload":1}"#).contains("stream is missing"))
        XCTAssertTrue(failure(#"{"id":"\#(id)","time_us":0,"stream":7,"kind":"k","payload":1}"#).contains("stream must be a string"))
        XCTAssertTrue(failure(#"{"id":"\#(id)","time_us":0,"stream":"s","kind":"k"}"#).contains("payload is missing"))
        XCTAssertTrue(failure(#"{"id":"\#(id)","time_us":0,"stream":"s","kind":"k","payload":1,"metadata":[1]}"#).contains("metadata"))
        XCTAssertTrue(failure(#"{"id":"\#(id)","time_us":0,"stream":"s","kind":"k","payload":1,"priority":"high"}"#).contains("priority"))
        XCTAssertTrue(failure(#"{"id":"\#(id)","time_us":0,"stream":"s","kind":"k","payload":1,"position":0}"#).contains("position"))
        XCTAssertTrue(failure(#"{"id":"\#(id)","time_us":0,"stream":"","kind":"k","payload":1}"#).contains("invalid stream"))
        XCTAssertTrue(failure(#"{"id":"\#(id)","id":"\#(id)","time_us":0,"stream":"s","kind":"k","payload":1}"#).contains("appears twice"))
        XCTAssertTrue(failure(#"[1]"#).contains("not a JSON object"))
        XCTAssertEqual(failure(#"{"id":"#), "not valid JSON: unexpected end of input at column 7")
    }

    func test_unknownMembersAreIgnoredButANewerSchemaIsRefused() throws {
        XCTAssertNoThrow(try decode(#"{"id":"\#(id)","time_us":0,"stream":"s","kind":"k","payload":1,"shard":3,"schema":1}"#))
        XCTAssertTrue(failure(#"{"schema":2,"id":"\#(id)","time_us":0,"stream":"s","kind":"k","payload":1}"#).contains("schema 2 is newer"))
    }

    func test_exactTextMustMatchTheShownValue() throws {
        let ok = try decode(#"{"id":"\#(id)","time_us":0,"stream":"s","kind":"k","payload":{  "a":1  },"payload_text":"{\n \"a\":1\r\n}"}"#)
        XCTAssertEqual(ok.event.payload, Array("{\n \"a\":1\r\n}".utf8))
        XCTAssertTrue(failure(#"{"id":"\#(id)","time_us":0,"stream":"s","kind":"k","payload":{"a":2},"payload_text":"{\"a\":1}"}"#)
            .contains("payload_text does not hold the same JSON as payload"))
    }
}

final class TimestampTests: XCTestCase {
    func test_formatWritesSixFractionalDigitsAndZ() {
        XCTAssertEqual(Timestamp.format(0), "1970-01-01T00:00:00.000000Z")
        XCTAssertEqual(Timestamp.format(1_795_273_206_790_327), "2026-11-21T15:00:06.790327Z")
        XCTAssertEqual(Timestamp.format(-1), "1969-12-31T23:59:59.999999Z")
        XCTAssertEqual(Timestamp.format(951_782_400_000_000), "2000-02-29T00:00:00.000000Z")
        XCTAssertEqual(Timestamp.format(253_402_300_800_000_000), "+10000-01-01T00:00:00.000000Z")
    }

    func test_parseReadsWhatFormatWrites() {
        var rng = SystemRandomNumberGenerator()
        for value in [Int64.min / 2, -62_167_219_200_000_001, -1, 0, 1, 253_402_300_799_999_999, Int64.max / 2]
            + (0..<1_000).map({ _ in Int64.random(in: -100_000_000_000_000_000...100_000_000_000_000_000, using: &rng) }) {
            XCTAssertEqual(Timestamp.parse(Timestamp.format(value)), value, Timestamp.format(value))
        }
    }

    func test_parseAcceptsDatesOffsetsAndShortFractionsAndRefusesTheRest() {
        XCTAssertEqual(Timestamp.parse("1970-01-02"), 86_400_000_000)
        XCTAssertEqual(Timestamp.parse("1970-01-01T00:00:00.1Z"), 100_000)
        XCTAssertEqual(Timestamp.parse("1970-01-01T02:00:00+02:00"), 0)
        XCTAssertEqual(Timestamp.parse("1969-12-31T19:00:00-05:00"), 0)
        for bad in ["", "1970", "1970-13-01", "1970-02-30", "1970-01-01T24:00:00Z", "1970-01-01T00:00:00",
                    "1970-01-01T00:00:00.1234567Z", "1970-01-01T00:00:00.Z", "1970-01-01 00:00:00Z", "1970-01-01T00:00:00Zjunk"] {
            XCTAssertNil(Timestamp.parse(bad), bad)
        }
    }
}

final class LineReaderTests: XCTestCase {
    private func lines(_ text: String, maxLineBytes: Int = 1 << 20) throws -> [LineReader.Line] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lines-\(UUID().uuidString)")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let fd = open(url.path, O_RDONLY)
        defer { close(fd) }
        let reader = LineReader(fileDescriptor: fd, maxLineBytes: maxLineBytes)
        var out: [LineReader.Line] = []
        while let line = try reader.next() { out.append(line) }
        return out
    }

    private func t(_ s: String) -> LineReader.Line { .text(Array(s.utf8)) }

    func test_splitsOnLineBreaksAndKeepsALastLineWithoutOne() throws {
        XCTAssertEqual(try lines("a\nbb\n\nccc"), [t("a"), t("bb"), t(""), t("ccc")])
        XCTAssertEqual(try lines("a\n"), [t("a")])
        XCTAssertEqual(try lines(""), [])
        XCTAssertEqual(try lines("a\r\n"), [t("a\r")])
    }

    func test_linesLongerThanTheLimitAreSkippedAndMeasured() throws {
        XCTAssertEqual(try lines("short\n\(String(repeating: "x", count: 25))\nok", maxLineBytes: 10),
                       [t("short"), .tooLong(bytes: 25), t("ok")])
        XCTAssertEqual(try lines(String(repeating: "y", count: 3_000_000) + "\nz", maxLineBytes: 1_000),
                       [.tooLong(bytes: 3_000_000), t("z")])
    }

    func test_longLinesWithinTheLimitGrowTheBuffer() throws {
        let long = String(repeating: "z", count: 3_000_000)
        XCTAssertEqual(try lines("\(long)\nq\n", maxLineBytes: 4_000_000), [t(long), t("q")])
    }
}
