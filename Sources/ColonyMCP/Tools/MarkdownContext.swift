/// A context answer as Markdown for a reader: a summary line and two tables
/// of at most 10 rows each (insights, then recent events).
enum MarkdownContext {
    static let maxRows = 10
    static let maxCellCharacters = 200

    static func render(json: [UInt8]) -> String {
        guard let doc = try? JSONParser.parse(json) else { return "(context could not be rendered)" }
        let scope = doc["scope"]?.stringValue ?? ""
        var out = "# Context of `\(scope)`\n\n"
        out += "position \(number(doc["position"])) · \(number(doc["events"])) events"
        if let first = doc["first_time"]?.stringValue, let last = doc["last_time"]?.stringValue {
            out += " · from \(first) to \(last)"
        }
        out += "\n"
        if case .object(let counts)? = doc["counts"], !counts.isEmpty {
            out += "\nBy kind: " + counts.map { "\($0.0) \(number($0.1))" }.joined(separator: ", ") + "\n"
        }
        if case .array(let insights)? = doc["insights"], !insights.isEmpty {
            out += "\n## Insights\n\n| importance | insight | scope | mentions | id |\n|---|---|---|---|---|\n"
            for i in insights.prefix(maxRows) {
                out += "| \(number(i["importance"])) | \(cell(i["text"])) | \(cell(i["scope"])) | \(number(i["mentions"])) | \(cell(i["id"])) |\n"
            }
            if insights.count > maxRows { out += "\n…and \(insights.count - maxRows) more insights (use format json for all).\n" }
        }
        if case .array(let recent)? = doc["recent"], !recent.isEmpty {
            out += "\n## Recent events\n\n| position | time | kind | scope | text |\n|---|---|---|---|---|\n"
            for e in recent.prefix(maxRows) {
                out += "| \(number(e["position"])) | \(cell(e["time"])) | \(cell(e["kind"])) | \(cell(e["scope"])) | \(cell(e["text"])) |\n"
            }
            if recent.count > maxRows { out += "\n…and \(recent.count - maxRows) more events (use format json for all).\n" }
        }
        if doc["insights"] == .array([]) && doc["recent"] == .array([]) { out += "\nNothing logged here yet.\n" }
        if doc["truncated"] == .bool(true) { out += "\n(truncated to max_bytes)\n" }
        return out
    }

    static func number(_ v: JSONValue?) -> String {
        switch v {
        case .int(let i)?: return String(i)
        case .double(let d)?: return String(d)
        default: return "-"
        }
    }

    /// A table cell: one line, pipes escaped, long text shortened.
    static func cell(_ v: JSONValue?) -> String {
        guard let v else { return "" }
        var s: String
        switch v {
        case .string(let x): s = x
        case .null: s = ""
        default: s = v.jsonText
        }
        if s.count > maxCellCharacters { s = String(s.prefix(maxCellCharacters)) + "…" }
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "|": out += "\\|"
            case "\n", "\r\n", "\r", "\t": out += " "
            default: out.append(c)
            }
        }
        return out
    }
}
