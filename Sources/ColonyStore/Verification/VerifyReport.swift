/// What `ColonyStore.verify(_:progress:)` checked and found.
///
/// ```swift
/// let report = try store.verify()
/// if !report.isClean { for f in report.findings { print(f) } }
/// ```
public struct VerifyReport: Sendable, Codable {
    /// One thing wrong with the store, named by position or key.
    public struct Finding: Sendable, Codable, Equatable, CustomStringConvertible {
        /// The part of the store the finding is in.
        public enum Area: String, Sendable, Codable {
            /// An event record: checksum, structure, its stream version.
            case record
            /// The positions of the log: gaps, malformed keys.
            case positions
            /// The `streams` database (stream name → id, head version and head position).
            case streams
            /// The `stream-positions` index ((stream id, version) → position).
            case streamPositions = "stream-positions"
            /// The `stream-links` index (position → the stream's previous position).
            case streamLinks = "stream-links"
            /// The `event-ids` index (event id → position).
            case eventIDs = "event-ids"
            /// The `checkpoints` database.
            case checkpoints
            /// The `meta` database (format, stream id counter).
            case meta
            /// A view (`table` names which of its databases).
            case view
        }

        public var area: Area
        /// For views: `view:<name>` or `view:<name>/<table>`.
        public var table: String?
        /// The log position the finding is about, when there is one.
        public var position: UInt64?
        /// The key the finding is about (printable text, other bytes as `\xNN`).
        public var key: String?
        /// What is wrong.
        public var message: String

        public init(area: Area, table: String? = nil, position: UInt64? = nil, key: String? = nil, message: String) {
            self.area = area
            self.table = table
            self.position = position
            self.key = key
            self.message = message
        }

        public var description: String {
            var parts = [table ?? area.rawValue]
            if let position { parts.append("position \(position)") }
            if let key { parts.append("key \"\(key)\"") }
            return parts.joined(separator: " ") + ": " + message
        }
    }

    /// How one view compared with a scratch rebuild from the log.
    public struct ViewCheck: Sendable, Codable, Equatable {
        /// The outcome.
        public enum Outcome: String, Sendable, Codable {
            /// Every key and value equals the rebuild's.
            case equal
            /// Some differ; the findings name them.
            case differs
            /// Not compared; `note` says why.
            case skipped
        }

        public var name: String
        /// The projection version this program has (0 when the projection is not registered).
        public var version: UInt32
        /// The last position the view had applied.
        public var checkpoint: UInt64
        /// Events after the checkpoint (a view behind the log catches up when a writer opens the store).
        public var lagEvents: UInt64
        /// Entries compared, over all the view's tables.
        public var entriesCompared: Int
        public var outcome: Outcome
        public var note: String?
    }

    /// The store verified.
    public var path: String
    /// The head of the snapshot verified.
    public var headPosition: UInt64
    /// Records read and checked.
    public var eventsChecked: UInt64
    /// Streams seen in the log.
    public var streamsChecked: Int
    /// Each view: registered with the store (compared with a rebuild) or only seen in `checkpoints`.
    public var views: [ViewCheck]
    /// Problems found, at most `VerifyOptions.maxFindings` of them.
    public var findings: [Finding]
    /// Problems found beyond `maxFindings`.
    public var findingsOmitted: Int
    /// Remarks that are not problems (a view behind the log, a view not checked).
    public var notes: [String]
    /// How long the verify took.
    public var durationSeconds: Double

    /// Whether nothing was found.
    public var isClean: Bool { findings.isEmpty && findingsOmitted == 0 }
}

/// How `ColonyStore.verify(_:progress:)` runs.
public struct VerifyOptions: Sendable {
    /// Rebuild each registered view from the log into a scratch environment and compare.
    public var checkViews = true
    /// Findings kept in the report; more are only counted.
    public var maxFindings = 1_000
    /// Where scratch rebuilds go (a temporary directory inside it, removed afterwards);
    /// `nil` for the system's temporary directory. It needs room for the largest view.
    public var scratchDirectory: String?

    public init() {}
}
