import ArgumentParser
import ColonyStore
import Foundation

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the store's events as NDJSON, one event per line, in log order.",
        discussion: """
            Each line is one JSON object: position, id, time (ISO 8601, microseconds), \
            time_us, stream, stream_version, kind, metadata (left out when empty) and \
            payload, as stored. The schema is stable and versioned: docs/ndjson.md. \
            `colony import` reads it back; an export imported into an empty store and \
            exported again gives the same bytes.

            The store is opened read-only and may be in use by other processes: the \
            export takes the events up to the head as it was when the export started. \
            Writes to standard output unless --output names a new file (an existing \
            file is refused). A summary goes to standard error unless --quiet.

            Examples:
              colony export > all.ndjson
              colony export --since 1000 --scope acme --output acme-after-1000.ndjson

            \(ExitStatus.table)
            """
    )

    @OptionGroup var location: StoreLocation
    @Option(help: ArgumentHelp("Only events after this position (exclusive): the last position you already have.", valueName: "POS"))
    var since: UInt64 = 0
    @Option(help: ArgumentHelp("Only this scope and the scopes below it (acme takes acme and acme/api, not acme2).", valueName: "PREFIX"))
    var scope: String?
    @Option(help: ArgumentHelp("Only streams starting with these characters (e.g. swarm:).", valueName: "PREFIX"))
    var streamPrefix: String?
    @Option(help: ArgumentHelp("Write to this new file instead of standard output (- is standard output).", valueName: "FILE"))
    var output: String?
    @Flag(help: "Print no summary on standard error.")
    var quiet = false

    func run() async throws {
        try await CLIError.report {
            StandardOutput.ignoreBrokenPipe()
            // `--output -` is standard output, as for most Unix tools (it used to create a file named "-").
            let output = output == "-" ? nil : output
            if let output, FileManager.default.fileExists(atPath: output) {
                throw CLIError("\(output) exists; refusing to write over it", exitCode: ExitStatus.destinationExists)
            }
            let store = try location.openExisting(context: false)
            defer { store.close() }
            let exporter = NDJSONExporter(filter: EventFilter(afterPosition: since, streamPrefix: streamPrefix, scope: scope))
            let summary: NDJSONExporter.Summary
            if let output {
                summary = try exporter.export(from: store, toFile: output)
            } else {
                do {
                    summary = try exporter.export(from: store) { try StandardOutput.write($0) }
                } catch is StandardOutput.Closed {
                    return
                }
            }
            if !quiet {
                StandardError.print("colony: exported \(summary.events) of \(summary.scanned) events read, up to position \(summary.headPosition)")
            }
        }
    }
}
