import ColonyContext
import ColonyStore
import ColonySwarm
import Foundation

/// What a tool call produced. The server writes the `CallToolResult` around it
/// in one pass (`ToolResultWriter`).
enum ToolOutcome {
    /// Success: `json` is the structured content; `text` the text content, or nil
    /// when it is the same JSON.
    case structured(json: [UInt8], text: [UInt8]?)
    /// A tool execution error, in words the model can act on.
    case failed(message: String)
    case protocolError(JSONRPC.Failure)
}

/// The tools' behaviour over the store. Reads touch only the context view;
/// writes go through the store's group-commit writer.
struct ContextTools {
    let store: ColonyStore
    let metrics: ServerMetrics

    // MARK: get_context

    static let getContextArguments = ["scope", "max_events", "max_insights", "max_bytes", "since_position", "format"]

    func getContext(_ raw: JSONValue?) -> ToolOutcome {
        do {
            let args = try ToolArguments(tool: "get_context", raw, allowed: Self.getContextArguments)
            let scope = try args.requiredString("scope")
            var query = ContextQuery()
            if let v = try args.int("max_events", in: 0...255) { query.maxEvents = Int(v) }
            if let v = try args.int("max_insights", in: 0...255) { query.maxInsights = Int(v) }
            if let v = try args.int("max_bytes", in: 4096...16_777_216) { query.maxBytes = Int(v) }
            if let v = try args.int("since_position", in: 0...Int64.max) { query.sincePosition = UInt64(v) }
            let markdown = try args.oneOf("format", ["json", "markdown"]) == "markdown"
            let doc = try store.context(of: scope, query)
            if markdown {
                let text = MarkdownContext.render(json: doc.json)
                return .structured(json: doc.json, text: Array(text.utf8))
            }
            return .structured(json: doc.json, text: nil)
        } catch {
            return Self.toolError(error)
        }
    }

    enum PlainOutcome {
        case success([UInt8])
        case failure(String)
        var failed: Bool { if case .failure = self { return true } else { return false } }
    }

    /// The context JSON alone, for `GET /context/{scope}`: the same bytes as the tool's structured content.
    func contextJSON(_ raw: JSONValue) -> PlainOutcome {
        do {
            let args = try ToolArguments(tool: "GET /context", raw, allowed: Self.getContextArguments.filter { $0 != "format" })
            var query = ContextQuery()
            if let v = try args.int("max_events", in: 0...255) { query.maxEvents = Int(v) }
            if let v = try args.int("max_insights", in: 0...255) { query.maxInsights = Int(v) }
            if let v = try args.int("max_bytes", in: 4096...16_777_216) { query.maxBytes = Int(v) }
            if let v = try args.int("since_position", in: 0...Int64.max) { query.sincePosition = UInt64(v) }
            return .success(try store.context(of: try args.requiredString("scope"), query).json)
        } catch {
            if case .failed(let message) = Self.toolError(error) { return .failure(message) }
            return .failure("\(error)")
        }
    }

    // MARK: log_event, log_insight

    static let logEventArguments = ["scope", "text", "kind", "data", "priority", "event_id", "agent"]
    static let logInsightArguments = ["scope", "text", "importance", "tags", "supersedes", "event_id", "agent"]

    /// Checked arguments of a write, so bad input is answered before anything is queued.
    enum Write {
        case event(scope: String, text: String, kind: String, data: [UInt8]?, priority: NewEvent.Priority, id: EventID, agent: String?)
        case insight(scope: String, text: String, importance: Double, tags: [String], supersedes: EventID?, id: EventID, agent: String?)
    }

    func checkLogEvent(_ raw: JSONValue?) throws -> Write {
        let args = try ToolArguments(tool: "log_event", raw, allowed: Self.logEventArguments)
        let scope = try args.requiredString("scope")
        let text = try args.requiredString("text")
        let kind = try args.string("kind") ?? "event"
        let data = args.value("data").map(\.jsonBytes)
        let priority: NewEvent.Priority = try args.oneOf("priority", ["normal", "low"]) == "low" ? .low : .normal
        let id = try Self.eventID(args)
        return .event(scope: scope, text: text, kind: kind, data: data, priority: priority, id: id, agent: try args.string("agent"))
    }

    func checkLogInsight(_ raw: JSONValue?) throws -> Write {
        let args = try ToolArguments(tool: "log_insight", raw, allowed: Self.logInsightArguments)
        let scope = try args.requiredString("scope")
        let text = try args.requiredString("text")
        let importance = try args.double("importance", in: 0...1) ?? 0.5
        let tags = try args.strings("tags") ?? []
        var supersedes: EventID? = nil
        if let s = try args.string("supersedes") {
            guard let id = EventID(string: s) else { throw ToolArguments.Invalid("supersedes \"\(s.prefix(64))\" is not an event id (a UUID)") }
            supersedes = id
        }
        return .insight(scope: scope, text: text, importance: importance, tags: tags, supersedes: supersedes,
                        id: try Self.eventID(args), agent: try args.string("agent"))
    }

    static func eventID(_ args: ToolArguments) throws -> EventID {
        guard let s = try args.string("event_id") else { return EventID() }
        guard let id = EventID(string: s) else { throw ToolArguments.Invalid("event_id \"\(s.prefix(64))\" is not a UUID") }
        return id
    }

    /// Appends and waits until the event is durable (or buffered, in buffered mode).
    /// Appends the checked write and hands the tool's outcome to `completion`, on the
    /// writer's thread once it is committed (no hop through another task), or at once for
    /// bad input.
    func perform(_ write: Write, completion: @escaping @Sendable (ToolOutcome) -> Void) {
        let event: NewEvent
        let scope: String, id: EventID
        do {
            switch write {
            case let .event(s, text, kind, data, priority, eid, agent):
                scope = s; id = eid
                event = try store.agentEvent(scope: s, text: text, kind: kind, data: data, agent: agent, priority: priority, id: eid)
            case let .insight(s, text, importance, tags, supersedes, eid, agent):
                scope = s; id = eid
                event = try store.insightEvent(scope: s, text: text, importance: importance, tags: tags,
                                               supersedes: supersedes, agent: agent, id: eid)
            }
        } catch {
            completion(Self.toolError(error))
            return
        }
        store.append([event]) { result in
            switch result {
            case .success(let appended): completion(.structured(json: Self.written(appended, id: id, scope: scope), text: nil))
            case .failure(let error): completion(Self.toolError(error))
            }
        }
    }

    /// A write's answer: where it landed, and whether it was already there.
    static func written(_ result: AppendResult, id: EventID, scope: String) -> [UInt8] {
        var json: [UInt8] = []
        JSONWriter.raw("{\"position\":", to: &json)
        JSONWriter.uint(result.lastPosition, to: &json)
        JSONWriter.raw(",\"event_id\":", to: &json)
        JSONWriter.string(id.description, to: &json)
        JSONWriter.raw(",\"scope\":", to: &json)
        JSONWriter.string(scope, to: &json)
        JSONWriter.raw(result.duplicates > 0 ? ",\"duplicate\":true}" : ",\"duplicate\":false}", to: &json)
        return json
    }

    // MARK: get_stats

    func getStats(_ raw: JSONValue?) -> ToolOutcome {
        do {
            _ = try ToolArguments(tool: "get_stats", raw, allowed: [])
            return .structured(json: try statsJSON().jsonBytes, text: nil)
        } catch {
            return Self.toolError(error)
        }
    }

    func statsJSON() throws -> JSONValue {
        let s = try store.statistics()
        let lag = s.views.map(\.lagEvents).max() ?? 0
        var tools: [(String, JSONValue)] = []
        for m in metrics.summaries() {
            tools.append((m.name, .object([
                ("calls", .int(Int64(m.calls))), ("errors", .int(Int64(m.errors))),
                ("p50_us", .double(Double(m.p50) / 1000)), ("p95_us", .double(Double(m.p95) / 1000)),
                ("p99_us", .double(Double(m.p99) / 1000)), ("max_us", .double(Double(m.max) / 1000)),
            ])))
        }
        return .object([
            ("head_position", .int(Int64(s.headPosition))),
            ("events", .int(Int64(s.headPosition))),
            ("streams", .int(Int64(s.streams))),
            ("store_bytes", .int(Int64(s.fileSizeBytes))),
            ("used_bytes", .int(Int64(s.usedBytes))),
            ("map_bytes", .int(Int64(s.mapSizeBytes))),
            ("durability", .string(s.durability)),
            ("queue_depth", .int(Int64(s.queueDepthEvents))),
            ("max_queue_depth", .int(Int64(s.maxQueueDepthEvents))),
            ("shed_events", .int(Int64(s.shedEvents))),
            ("overloaded_appends", .int(Int64(s.overloadedAppends))),
            ("writer", .object([
                ("batches", .int(Int64(s.batchesCommitted))),
                ("events", .int(Int64(s.eventsCommitted))),
                ("work_p50_us", .double(Self.microseconds(s.batchWork.p50Nanoseconds))),
                ("work_p99_us", .double(Self.microseconds(s.batchWork.p99Nanoseconds))),
                ("commit_p50_us", .double(Self.microseconds(s.batchCommit.p50Nanoseconds))),
                ("commit_p99_us", .double(Self.microseconds(s.batchCommit.p99Nanoseconds))),
                ("commit_max_us", .double(Self.microseconds(s.batchCommit.maxNanoseconds))),
            ])),
            ("view_lag", .int(Int64(lag))),
            ("views", .array(s.views.map { .object([("name", .string($0.name)), ("checkpoint", .int(Int64($0.checkpoint))),
                                                     ("lag", .int(Int64($0.lagEvents)))]) })),
            ("readers_in_use", .int(Int64(s.readersInUse))),
            ("memory_rss_bytes", .int(Int64(ServerMetrics.residentBytes()))),
            ("uptime_seconds", .double((Date().timeIntervalSince(metrics.started) * 1000).rounded() / 1000)),
            ("tools", .object(tools)),
        ])
    }

    static func microseconds(_ ns: UInt64) -> Double { Double(ns) / 1000 }

    // MARK: Results

    /// A tool execution error the model can read and act on.
    static func toolError(_ error: any Error) -> ToolOutcome {
        let message: String
        switch error {
        case let e as ToolArguments.Invalid: message = "invalid arguments: \(e.description)"
        case let e as ContextError: message = e.description
        case let e as SwarmError where e.isRetryable: message = "\(e.description) (retryable)"
        case let e as SwarmError: message = e.description
        case let e as StoreError where e.isRetryable: message = "\(e.description) (retryable: try again shortly)"
        case let e as StoreError: message = e.description
        default: message = "\(error)"
        }
        return .failed(message: message)
    }
}
