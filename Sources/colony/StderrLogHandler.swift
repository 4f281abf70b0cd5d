import Foundation
import Logging

/// `colony serve`'s log handler: one line per message on stderr, in the format of swift-log's
/// `StreamLogHandler` (`2026-12-04T21:40:00+0000 info colony.serve: key=value [Source] message`).
///
/// Why not `StreamLogHandler` itself: it formats its metadata each time the metadata is
/// *set*, and Hummingbird sets a request id on a copy of the logger for every HTTP request,
/// so every request paid for sorting, describing and joining metadata that is printed only
/// if something logs. That was about 3% of the server's CPU under load (`perf`, see
/// docs/PERFORMANCE.md). This handler keeps the metadata as given and formats it only when
/// a message at or above the level is written.
struct StderrLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata = Logger.Metadata()

    init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let explicit = event.metadata { all.merge(explicit) { _, new in new } }
        if let error = event.error {
            all["error.message"] = "\(error)"
            all["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        let line = Self.format(time: Date(), level: event.level, label: label, metadata: all,
                               source: event.source, message: "\(event.message)")
        Self.write(line)
    }

    /// One `write(2)` per line (a line under 4 KiB reaches a pipe whole, not interleaved with
    /// another thread's); a short write continues, an error drops the rest of the line.
    static func write(_ line: String) {
        Array(line.utf8).withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Foundation.write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }

    /// One log line, newline included; metadata sorted by key, as `StreamLogHandler` prints it.
    static func format(time: Date, level: Logger.Level, label: String, metadata: Logger.Metadata,
                       source: String, message: String) -> String {
        var line = timestamp(time)
        line += " \(level)"
        if !label.isEmpty { line += " \(label)" }
        line += ":"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += " [\(source)] \(message)\n"
        return line
    }

    /// Local time with its offset, as `strftime("%Y-%m-%dT%H:%M:%S%z")` gives it.
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var local = tm()
        guard localtime_r(&seconds, &local) != nil else { return "<unknown>" }
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
