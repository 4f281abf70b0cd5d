import ColonyStore

/// The one error type of `ColonyContext`: what was wrong with a context request.
public enum ContextError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A scope path was empty, too long, had too many or malformed segments, or forbidden characters.
    case invalidScope(String, reason: String)
    /// A text was empty or over the limit.
    case invalidText(reason: String)
    /// An insight's importance was outside 0...1 or not a number.
    case invalidImportance(Double)
    /// A tag was empty, too long, or there were too many.
    case invalidTags(reason: String)
    /// `supersedes` named an event id that is not an insight in the log.
    case unknownInsight(EventID)
    /// A context limit was out of range.
    case invalidLimit(String)
    /// The store has no context view: open it with `Colony.open` or register `ContextProjection`.
    case contextViewNotRegistered

    public var description: String {
        switch self {
        case .invalidScope(let s, let r): return "invalid scope \"\(s.prefix(80))\": \(r)"
        case .invalidText(let r): return "invalid text: \(r)"
        case .invalidImportance(let v): return "importance \(v) is outside 0...1"
        case .invalidTags(let r): return "invalid tags: \(r)"
        case .unknownInsight(let id): return "supersedes \(id), which is not an insight in this store"
        case .invalidLimit(let m): return m
        case .contextViewNotRegistered: return "the store was opened without the context view; open it with Colony.open"
        }
    }
}
