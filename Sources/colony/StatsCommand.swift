import ArgumentParser
import ColonyStore
import Foundation

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print a store's size, head position, streams and view checkpoints.",
        discussion: "Creates the store if it does not exist yet. With --json, prints one JSON object."
    )

    @OptionGroup var location: StoreLocation
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        try await CLIError.report {
            let store = try location.open()
            defer { store.close() }
            let s = try store.statistics()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(s), as: UTF8.self))
                return
            }
            print("store        \(s.path)")
            print("head         \(s.headPosition)")
            print("streams      \(s.streams)")
            print("file         \(s.fileSizeBytes) bytes (\(s.usedBytes) used, map \(s.mapSizeBytes))")
            print("readers      \(s.readersInUse) of \(s.maxReaders) slots")
            print("durability   \(s.durability)")
            for v in s.views {
                print("view         \(v.name) v\(v.version): checkpoint \(v.checkpoint), lag \(v.lagEvents), \(v.entries) keys")
            }
        }
    }
}
