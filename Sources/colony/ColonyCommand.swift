import ArgumentParser

/// `colony`: the storage engine's command line.
@main
struct ColonyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "colony",
        abstract: "An event-sourced memory for AI agents on LMDB.",
        discussion: """
            Every write is an event appended to the log of a store directory; the context \
            of each scope is a view kept in the same transaction, read with one B-tree descent.

            The store is --store PATH, else $COLONY_HOME, else $XDG_DATA_HOME/colony \
            (~/.local/share/colony). Several processes may use one store at once.
            """,
        version: ColonyVersion.string,
        subcommands: [ServeCommand.self, StatsCommand.self, LogCommand.self, InsightCommand.self, ContextCommand.self,
                      ExportCommand.self, ImportCommand.self, VerifyCommand.self, BackupCommand.self,
                      ReplayCommand.self, RebuildCommand.self, TuneCommand.self]
    )
}

extension ColonyCommand {
    /// Parses the command line after letting `serve --http` stand without an address.
    static func main() async {
        do {
            var command = try parseAsRoot(ServeCommand.normalize(Array(CommandLine.arguments.dropFirst())))
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

enum ColonyVersion {
    static let string = "0.1.0"
}
