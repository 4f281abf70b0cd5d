import Foundation

/// Progress of a long command on standard error: a bar redrawn in place with rate and ETA on
/// a terminal, plain lines at most every `intervalSeconds` otherwise (logs, pipes, CI).
final class ProgressDisplay {
    enum Style { case bar, lines, none }

    let style: Style
    let intervalSeconds: Double
    private let started = Date()
    private var lastShown: Date?
    private var drewBar = false

    init(style: Style, intervalSeconds: Double = 1) {
        self.style = style
        self.intervalSeconds = intervalSeconds
    }

    /// The bar on a terminal, lines otherwise.
    static func automatic(quiet: Bool, intervalSeconds: Double = 1) -> ProgressDisplay {
        ProgressDisplay(style: quiet ? .none : (StandardError.isTerminal ? .bar : .lines), intervalSeconds: intervalSeconds)
    }

    var elapsedSeconds: Double { Date().timeIntervalSince(started) }

    /// Shows `done` of `total` units of work (`label` says what); `force` shows it whatever the interval.
    func update(_ label: String, done: UInt64, total: UInt64, unit: String, force: Bool = false) {
        guard style != .none else { return }
        let now = Date()
        let interval = style == .bar ? min(intervalSeconds, 0.1) : intervalSeconds
        if !force, let lastShown, now.timeIntervalSince(lastShown) < interval { return }
        lastShown = now
        let elapsed = max(now.timeIntervalSince(started), 1e-6)
        let rate = Double(done) / elapsed
        let fraction = total == 0 ? 1 : min(Double(done) / Double(total), 1)
        let eta = rate > 0 && total > done ? Double(total - done) / rate : 0
        let figures = "\(Self.grouped(done))/\(Self.grouped(total)) \(unit) (\(Int(fraction * 100))%), "
            + "\(Self.grouped(UInt64(rate))) \(unit)/s, ETA \(Self.duration(eta))"
        switch style {
        case .bar:
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[K\(label) [\(bar)] \(figures)".utf8))
            drewBar = true
        case .lines:
            StandardError.print("colony: \(label): \(figures)")
        case .none:
            break
        }
    }

    /// A message between updates (on its own line).
    func note(_ text: String) {
        guard style != .none else { return }
        clear()
        StandardError.print("colony: \(text)")
    }

    /// Removes the bar before the command prints its result.
    func clear() {
        if drewBar { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drewBar = false
    }

    static func grouped(_ n: UInt64) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.0fs", seconds.rounded(.up)) }
        let s = Int(seconds.rounded(.up))
        return s < 3600 ? "\(s / 60)m\(s % 60)s" : "\(s / 3600)h\((s % 3600) / 60)m"
    }
}
