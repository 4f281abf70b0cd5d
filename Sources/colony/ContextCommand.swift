import ArgumentParser
import ColonyContext
import ColonyStore

struct ContextCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "context",
        abstract: "Print a scope's context as JSON: counts, recent events and top insights.",
        discussion: """
            The context of a scope includes everything logged in the scopes below it. The store \
            is opened read-only: a path that is not a store is refused (status 4), never created.
            """
    )

    @OptionGroup var location: StoreLocation
    @Argument(help: "The scope path.") var scope: String
    @Option(help: "At most this many recent events.") var maxEvents = 20
    @Option(help: "At most this many insights.") var maxInsights = 10
    @Option(help: "Cap the answer at this many bytes.") var maxBytes = ContextQuery.defaultMaxBytes
    @Option(help: "Only what changed after this position.") var since: UInt64?

    func run() async throws {
        try await CLIError.report {
            let store = try location.openExisting(context: true)
            defer { store.close() }
            let doc = try store.context(of: scope, ContextQuery(maxEvents: maxEvents, maxInsights: maxInsights,
                                                                maxBytes: maxBytes, sincePosition: since))
            print(doc.text)
        }
    }
}
