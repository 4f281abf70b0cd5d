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

            Tools: get_context, log_event, log_insight, get_stats; start_export, start_backup, \
            start_verify and start_rebuild answer at once with a ticket that get_ticket follows; \
            the swarm: register_agent, heartbeat, create_task, assign_task, complete_task, \
            explain_assignment, open_proposal, cast_vote, get_proposal, get_swarm. Resource template: \
            colony://context/{scope}, with subscriptions. See docs/clients.md.

            \(ExitStatus.table)
            """
    )

    @OptionGroup var location: StoreLocation

    @Option(name: .customLong("http"), help: ArgumentHelp("Serve Streamable HTTP on HOST:PORT (default 127.0.0.1:3000) instead of stdio: MCP on /mcp, plus GET /context/{scope}, /health and /metrics. A non-loopback HOST needs a token (COLONY_TOKEN, COLONY_TOKENS or --tokens-file).", valueName: "HOST:PORT"))
    var http: String?

    @Option(name: .customLong("tokens-file"), help: ArgumentHelp("With --http: a file of bearer tokens limited to a scope prefix, one 'TOKEN SCOPE_PREFIX' per line ('TOKEN *' for the whole store). COLONY_TOKENS=TOKEN=PREFIX,… adds more; COLONY_TOKEN is a whole-store token.", valueName: "PATH"))
    var tokensFile: String?

    @Option(name: .customLong("allow-origin"), help: ArgumentHelp("An Origin allowed to call the HTTP server besides loopback ones (repeatable).", valueName: "ORIGIN"))
    var allowedOrigins: [String] = []

    @Flag(name: .customLong("http-answer-in-tasks"), help: ArgumentHelp("With --http: answer every request in Hummingbird's task for its connection instead of on the event loop that read it. For comparisons only: under moderate load it costs about twice the CPU per request."))
    var httpAnswerInTasks = false

    @Option(name: .customLong("durability"), help: ArgumentHelp("durable (acknowledge after fsync) or buffered:MS (fsync every MS milliseconds; a crash may lose the last MS ms).", valueName: "MODE"))
    var durability = "durable"

    @Option(name: .customLong("write-queue"), help: ArgumentHelp("Events that may wait for the writer. When it is full, a write waits up to --write-wait, then fails with the retryable overloaded error (JSON-RPC -32001); low-priority events are shed once it is half full.", valueName: "EVENTS"))
    var writeQueue = StoreOptions.Writer().queueCapacityEvents

    @Option(name: .customLong("write-wait"), help: ArgumentHelp("How long a write waits for room in a full write queue before it is refused as overloaded (0: refuse at once).", valueName: "MS"))
    var writeWait = StoreOptions.Writer().enqueueTimeoutMilliseconds

    @Option(name: .customLong("work-dir"), help: ArgumentHelp("Where start_export and start_backup write their files (default: work/ in the store directory).", valueName: "PATH"))
    var workDirectory: String?

    @Option(name: .customLong("stdio-spin"), help: ArgumentHelp("Over stdio: how long the reader keeps polling for the next message after an answer before it sleeps (0: never polls). A client that calls again at once then finds it awake: one thread wake-up per call instead of two. Costs at most this much CPU each time the client goes quiet.", valueName: "MICROSECONDS"))
    var stdioSpin = StdioTransport.defaultSpinMicroseconds

    @Option(help: "Largest accepted message in bytes.")
    var maxMessageBytes = 4 << 20

    @Option(help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    /// COLONY_TOKEN (whole store), then COLONY_TOKENS and --tokens-file (scoped).
    func accessTokens() throws -> AccessTokens {
        let environment = ProcessInfo.processInfo.environment
        var tokens = AccessTokens()
        do {
            if let token = environment["COLONY_TOKEN"], !token.isEmpty { try tokens.add(token, grant: .everything) }
            if let list = environment["COLONY_TOKENS"] { try tokens.addList(list) }
            if let tokensFile {
                guard let contents = try? String(contentsOfFile: tokensFile, encoding: .utf8) else {
                    throw CLIError("cannot read the tokens file \(tokensFile)", exitCode: 2)
                }
                try tokens.addFile(contents: contents)
            }
        } catch let e as AccessTokens.Invalid {
            throw CLIError("bad token configuration: \(e.description)", exitCode: 2)
        }
        return tokens
    }

    func run() async throws {
        try await CLIError.report {
            signal(SIGPIPE, SIG_IGN)  // a client that went away is a write error, not a killed server
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in StderrLogHandler(label: label, level: level) }
            let logger = Logger(label: "colony.serve")
            guard (0...10_000).contains(stdioSpin) else {
                throw CLIError("--stdio-spin must be between 0 and 10,000 microseconds, not \(stdioSpin)", exitCode: 2)
            }
            var options = StoreOptions()
            options.durability = try Self.parseDurability(durability)
            options.writer = try Self.writerOptions(queue: writeQueue, waitMilliseconds: writeWait)
            let path = location.resolvedPath
            // Creates the store in a missing or empty directory; refuses other directories,
            // a newer format or a failing disk with the exit statuses of every command.
            let store = try location.openForWriting(options: options)
            // Reads the store into memory in the background, so the first requests of a
            // server started on a cold store do not each wait for their pages.
            store.warmPageCache()
            let server = MCPServer(store: store, maxMessageBytes: maxMessageBytes, workDirectory: workDirectory)
            defer {
                server.shutdown()
                store.close()
            }
            if let http {
                Self.raiseDescriptorLimit()
                let (host, port) = try Self.parseAddress(http)
                let tokens = try accessTokens()
                let transport: HTTPTransport
                do {
                    var httpOptions = HTTPTransport.Options(host: host, port: port, tokens: tokens, allowedOrigins: allowedOrigins)
                    httpOptions.answerOnEventLoop = !httpAnswerInTasks
                    transport = try HTTPTransport(server: server, options: httpOptions, logger: logger)
                } catch let e as HTTPTransport.ConfigurationError {
                    throw CLIError(e.description, exitCode: 2)
                }
                try await transport.run { bound in
                    logger.info("serving MCP over HTTP on http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/mcp",
                                metadata: ["store": "\(path)", "token": "\(tokens.isEmpty ? "none" : "required")"])
                }
                logger.info("stopped")
                return
            }
            logger.info("serving MCP over stdio", metadata: ["store": "\(path)", "head": "\((try? store.headPosition()) ?? 0)"])
            try await StdioTransport(server: server, spinMicroseconds: stdioSpin).run()
            logger.info("stdin closed; exiting")
        }
    }

    static let defaultHTTPAddress = "127.0.0.1:3000"

    /// `HOST:PORT`, `[IPv6]:PORT`, `HOST` (port 3000) or `:PORT` (127.0.0.1).
    static func parseAddress(_ text: String) throws -> (String, Int) {
        var host = "127.0.0.1", portText = "3000"
        if text.hasPrefix("[") , let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") { portText = String(rest.dropFirst()) } else if !rest.isEmpty { portText = "" }
        } else if let colon = text.lastIndex(of: ":") {
            if colon != text.startIndex { host = String(text[..<colon]) }
            portText = String(text[text.index(after: colon)...])
        } else if !text.isEmpty {
            host = text
        }
        guard let port = Int(portText), (0...65535).contains(port), !host.isEmpty else {
            throw CLIError("--http takes HOST:PORT (e.g. 127.0.0.1:3000), not \"\(text)\"", exitCode: 2)
        }
        return (host, port)
    }

    /// Lets `--http` stand alone: `colony serve --http` means `--http 127.0.0.1:3000`.
    static func normalize(_ arguments: [String]) -> [String] {
        var out: [String] = []
        for (i, a) in arguments.enumerated() {
            out.append(a)
            if a == "--http", i + 1 == arguments.count || arguments[i + 1].hasPrefix("-") { out.append(defaultHTTPAddress) }
        }
        return out
    }

    /// Each HTTP connection is a descriptor, and the usual soft limit (1,024) would refuse
    /// connections long before memory or CPU run out: raise it to the hard limit, as Go's
    /// runtime and most servers do. Best effort: a failure leaves the limit as it was.
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        #if os(Linux)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        if getrlimit(resource, &limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(resource, &limit)
        }
    }

    /// The writer's queue and wait, checked. A call that writes more events at once than the
    /// queue holds (assign_task of many tasks) is refused with an error that says so.
    static func writerOptions(queue: Int, waitMilliseconds: Int) throws -> StoreOptions.Writer {
        guard (1...100_000_000).contains(queue) else {
            throw CLIError("--write-queue must be between 1 and 100,000,000 events, not \(queue)", exitCode: 2)
        }
        guard (0...600_000).contains(waitMilliseconds) else {
            throw CLIError("--write-wait must be between 0 and 600,000 milliseconds, not \(waitMilliseconds)", exitCode: 2)
        }
        var writer = StoreOptions.Writer()
        writer.queueCapacityEvents = queue
        writer.enqueueTimeoutMilliseconds = waitMilliseconds
        return writer
    }

    static func parseDurability(_ text: String) throws -> StoreOptions.Durability {
        if text == "durable" { return .durable }
        if text.hasPrefix("buffered:"), let ms = Int(text.dropFirst("buffered:".count)), ms > 0 { return .buffered(syncIntervalMilliseconds: ms) }
        if text == "buffered" { return .buffered(syncIntervalMilliseconds: 10) }
        throw CLIError("--durability must be durable or buffered:MS, not \"\(text)\"", exitCode: 2)
    }
}
