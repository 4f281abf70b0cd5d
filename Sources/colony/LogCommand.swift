import ArgumentParser
import ColonyContext
import ColonyStore
import Foundation

struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Append an agent event to a scope and print its position.",
        discussion: """
            Example: colony log acme/api "deployed v2" --kind deploy --data '{"version":2}'
            Returns once the event is durable.
            """
    )

    @OptionGroup var location: StoreLocation
    @Argument(help: "The scope path, e.g. org/project/session.") var scope: String
    @Argument(help: "What happened.") var text: String
    @Option(help: "The event kind ([A-Za-z0-9._-]).") var kind = "event"
    @Option(help: "A JSON value kept with the event.") var data: String?
    @Option(help: "Who logged it.") var agent: String?
    @Option(help: "An event id (UUID) that makes a retry idempotent.") var id: String?

    func run() async throws {
        try await CLIError.report {
            let eventID = try id.map { s in
                guard let e = EventID(string: s) else { throw CLIError("--id \(s) is not a UUID", exitCode: 2) }
                return e
            } ?? EventID()
            let store = try location.open()
            defer { store.close() }
            let r = try await store.logEvent(scope: scope, text: text, kind: kind, data: data.map { Array($0.utf8) },
                                             agent: agent, id: eventID)
            print("\(r.lastPosition)")
        }
    }
}

struct InsightCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "insight",
        abstract: "Append an insight to a scope and print its position.",
        discussion: "Example: colony insight acme/api \"migrations must run before deploys\" --importance 0.9 --tag deploy"
    )

    @OptionGroup var location: StoreLocation
    @Argument(help: "The scope path.") var scope: String
    @Argument(help: "What was learned.") var text: String
    @Option(help: "0 to 1; higher ranks first.") var importance = 0.5
    @Option(name: .customLong("tag"), help: "A tag (repeatable).") var tags: [String] = []
    @Option(help: "The event id of an earlier insight this one replaces.") var supersedes: String?
    @Option(help: "Who logged it.") var agent: String?

    func run() async throws {
        try await CLIError.report {
            let target = try supersedes.map { s in
                guard let e = EventID(string: s) else { throw CLIError("--supersedes \(s) is not a UUID", exitCode: 2) }
                return e
            }
            let store = try location.open()
            defer { store.close() }
            let id = EventID()
            let r = try await store.logInsight(scope: scope, text: text, importance: importance, tags: tags,
                                               supersedes: target, agent: agent, id: id)
            print("\(r.lastPosition) \(id)")
        }
    }
}
