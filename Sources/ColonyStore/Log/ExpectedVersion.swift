/// What an append expects of its stream's current version (optimistic concurrency).
///
/// Versions count a stream's events from 1. A stream that has never been
/// written has no version.
public enum ExpectedVersion: Sendable, Equatable, CustomStringConvertible {
    /// Append whatever the stream's version.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream must exist (have at least one event).
    case streamExists
    /// The stream's last event must have exactly this version; `.exact(0)`
    /// means the stream has no events, like `.noStream`.
    case exact(UInt64)

    func admits(_ actual: UInt64?) -> Bool {
        switch self {
        case .any: return true
        case .noStream: return actual == nil
        case .streamExists: return actual != nil
        case .exact(let v): return actual == v || (v == 0 && actual == nil)
        }
    }

    public var description: String {
        switch self {
        case .any: return "any version"
        case .noStream: return "no stream"
        case .streamExists: return "an existing stream"
        case .exact(let v): return "version \(v)"
        }
    }
}
