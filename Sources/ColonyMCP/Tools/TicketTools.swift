import ColonyStore
import Foundation

/// `start_export`, `start_backup`, `start_verify`, `start_rebuild` and `get_ticket`: the long
/// operations of the offline CLI, started over MCP without blocking a request.
struct TicketTools {
    let store: ColonyStore
    let tickets: TicketRegistry

    func startExport(_ raw: JSONValue?, grant: ScopeGrant = .everything) -> ToolOutcome {
        do {
            let args = try ToolArguments(tool: "start_export", raw, allowed: ["since_position", "scope"])
            var filter = EventFilter(afterPosition: UInt64(try args.int("since_position", in: 0...Int64.max) ?? 0))
            filter.scope = try args.string("scope")
            let store = self.store, tickets = self.tickets, exporter = NDJSONExporter(filter: filter)
            let ticket = try tickets.start(.export, grant: grant) { id, progress in
                let head = try store.headPosition()
                let path = try tickets.outputPath(.export, ticket: id, suffix: ".ndjson")
                // A new file only (never through a symlink planted at the path), flushed with its name.
                var lines: UInt64 = 0
                let summary = try exporter.export(from: store, toFile: path) { chunk in
                    for b in chunk where b == 0x0A { lines += 1 }
                    progress("exporting", lines, head)
                }
                return .object([("path", .string(path)), ("events", .int(Int64(summary.events))),
                                ("last_position", .int(Int64(summary.lastPosition))), ("head_position", .int(Int64(summary.headPosition)))])
            }
            return .structured(json: ticket.json.jsonBytes, text: nil)
        } catch {
            return ContextTools.toolError(error)
        }
    }

    func startBackup(_ raw: JSONValue?) -> ToolOutcome {
        do {
            _ = try ToolArguments(tool: "start_backup", raw, allowed: [])
            let store = self.store, tickets = self.tickets
            let ticket = try tickets.start(.backup) { id, progress in
                progress("copying", 0, 1)
                let path = try tickets.outputPath(.backup, ticket: id)
                let result = try store.backup(to: path)
                return .object([("path", .string(result.path)), ("head_position", .int(Int64(result.headPosition))),
                                ("size_bytes", .int(Int64(result.sizeBytes)))])
            }
            return .structured(json: ticket.json.jsonBytes, text: nil)
        } catch {
            return ContextTools.toolError(error)
        }
    }

    func startVerify(_ raw: JSONValue?) -> ToolOutcome {
        do {
            let args = try ToolArguments(tool: "start_verify", raw, allowed: ["check_views"])
            var options = VerifyOptions()
            if case .bool(let b)? = args.value("check_views") { options.checkViews = b }
            else if let v = args.value("check_views") { throw ToolArguments.Invalid("check_views must be a boolean, not \(v.typeName)") }
            let store = self.store, verifyOptions = options
            let ticket = try tickets.start(.verify) { _, progress in
                let report = try store.verify(verifyOptions) { phase, done, total in progress(phase, done, total) }
                return .object([
                    ("clean", .bool(report.isClean)), ("head_position", .int(Int64(report.headPosition))),
                    ("events_checked", .int(Int64(report.eventsChecked))),
                    ("findings", .array(report.findings.prefix(100).map { .string($0.description) })),
                    ("findings_omitted", .int(Int64(report.findingsOmitted + max(0, report.findings.count - 100)))),
                    ("views", .array(report.views.map { .object([("name", .string($0.name)), ("outcome", .string("\($0.outcome)"))]) })),
                ])
            }
            return .structured(json: ticket.json.jsonBytes, text: nil)
        } catch {
            return ContextTools.toolError(error)
        }
    }

    /// Events per rebuild transaction over MCP: small enough that this server's own appends
    /// wait at most a fraction of a second behind a chunk.
    static let rebuildChunkEvents = 65_536

    func startRebuild(_ raw: JSONValue?) -> ToolOutcome {
        do {
            let args = try ToolArguments(tool: "start_rebuild", raw, allowed: ["view"])
            let view = try args.string("view")
            let known = try store.statistics().views.map(\.name)
            if let view, !known.contains(view) {
                throw ToolArguments.Invalid("view must be one of \(known.joined(separator: ", ")), not \"\(view.prefix(64))\"")
            }
            let store = self.store
            let ticket = try tickets.start(.rebuild) { _, progress in
                let report = try store.rebuild(view: view, chunkEvents: Self.rebuildChunkEvents) { p in
                    progress(p.phase == .swapping ? "swapping" : "applying \(p.view)", p.logEventsApplied, p.logEventsTotal)
                }
                return .object([
                    ("views", .array(report.views.map { .string($0) })),
                    ("resumed_from", .object(report.resumedFrom.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
                    ("events_applied", .int(Int64(report.eventsApplied))),
                    ("log_events", .int(Int64(report.logEvents))),
                    ("position", .int(Int64(report.position))),
                    ("entries_swapped", .int(Int64(report.entriesSwapped))),
                ])
            }
            return .structured(json: ticket.json.jsonBytes, text: nil)
        } catch {
            return ContextTools.toolError(error)
        }
    }

    /// A scoped grant sees only the tickets started under it; others answer as unknown.
    func getTicket(_ raw: JSONValue?, grant: ScopeGrant = .everything) -> ToolOutcome {
        do {
            let args = try ToolArguments(tool: "get_ticket", raw, allowed: ["ticket"])
            let id = try args.requiredString("ticket")
            guard let ticket = tickets.ticket(id), grant.isEverything || ticket.grant == grant else {
                throw ToolArguments.Invalid("no ticket \"\(id.prefix(64))\" in this server (tickets last as long as the server process)")
            }
            return .structured(json: ticket.json.jsonBytes, text: nil)
        } catch {
            return ContextTools.toolError(error)
        }
    }
}
