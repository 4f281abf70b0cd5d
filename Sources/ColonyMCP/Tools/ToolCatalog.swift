/// The tools Colony offers, with input and output schemas written for a language model.
///
/// Each definition is JSON text parsed once at start-up; `tools/list` answers
/// with bytes rendered once.
enum ToolCatalog {
    static let getContext = """
    {"name":"get_context","title":"Get the context of a scope",
     "description":"Returns what is known about a scope: counts, the most recent events and the most important insights, for this scope and every scope below it (the context of \\"acme\\" includes \\"acme/api\\"). Call it at the start of a task and whenever you need to know what other agents did or learned. The answer is always bounded by max_bytes. Pass since_position (the \\"position\\" of an earlier answer) to get only what changed since then.",
     "inputSchema":{"type":"object","properties":{
       "scope":{"type":"string","description":"The scope path: segments separated by '/', e.g. \\"acme/api\\" or \\"project/feature-x\\". Up to 256 bytes and 16 segments; no ':'."},
       "max_events":{"type":"integer","minimum":0,"maximum":255,"default":20,"description":"At most this many recent events, newest first."},
       "max_insights":{"type":"integer","minimum":0,"maximum":255,"default":10,"description":"At most this many insights, most important first."},
       "max_bytes":{"type":"integer","minimum":4096,"maximum":16777216,"default":65536,"description":"Cap on the size of the answer in bytes; insights are kept before events and the answer says truncated: true when something was left out."},
       "since_position":{"type":"integer","minimum":0,"description":"Only events and insights after this log position (the position field of a previous answer)."},
       "format":{"type":"string","enum":["json","markdown"],"default":"json","description":"json (default) or markdown: the same context as readable tables of at most 10 rows."}},
      "required":["scope"],"additionalProperties":false},
     "outputSchema":{"type":"object","properties":{
       "scope":{"type":"string"},
       "position":{"type":"integer","description":"Log position of the newest event in this context; pass it as since_position later."},
       "events":{"type":"integer","description":"Events ever logged in this scope and below."},
       "first_time":{"type":"string"},"last_time":{"type":"string"},
       "counts":{"type":"object","additionalProperties":{"type":"integer"},"description":"Events by kind."},
       "recent":{"type":"array","items":{"type":"object"},"description":"Recent events, newest first."},
       "insights":{"type":"array","items":{"type":"object"},"description":"Insights, most important first."},
       "truncated":{"type":"boolean","description":"Whether max_bytes left something out."}},
      "required":["scope","position","events","counts","recent","insights","truncated"]},
     "annotations":{"title":"Get the context of a scope","readOnlyHint":true,"destructiveHint":false,"idempotentHint":true,"openWorldHint":false}}
    """

    static let logEvent = """
    {"name":"log_event","title":"Log an event",
     "description":"Records something that happened in a scope (a decision, an action, a result, an error) so that every agent sharing this memory sees it in get_context. Answers with the event's log position once it is durably stored. Use log_insight instead for lasting knowledge.",
     "inputSchema":{"type":"object","properties":{
       "scope":{"type":"string","description":"The scope path the event belongs to, e.g. \\"acme/api\\"."},
       "text":{"type":"string","description":"What happened, in a sentence or a short paragraph (up to 64 KiB)."},
       "kind":{"type":"string","default":"event","description":"A short category such as \\"decision\\", \\"error\\" or \\"deploy\\" ([A-Za-z0-9._-], not \\"insight\\")."},
       "data":{"description":"Optional structured details: any JSON value, kept with the event."},
       "priority":{"type":"string","enum":["normal","low"],"default":"normal","description":"low events may be dropped when the store is overloaded; normal ones are not."},
       "event_id":{"type":"string","description":"Optional UUID. Retrying with the same id never stores the event twice."},
       "agent":{"type":"string","description":"Who is logging: your agent name."}},
      "required":["scope","text"],"additionalProperties":false},
     "outputSchema":{"type":"object","properties":{
       "position":{"type":"integer","description":"The event's position in the log."},
       "event_id":{"type":"string"},
       "scope":{"type":"string"},
       "duplicate":{"type":"boolean","description":"True when this event id was already stored; nothing new was written."}},
      "required":["position","event_id","scope","duplicate"]},
     "annotations":{"title":"Log an event","readOnlyHint":false,"destructiveHint":false,"idempotentHint":false,"openWorldHint":false}}
    """

    static let logInsight = """
    {"name":"log_insight","title":"Log an insight",
     "description":"Records something learned that other agents should know (a rule, a pitfall, a fact about the code or the project). Insights are ranked by importance and shown before events in get_context; an insight with the same text as an earlier one in the scope is merged with it and counted as another mention. Answers once durably stored.",
     "inputSchema":{"type":"object","properties":{
       "scope":{"type":"string","description":"The scope path the insight applies to, e.g. \\"acme\\" for the whole project."},
       "text":{"type":"string","description":"The insight, stated so it is useful without other context (up to 64 KiB)."},
       "importance":{"type":"number","minimum":0,"maximum":1,"default":0.5,"description":"How much it matters, from 0 (trivia) to 1 (critical)."},
       "tags":{"type":"array","items":{"type":"string"},"maxItems":16,"description":"Up to 16 short tags."},
       "supersedes":{"type":"string","description":"The event_id of an earlier insight that this one replaces."},
       "event_id":{"type":"string","description":"Optional UUID. Retrying with the same id never stores the insight twice."},
       "agent":{"type":"string","description":"Who is logging: your agent name."}},
      "required":["scope","text"],"additionalProperties":false},
     "outputSchema":{"type":"object","properties":{
       "position":{"type":"integer"},"event_id":{"type":"string"},"scope":{"type":"string"},"duplicate":{"type":"boolean"}},
      "required":["position","event_id","scope","duplicate"]},
     "annotations":{"title":"Log an insight","readOnlyHint":false,"destructiveHint":false,"idempotentHint":false,"openWorldHint":false}}
    """

    static let getStats = """
    {"name":"get_stats","title":"Get store and server statistics",
     "description":"Reports the store's head position, event count, size, view lag, write-queue depth, shed events, this server's per-tool latency (p50/p95/p99 in microseconds), its writer's time per batch (work in the transaction, and the commit: pages written and flushed to disk) and memory. Useful to check that the memory is healthy and where write latency goes.",
     "inputSchema":{"type":"object","properties":{},"additionalProperties":false},
     "outputSchema":{"type":"object","properties":{
       "head_position":{"type":"integer"},"events":{"type":"integer"},"streams":{"type":"integer"},
       "store_bytes":{"type":"integer"},"map_bytes":{"type":"integer"},
       "queue_depth":{"type":"integer"},"shed_events":{"type":"integer"},"view_lag":{"type":"integer"},
       "memory_rss_bytes":{"type":"integer"},"uptime_seconds":{"type":"number"},
       "writer":{"type":"object","description":"This server's writer: batches and events committed, microseconds per batch inside the transaction (work_*) and in LMDB's commit (commit_*)"},
       "tools":{"type":"object","additionalProperties":{"type":"object"}}},
      "required":["head_position","events","store_bytes","queue_depth","shed_events","view_lag","tools"]},
     "annotations":{"title":"Get store and server statistics","readOnlyHint":true,"destructiveHint":false,"idempotentHint":true,"openWorldHint":false}}
    """

    static let ticketOutput = """
    {"type":"object","properties":{
       "ticket":{"type":"string","description":"Pass it to get_ticket."},
       "kind":{"type":"string","enum":["export","backup","verify","rebuild"]},
       "state":{"type":"string","enum":["running","succeeded","failed"]},
       "phase":{"type":"string"},
       "progress":{"type":"object","properties":{"done":{"type":"integer"},"total":{"type":"integer"},"fraction":{"type":"number"}}},
       "started":{"type":"string"},"finished":{"type":"string"},"elapsed_seconds":{"type":"number"},
       "result":{"type":"object","description":"What the operation produced, once succeeded."},
       "error":{"type":"string","description":"Why it failed."}},
     "required":["ticket","kind","state","progress"]}
    """

    static let startExport = """
    {"name":"start_export","title":"Start exporting the log",
     "description":"Starts writing the event log (all of it, or after a position, or one scope and below) as NDJSON, one event per line (docs/ndjson.md), to a new file in the server's work directory. Answers at once with a ticket; call get_ticket to follow it and read the file's path when it has succeeded.",
     "inputSchema":{"type":"object","properties":{
       "since_position":{"type":"integer","minimum":0,"description":"Only events after this log position."},
       "scope":{"type":"string","description":"Only events of this scope and the scopes below it."}},
      "additionalProperties":false},
     "outputSchema":\(ticketOutput),
     "annotations":{"title":"Start exporting the log","readOnlyHint":false,"destructiveHint":false,"idempotentHint":false,"openWorldHint":false}}
    """

    static let startBackup = """
    {"name":"start_backup","title":"Start a backup of the store",
     "description":"Starts a hot, consistent, compacted copy of the whole store into a new directory in the server's work directory (writes go on meanwhile). Answers at once with a ticket; call get_ticket to follow it. The copy opens as a store: restore it by copying it back while no process has the store open.",
     "inputSchema":{"type":"object","properties":{},"additionalProperties":false},
     "outputSchema":\(ticketOutput),
     "annotations":{"title":"Start a backup of the store","readOnlyHint":false,"destructiveHint":false,"idempotentHint":false,"openWorldHint":false}}
    """

    static let startVerify = """
    {"name":"start_verify","title":"Start verifying the store",
     "description":"Starts checking every record's checksum, that positions are dense, that the indexes agree with the log and (unless check_views is false) that every view equals a rebuild from the log. Answers at once with a ticket; get_ticket reports progress and, at the end, whether the store is clean and what was found.",
     "inputSchema":{"type":"object","properties":{
       "check_views":{"type":"boolean","default":true,"description":"Also rebuild every view in a scratch directory and compare (the slow part)."}},
      "additionalProperties":false},
     "outputSchema":\(ticketOutput),
     "annotations":{"title":"Start verifying the store","readOnlyHint":true,"destructiveHint":false,"idempotentHint":true,"openWorldHint":false}}
    """

    static let startRebuild = """
    {"name":"start_rebuild","title":"Start rebuilding views from the log",
     "description":"Starts rebuilding one view (or every view) from the event log beside the live one, then swaps it in at once: get_context keeps answering from the live view meanwhile, and writes go on. Needed only when start_verify found a view that differs from the log. Answers at once with a ticket; get_ticket reports progress. A rebuild that was stopped resumes where it stopped.",
     "inputSchema":{"type":"object","properties":{
       "view":{"type":"string","description":"Only this view (e.g. context); default every view."}},
      "additionalProperties":false},
     "outputSchema":\(ticketOutput),
     "annotations":{"title":"Start rebuilding views from the log","readOnlyHint":false,"destructiveHint":false,"idempotentHint":true,"openWorldHint":false}}
    """

    static let getTicket = """
    {"name":"get_ticket","title":"Get a ticket's state",
     "description":"Reports the state (running, succeeded, failed), progress and result of an operation started with start_export, start_backup, start_verify or start_rebuild.",
     "inputSchema":{"type":"object","properties":{
       "ticket":{"type":"string","description":"The ticket a start_* tool answered with."}},
      "required":["ticket"],"additionalProperties":false},
     "outputSchema":\(ticketOutput),
     "annotations":{"title":"Get a ticket's state","readOnlyHint":true,"destructiveHint":false,"idempotentHint":true,"openWorldHint":false}}
    """

    /// Every tool definition, parsed. A definition that does not parse is a programming error caught by the tests.
    static let all: [JSONValue] = ([getContext, logEvent, logInsight, getStats, startExport, startBackup, startVerify, startRebuild, getTicket]
        + SwarmToolCatalog.all).map { try! JSONParser.parse($0) }

    static let names: [String] = all.map { $0["name"]!.stringValue! }

    /// The `tools/list` result.
    static let listResult: [UInt8] = JSONValue.object([("tools", .array(all))]).jsonBytes

    static let resourceTemplate = JSONValue.object([
        ("uriTemplate", .string("colony://context/{scope}")),
        ("name", .string("context")),
        ("title", .string("Context of a scope")),
        ("description", .string("The context of a scope (e.g. colony://context/acme/api) as JSON: counts, recent events and top insights of the scope and the scopes below it. Subscribe to be notified when it changes.")),
        ("mimeType", .string("application/json")),
    ])
}
