import ColonyStore

/// Which tool calls a scoped grant may make, checked before a tool reads its arguments.
///
/// - `get_context`, `log_event`, `log_insight`: only with a `scope` inside the grant;
///   `log_insight` may supersede only an insight logged inside the grant (superseding
///   changes the context of the superseded insight's scope).
/// - `start_export`: only with a `scope` inside the grant (the export holds that subtree).
/// - `get_ticket`: only tickets started under the same grant (`TicketTools` checks).
/// - Everything else works on the whole store (`get_stats`, `start_backup`,
///   `start_verify`, `start_rebuild`, and the swarm tools, whose agents, tasks and
///   proposals belong to no scope) and is refused, as is any tool added later
///   until it is listed here.
enum ToolAccess {
    /// Why `grant` may not make this call, or nil when it may.
    static func refusal(tool: String, arguments: JSONValue?, grant: ScopeGrant, store: ColonyStore) -> String? {
        guard !grant.isEverything else { return nil }
        switch tool {
        case "get_context", "log_event", "log_insight":
            // A missing or non-string scope is left to the tool, which refuses it with its own message.
            if case .string(let scope)? = arguments?["scope"], !grant.allows(scope) { return grant.refusal(scope: scope) }
            if tool == "log_insight", case .string(let raw)? = arguments?["supersedes"], let id = EventID(string: raw) {
                return supersedingRefusal(id, grant: grant, store: store)
            }
            return nil
        case "start_export":
            guard case .string(let scope)? = arguments?["scope"] else {
                return "forbidden: this token may use only \(grant.description), so start_export needs a scope argument inside it"
            }
            return grant.allows(scope) ? nil : grant.refusal(scope: scope)
        case "get_ticket":
            return nil
        default:
            return ToolCatalog.names.contains(tool) ? grant.refusal(operation: tool) : nil
        }
    }

    /// Fails closed: an insight whose scope cannot be read is refused too.
    private static func supersedingRefusal(_ id: EventID, grant: ScopeGrant, store: ColonyStore) -> String? {
        do {
            guard let position = try store.position(of: id) else { return nil }  // the tool says it is unknown
            guard let target = try store.event(at: position) else { return nil }
            return grant.allows(target.stream) ? nil : "forbidden: supersedes names an insight outside \(grant.description)"
        } catch {
            return "forbidden: the insight that supersedes names could not be checked: \(error)"
        }
    }
}
