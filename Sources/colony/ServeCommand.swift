import ArgumentParser
import ColonyContext
import ColonyMCP
import ColonyStore
import Foundation
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the store over MCP: stdio by default, Streamable HTTP with --http.",
        discussion: """
            Over stdio (how Claude Desktop and Claude Code start it), stdout carries only \
            JSON-RPC; logs go to stderr. The server exits when stdin closes.

            Several `colony serve` processes may share one store: a write in one is in the \
            next get_context of the others.

            Tools: get_context, log_event, log_insight, get_stats. Resource template: \
            colony://context/{scope}, with subscriptions. See docs/clients.md.
            """
    )

    @OptionGroup var location: StoreLocation

    @Option(name: .customLong("durability"), help: ArgumentHelp("durable (acknowledge after fsync) or buffered:MS (fsync every MS milliseconds; a crash may lose the last MS ms).", valueName: "MODE"))
    var durability = "durable"

    @Option(help: "Largest accepted message in bytes.")
    var maxMessageBytes = 4 << 20

    @Option(help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func run() async throws {
        try await CLIError.report {
            signal(SIGPIPE, SIG_IGN)  // a client that went away is a write error, not a killed server
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "colony.serve")
            var options = StoreOptions()
            options.durability = try Self.parseDurability(durability)
            let path = location.resolvedPath
            let store: ColonyStore
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                store = try Colony.open(at: path, options: options)
            } catch {
                throw CLIError("cannot open the store at \(path): \(error)", exitCode: 3)
            }
            let server = MCPServer(store: store, maxMessageBytes: maxMessageBytes)
            logger.info("serving MCP over stdio", metadata: ["store": "\(path)", "head": "\((try? store.headPosition()) ?? 0)"])
            await StdioTransport(server: server).run()
            server.shutdown()
            store.close()
            logger.info("stdin closed; exiting")
        }
    }

    static func parseDurability(_ text: String) throws -> StoreOptions.Durability {
        if text == "durable" { return .durable }
        if text.hasPrefix("buffered:"), let ms = Int(text.dropFirst("buffered:".count)), ms > 0 { return .buffered(syncIntervalMilliseconds: ms) }
        if text == "buffered" { return .buffered(syncIntervalMilliseconds: 10) }
        throw CLIError("--durability must be durable or buffered:MS, not \"\(text)\"", exitCode: 2)
    }
}
