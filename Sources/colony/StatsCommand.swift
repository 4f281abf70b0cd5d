import ArgumentParser
import ColonyContext
import ColonyStore
import Foundation

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print a store's events, streams, scopes, sizes, head, views (checkpoint and lag), top scopes and readers.",
        discussion: """
            Opens the store read-only: it never creates a store and writes nothing, and it \
            may run beside servers using the store.

              events, streams  in the log; head is the last position (equal to events)
              scopes           keys of the context view: every scope with an event, and its ancestors
              file             data.mdb's size, the bytes in use, and the memory map
              readers          LMDB reader slots held by all processes (this one's included), how
                               many have a read transaction open now, and the processes holding them
              view             each view: projection version, checkpoint (last position applied),
                               lag behind the head, keys; views whose projection this program does
                               not have are listed from their checkpoints
              table            each LMDB database: entries and bytes of its pages
              top scopes       the scopes whose context counts the most events (a scope counts the
                               events of the scopes below it), --top of them

            With --json, prints one JSON object: the fields of StoreStatistics (headPosition, \
            events, streams, views, otherViews, tables, readersInUse…) and scopes and topScopes.

            \(ExitStatus.table)
            """
    )

    @OptionGroup var location: StoreLocation
    @Flag(help: "Print JSON instead of text.") var json = false
    @Option(help: "How many top scopes to list.") var top = 10

    func validate() throws {
        guard top >= 0 else { throw ValidationError("--top must not be negative") }
    }

    func run() async throws {
        try await CLIError.report {
            let store = try location.openExisting(context: true)
            defer { store.close() }
            let s = try store.statistics()
            let context: ContextStatistics?
            do {
                context = try store.contextStatistics(top: top)
            } catch ContextError.contextViewNotRegistered {
                context = nil  // a store no context writer has opened yet
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(Output(statistics: s, context: context)), as: UTF8.self))
                return
            }
            print(Self.text(s, context), terminator: "")
        }
    }

    /// StoreStatistics' members with scopes and topScopes beside them, in one object.
    struct Output: Encodable {
        let statistics: StoreStatistics
        let context: ContextStatistics?

        private enum Keys: String, CodingKey { case scopes, topScopes }

        func encode(to encoder: Encoder) throws {
            try statistics.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encodeIfPresent(context?.scopes, forKey: .scopes)
            try container.encodeIfPresent(context?.topScopes, forKey: .topScopes)
        }
    }

    static func text(_ s: StoreStatistics, _ context: ContextStatistics?) -> String {
        var out = ""
        func line(_ label: String, _ text: String) { out += label.padding(toLength: 12, withPad: " ", startingAt: 0) + " " + text + "\n" }
        func count(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }
        line("store", "\(s.path) (format \(s.format))")
        line("head", "\(s.headPosition)")
        line("events", "\(s.events)")
        line("streams", "\(s.streams)")
        line("scopes", context.map { "\($0.scopes)" } ?? "no context view")
        line("file", "\(s.fileSizeBytes) bytes (\(s.usedBytes) used, map \(s.mapSizeBytes))")
        line("readers", "\(s.readersInUse) slot\(s.readersInUse == 1 ? "" : "s") held (\(s.readersReading) reading) of \(s.maxReaders), "
             + "by process\(s.readerProcessIDs.count == 1 ? "" : "es") \(s.readerProcessIDs.map(String.init).joined(separator: ", "))")
        for v in s.views {
            line("view", "\(v.name) v\(v.version): checkpoint \(v.checkpoint), lag \(v.lagEvents), \(count(v.entries, "key", "keys"))")
        }
        for v in s.otherViews {
            line("view", "\(v.name) v\(v.version): checkpoint \(v.checkpoint), lag \(v.lagEvents), \(count(v.entries, "key", "keys")) (projection not registered here)")
        }
        for (name, position) in s.unfinishedRebuilds.sorted(by: { $0.key < $1.key }) {
            line("rebuild", "\(name): stopped at position \(position), not swapped in (`colony rebuild` resumes it)")
        }
        // A finished rebuild leaves its shadow tables (rebuild:VIEW…) empty; listing them reads like
        // unfinished work. They are listed while they hold something, and always in --json.
        for t in s.tables where !(t.entries == 0 && t.name.hasPrefix("rebuild:")) {
            line("table", "\(t.name): \(count(t.entries, "entry", "entries")), \(t.sizeBytes) bytes")
        }
        if let context, !context.topScopes.isEmpty {
            let width = context.topScopes.map(\.scope.count).max() ?? 0
            for (i, scope) in context.topScopes.enumerated() {
                line(i == 0 ? "top scopes" : "", scope.scope.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(scope.events)")
            }
        }
        return out
    }
}
