import ArgumentParser
import ColonyContext
import ColonyStore
import Foundation

struct RebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild views from the log beside the live ones and swap them in atomically.",
        discussion: """
            Applies the whole log to fresh tables of each view (or only --view NAME), in chunks \
            of --chunk-events events, each one transaction with its own checkpoint. Servers and \
            other processes keep reading and writing the live views meanwhile. The transaction \
            that brings the rebuilt tables level with the head of the log also copies them over \
            the live ones, so a reader sees the old view or the new one, never a mix.

            A rebuild that was stopped (Ctrl-C, a kill, a crash, a full disk) keeps the chunks \
            it committed: run `colony rebuild` again and it resumes from the last one. `colony \
            stats` lists unfinished rebuilds; `colony verify` names them and checks the live views.

            Views rebuilt: context (the context of every scope) and swarm (agents, tasks, trails, \
            proposals). A rebuild is needed only after a \
            bug in a projection or when `colony verify` finds a view that differs from the log; a \
            projection whose version changed is rebuilt when a writer opens the store.

            Progress goes to standard error: a bar with rate and ETA on a terminal, a line every \
            --progress-interval seconds otherwise.

            \(ExitStatus.table)
            """
    )

    @OptionGroup var location: StoreLocation
    @Option(help: ArgumentHelp("Rebuild only this view.", valueName: "NAME")) var view: String?
    @Option(help: "Log events applied per transaction (the resume granularity).") var chunkEvents = StoreOptions.Writer().rebuildChunkEvents
    @Option(help: "Seconds between progress lines when standard error is not a terminal.") var progressInterval = 1.0
    @Flag(help: "No progress on standard error.") var quiet = false
    @Flag(help: "Print the result as one JSON object.") var json = false

    func validate() throws {
        guard chunkEvents >= 1 else { throw ValidationError("--chunk-events must be at least 1") }
        guard progressInterval >= 0 else { throw ValidationError("--progress-interval must not be negative") }
    }

    func run() async throws {
        try await CLIError.report {
            // Checked before opening: a writer's open adds views a store lacks, and bad input writes nothing.
            if let view, !StoreLocation.viewNames.contains(view) {
                throw CLIError("no view named \(view); this store's views: \(StoreLocation.viewNames.joined(separator: ", "))",
                               exitCode: ExitStatus.invalidInput)
            }
            let store = try location.openExistingForWriting()
            defer { store.close() }
            let unfinished = try store.unfinishedRebuilds().filter { view == nil || $0.key == view }
            let display = ProgressDisplay.automatic(quiet: quiet, intervalSeconds: progressInterval)
            for (name, position) in unfinished.sorted(by: { $0.key < $1.key }) where position > 0 {
                display.note("resuming the rebuild of \(name) from position \(position)")
            }
            let report = try store.rebuild(view: view, chunkEvents: chunkEvents) { p in
                switch p.phase {
                case .applying:
                    display.update("rebuilding \(p.view)", done: p.logEventsApplied, total: p.logEventsTotal, unit: "events")
                case .swapping:
                    display.update("rebuilding \(p.view)", done: p.logEventsApplied, total: p.logEventsTotal, unit: "events", force: true)
                    display.note("swapping in the rebuilt views at position \(p.position)")
                }
            }
            display.clear()
            let seconds = display.elapsedSeconds
            if json {
                struct Output: Encodable {
                    var rebuild: RebuildReport
                    var durationSeconds: Double
                    var eventsPerSecond: Double
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                let output = Output(rebuild: report, durationSeconds: seconds,
                                    eventsPerSecond: seconds > 0 ? Double(report.logEvents) / seconds : 0)
                print(String(decoding: try encoder.encode(output), as: UTF8.self))
            } else {
                let rate = seconds > 0 ? Double(report.logEvents) / seconds : 0
                print("rebuilt \(report.views.joined(separator: ", ")): \(ProgressDisplay.grouped(report.logEvents)) events in "
                      + String(format: "%.2f s", seconds) + " (\(ProgressDisplay.grouped(UInt64(rate))) events/s), swapped in at position "
                      + "\(report.position) (\(ProgressDisplay.grouped(UInt64(report.entriesSwapped))) keys)")
            }
        }
    }
}
