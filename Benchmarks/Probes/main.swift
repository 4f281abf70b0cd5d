// colony-probe: small, direct measurements of the store's write and rebuild paths, for A/B runs
// of two builds on one store (docs/PERFORMANCE.md quotes them with their commands). Build with
//   cd Benchmarks && swift build -c release --product colony-probe --scratch-path .build-probe
//
//   colony-probe bulk STORE BATCHES [SIZE]      durable batches of SIZE (default 1,000) events to
//                                               the benchmarks' 10,000 leaf scopes, in order; the
//                                               store is first filled with 200,000 if it is new.
//                                               Also prints the bytes per batch given to pwrite and
//                                               those the kernel sent to the disk (/proc/self/io).
//                                               With LOGONLY=1 in the environment the store is opened
//                                               without the context projection: the log's share
//   colony-probe concurrent STORE CALLERS SECONDS [DELAY_US]
//                                               CALLERS tasks each appending one durable event at a
//                                               time to random scopes; the writer's batch delay.
//                                               Also prints the bytes per event given to pwrite and
//                                               sent to the disk
//   colony-probe rebuild STORE [TIMES]          store.rebuild() of every view
import ColonyContext
import ColonyStore
import Foundation

func scope(_ j: Int) -> String { "o\(j % 10)/p\(j % 100)/s\(j)" }
let payload: [UInt8] = {
    let sentence = "the agent ran the test suite, found one flaky case in the writer and logged what it saw. "
    let text = String(String(repeating: sentence, count: 4).prefix(256 - 11))
    return Array((#"{"text":""# + text + #""}"#).utf8)
}()
func userCPUSeconds() -> Double {
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6
}
/// This process's bytes given to write(2)/pwrite(2) (wchar) and sent to the disk (write_bytes), from /proc/self/io.
func ioBytes() -> (logical: Double, physical: Double) {
    guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return (0, 0) }
    var fields: [Substring: Double] = [:]
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: ":")
        if parts.count == 2 { fields[parts[0]] = Double(parts[1].trimmingCharacters(in: .whitespaces)) }
    }
    return (fields["wchar"] ?? 0, fields["write_bytes"] ?? 0)
}
func percentile(_ sorted: [Double], _ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
func usage() -> Never {
    FileHandle.standardError.write(Data("usage: colony-probe bulk STORE BATCHES [SIZE] | concurrent STORE CALLERS SECONDS [DELAY_US] | rebuild STORE [TIMES]\n".utf8))
    exit(2)
}

let args = CommandLine.arguments
guard args.count >= 3 else { usage() }
let path = args[2]
switch args[1] {
case "bulk":
    guard args.count >= 4, let batches = Int(args[3]) else { usage() }
    let size = args.count > 4 ? Int(args[4]) ?? 1_000 : 1_000
    if !FileManager.default.fileExists(atPath: path) {
        var options = StoreOptions()
        options.durability = .buffered(syncIntervalMilliseconds: 1_000)
        let store = try Colony.open(at: path, options: options)
        for first in stride(from: 0, to: 200_000, by: 1_000) {
            _ = try await store.append((first..<(first + 1_000)).map { NewEvent(stream: scope($0 % 10_000), kind: "event", payload: payload) })
        }
        store.close()
    }
    // LOGONLY=1: the log alone (no view kept), to split a batch's time between the log and the views.
    let logOnly = ProcessInfo.processInfo.environment["LOGONLY"] == "1"
    let store = logOnly ? try ColonyStore.open(at: path, projections: []) : try Colony.open(at: path)
    var next = Int(try store.headPosition())
    let cpu0 = userCPUSeconds()
    let io0 = ioBytes()
    var times: [Double] = []
    for _ in 0..<batches {
        let batch = (next..<(next + size)).map { NewEvent(stream: scope($0 % 10_000), kind: "event", payload: payload) }
        let started = Date()
        _ = try await store.append(batch)
        times.append(Date().timeIntervalSince(started) * 1_000)
        next += size
    }
    times.sort()
    let io1 = ioBytes()
    print(String(format: "bulk: %d batches of %d: batch p50 %.1f ms, p90 %.1f ms; user CPU %.2f µs per event; per batch %.2f MB written, %.2f MB sent to the disk",
                 batches, size, percentile(times, 0.5), percentile(times, 0.9),
                 (userCPUSeconds() - cpu0) * 1e6 / Double(batches * size),
                 (io1.logical - io0.logical) / 1e6 / Double(batches), (io1.physical - io0.physical) / 1e6 / Double(batches)))
    let s = try store.statistics()
    print(String(format: "bulk: writer's transaction work p50 %.1f ms, commit (pages written and synced) p50 %.1f ms",
                 Double(s.batchWork.p50Nanoseconds) / 1e6, Double(s.batchCommit.p50Nanoseconds) / 1e6))
    store.close()
case "concurrent":
    guard args.count >= 5, let callers = Int(args[3]), let seconds = Double(args[4]) else { usage() }
    var options = StoreOptions()
    options.writer.maxBatchDelayMicroseconds = args.count > 5 ? Int(args[5]) ?? 0 : 0
    let store = try Colony.open(at: path, options: options)
    let io0 = ioBytes()
    let started = Date()
    let deadline = started.addingTimeInterval(seconds)
    let (appended, latencies) = try await withThrowingTaskGroup(of: (Int, [Double]).self) { group in
        for c in 0..<callers {
            group.addTask {
                var n = 0, latencies: [Double] = []
                var j = c
                while Date() < deadline {
                    let t = Date()
                    _ = try await store.append(NewEvent(stream: scope((j &* 7_919) % 10_000), kind: "event", payload: payload))
                    latencies.append(Date().timeIntervalSince(t) * 1e6)
                    n += 1
                    j += callers
                }
                return (n, latencies)
            }
        }
        var total = 0, all: [Double] = []
        for try await (n, l) in group { total += n; all += l }
        return (total, all.sorted())
    }
    let elapsed = Date().timeIntervalSince(started)
    let io1 = ioBytes()
    print(String(format: "concurrent: %d callers, batch delay %d µs: %.0f events/s, latency p50 %.0f µs, p99 %.0f µs; per event %.1f KB written, %.1f KB sent to the disk",
                 callers, options.writer.maxBatchDelayMicroseconds, Double(appended) / elapsed,
                 percentile(latencies, 0.5), percentile(latencies, 0.99),
                 (io1.logical - io0.logical) / 1e3 / Double(appended), (io1.physical - io0.physical) / 1e3 / Double(appended)))
    store.close()
case "rebuild":
    let times = args.count > 3 ? Int(args[3]) ?? 1 : 1
    let store = try Colony.open(at: path)
    for _ in 0..<times {
        let started = Date()
        var swapping: Date?
        let report = try store.rebuild { if $0.phase == .swapping, swapping == nil { swapping = Date() } }
        let elapsed = Date().timeIntervalSince(started)
        let applying = (swapping ?? Date()).timeIntervalSince(started)
        print(String(format: "rebuild: %d events in %.2f s, %.0f events/s (applying %.2f s, then swap and commit %.2f s)",
                     report.logEvents, elapsed, Double(report.logEvents) / elapsed, applying, elapsed - applying))
    }
    store.close()
default:
    usage()
}
