import ArgumentParser
import ColonyStore
import Dispatch
import Foundation

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Print events of the log, filtered, as NDJSON or one line of text each; --follow keeps printing new ones.",
        discussion: """
            Prints the events that pass every filter given, in log order. --from and --to are \
            positions, both inclusive. --since (inclusive) and --until (exclusive) are times: \
            ISO 8601 (2026-11-21T15:00:00Z, 2026-11-21T16:00:00+01:00, or a date, 2026-11-21, \
            meaning midnight UTC). --scope takes a scope and the scopes below it; --kind may \
            be repeated.

            --format ndjson prints the lines of `colony export` (docs/ndjson.md); --format text \
            (the default) prints one line per event:
              POSITION TIME STREAM#VERSION KIND PAYLOAD [METADATA]

            With --follow, once the log is printed the command waits and prints each new event \
            as it is committed, by any process on the store (`colony serve`, another program), \
            within about 20 ms, until --to is reached or it is interrupted (Ctrl-C or SIGTERM, \
            exit status 0). The store is opened read-only; nothing is written.

            Examples:
              colony replay --scope acme/api --kind deploy
              colony replay --since 2026-11-21 --format ndjson | jq .payload
              colony replay --follow --from "$(colony stats --json | jq .headPosition)"

            \(ExitStatus.table)
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, ndjson
    }

    @OptionGroup var location: StoreLocation
    @Option(help: ArgumentHelp("Only this scope and the scopes below it.", valueName: "PREFIX")) var scope: String?
    @Option(help: ArgumentHelp("Only streams starting with these characters (e.g. swarm:).", valueName: "PREFIX")) var streamPrefix: String?
    @Option(name: .customLong("kind"), help: ArgumentHelp("Only events of this kind (repeatable).", valueName: "K")) var kinds: [String] = []
    @Option(help: ArgumentHelp("The first position (inclusive).", valueName: "POS")) var from: UInt64?
    @Option(help: ArgumentHelp("The last position (inclusive).", valueName: "POS")) var to: UInt64?
    @Option(help: ArgumentHelp("Only events at or after this time.", valueName: "TIME")) var since: String?
    @Option(help: ArgumentHelp("Only events before this time.", valueName: "TIME")) var until: String?
    @Option(help: "ndjson or text.") var format: Format = .text
    @Flag(help: "Keep printing new events as they are committed.") var follow = false

    func validate() throws {
        if let since, Timestamp.parse(since) == nil { throw ValidationError("--since \(since) is not an ISO 8601 time") }
        if let until, Timestamp.parse(until) == nil { throw ValidationError("--until \(until) is not an ISO 8601 time") }
        if let from, let to, from > to { throw ValidationError("--from \(from) is after --to \(to)") }
    }

    func run() async throws {
        try await CLIError.report {
            StandardOutput.ignoreBrokenPipe()
            let store = try location.openExisting(context: false)
            defer { store.close() }
            let filter = EventFilter(afterPosition: (from ?? 1) - 1, throughPosition: to, streamPrefix: streamPrefix, scope: scope,
                                     kinds: Set(kinds), sinceMicroseconds: since.flatMap(Timestamp.parse),
                                     untilMicroseconds: until.flatMap(Timestamp.parse))
            let stop = follow ? Self.stopOnSignals(store) : []
            defer { for source in stop { source.cancel() } }
            do {
                try await replay(store, filter: filter)
            } catch is StandardOutput.Closed {
                return
            } catch StoreError.closed where follow {
                return  // interrupted: the signal handler closed the store
            }
        }
    }

    private func replay(_ store: ColonyStore, filter eventFilter: EventFilter) async throws {
        let filter = eventFilter.compiled()
        let chunk = 512
        var next = max(from ?? 1, 1)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        while to.map({ next <= $0 }) ?? true {
            let limit = to.map { Int(min(UInt64(chunk), $0 - next + 1)) } ?? chunk
            let events: [RecordedEvent]
            do {
                events = try store.read(from: next, limit: limit)
            } catch StoreError.corruptRecord(let position, let reason) where position > next {
                // Print what comes before the corrupt record, then stop on it.
                try print(store.read(from: next, limit: Int(position - next)), filter: filter, into: &buffer)
                throw StoreError.corruptRecord(position: position, reason: reason)
            }
            try print(events, filter: filter, into: &buffer)
            if let last = events.last { next = last.position + 1 }
            if events.count < limit {
                guard follow, !store.isClosed else { return }
                await store.waitForCommit(after: next - 1)
            }
        }
    }

    /// Writes the events that pass `filter` to standard output in one write.
    private func print(_ events: [RecordedEvent], filter: (RecordedEvent) -> Bool, into buffer: inout [UInt8]) throws {
        for e in events where filter(e) {
            switch format {
            case .ndjson: NDJSONEncoder.append(e, to: &buffer)
            case .text: Self.appendText(e, to: &buffer)
            }
        }
        if !buffer.isEmpty {
            try StandardOutput.write(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// `POSITION TIME STREAM#VERSION KIND PAYLOAD [METADATA]`, the JSON on one line.
    static func appendText(_ e: RecordedEvent, to out: inout [UInt8]) {
        out.append(contentsOf: "\(e.position) ".utf8)
        Timestamp.append(e.timeMicroseconds, to: &out)
        out.append(UInt8(ascii: " "))
        for b in e.streamBytes { out.append(b < 0x20 || b == 0x7F ? UInt8(ascii: "?") : b) }
        out.append(contentsOf: "#\(e.streamVersion) ".utf8)
        out.append(contentsOf: e.kindBytes)
        out.append(UInt8(ascii: " "))
        appendOneLine(e.payload, to: &out)
        if !e.metadata.isEmpty {
            out.append(UInt8(ascii: " "))
            appendOneLine(e.metadata, to: &out)
        }
        out.append(UInt8(ascii: "\n"))
    }

    private static func appendOneLine(_ json: ArraySlice<UInt8>, to out: inout [UInt8]) {
        for b in json where b != 0x0D { out.append(b == 0x0A ? UInt8(ascii: " ") : b) }
    }

    /// Ends a follow cleanly on SIGINT or SIGTERM: closing the store wakes the wait, and the command exits 0.
    private static func stopOnSignals(_ store: ColonyStore) -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { store.close() }
            source.resume()
            return source
        }
    }
}
