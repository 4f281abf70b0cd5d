import ArgumentParser
import ColonyStore
import Foundation

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every record, index and view of the store; exit 1 naming each problem found.",
        discussion: """
            Checks, in one read-only snapshot, writing nothing:
              - every record's structure and CRC-32C checksum; positions dense from 1 to the head;
              - each stream's versions dense from 1, and its head in the streams table;
              - the stream-positions, stream-links and event-ids indexes against the log, both
                ways: every entry points at a record that matches, every event id is indexed,
                and every version of a stream can be reached;
              - the meta table and every view checkpoint;
              - each view against a rebuild from the log up to its checkpoint, in a scratch
                directory (--scratch, default the system's temporary directory), key by key.
            LMDB keeps no checksums of its own: this is what finds a flipped byte in a stored
            value. Each finding names its position or key. Other processes may keep using the
            store meanwhile. A view behind the log, or one this program has no projection for,
            is a note, not a finding.

            Run it after an OS crash of a store used with --durability buffered, and on a
            restored backup.

            \(ExitStatus.table)
            """
    )

    @OptionGroup var location: StoreLocation
    @Flag(help: "Print the report as one JSON object.") var json = false
    @Flag(help: "Skip comparing views with a rebuild (faster; the log and indexes are still checked).") var noViews = false
    @Option(help: "Findings listed one by one; further ones are counted.") var maxFindings = 1_000
    @Option(help: ArgumentHelp("Where to rebuild views for comparison (needs room for the largest view).", valueName: "DIR"))
    var scratch: String?

    func validate() throws {
        guard maxFindings >= 0 else { throw ValidationError("--max-findings must not be negative") }
    }

    func run() async throws {
        try await CLIError.report {
            let store = try location.openExisting(context: true)
            defer { store.close() }
            var options = VerifyOptions()
            options.checkViews = !noViews
            options.maxFindings = maxFindings
            options.scratchDirectory = scratch
            let showProgress = StandardError.isTerminal && !json
            let report = try store.verify(options) { phase, done, total in
                if showProgress { FileHandle.standardError.write(Data("\rcolony: verifying \(phase) \(done)/\(total)   ".utf8)) }
            }
            if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(Self.text(of: report), terminator: "")
            }
            if !report.isClean {
                let n = report.findings.count + report.findingsOmitted
                throw CLIError("\(n) finding\(n == 1 ? "" : "s") in \(report.path)", exitCode: ExitStatus.findings)
            }
        }
    }

    static func text(of report: VerifyReport) -> String {
        var out = ""
        func line(_ label: String, _ text: String) { out += label.padding(toLength: 10, withPad: " ", startingAt: 0) + " " + text + "\n" }
        line("store", report.path)
        line("head", "\(report.headPosition)")
        line("events", "\(report.eventsChecked) records checked")
        line("streams", "\(report.streamsChecked)")
        for v in report.views {
            switch v.outcome {
            case .equal: line("view", "\(v.name) v\(v.version): equal to a rebuild up to position \(v.checkpoint) (\(v.entriesCompared) entries)")
            case .differs: line("view", "\(v.name) v\(v.version): DIFFERS from a rebuild up to position \(v.checkpoint)")
            case .skipped: line("view", "\(v.name): not compared (\(v.note ?? "skipped"))")
            }
        }
        for note in report.notes { line("note", note) }
        if report.isClean {
            line("findings", "none")
        } else {
            for f in report.findings { line("FINDING", f.description) }
            if report.findingsOmitted > 0 { line("FINDING", "… and \(report.findingsOmitted) more") }
        }
        line("time", String(format: "%.3f s", report.durationSeconds))
        return out
    }
}
