/// Where a task is in its life: queued → assigned → succeeded or failed; a requeue sends an
/// assigned task back to queued.
public enum TaskState: String, Sendable, Codable, CaseIterable {
    case queued
    case assigned
    case succeeded
    case failed

    var code: UInt8 {
        switch self {
        case .queued: return 0
        case .assigned: return 1
        case .succeeded: return 2
        case .failed: return 3
        }
    }

    init?(code: UInt8) {
        guard let s = TaskState.allCases.first(where: { $0.code == code }) else { return nil }
        self = s
    }

    /// Succeeded or failed: nothing more happens to the task.
    public var isFinished: Bool { self == .succeeded || self == .failed }
}
