import Glibc
import Synchronization

/// Samples a process's memory and CPU from /proc on a thread of its own, every `interval`
/// seconds, while a scenario runs.
final class ResourceSampler: Sendable {
    struct Sample: Sendable {
        /// Seconds since `start()`.
        var seconds: Double
        /// Resident set (VmRSS) and its anonymous part (RssAnon: heap and stacks; the rest is
        /// mostly the store's memory-mapped file), in MiB.
        var rssMB: Double
        var anonMB: Double
        /// CPU time (user + system) since the previous sample, as a percentage of one core.
        var cpuPercent: Double
    }

    private struct State {
        var samples: [Sample] = []
        var stopping = false
        var finished = false
    }

    let pid: pid_t
    let intervalSeconds: Double
    /// Print each sample to standard error (the soak's RSS-every-10-s lines).
    let printing: Bool
    private let state = Mutex(State())

    init(pid: pid_t, intervalSeconds: Double, printing: Bool = false) {
        self.pid = pid
        self.intervalSeconds = intervalSeconds
        self.printing = printing
    }

    func start() {
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { context in
            let sampler = Unmanaged<ResourceSampler>.fromOpaque(context!).takeRetainedValue()
            sampler.loop()
            return nil
        }, box.toOpaque())
        guard status == 0 else { fail("pthread_create: \(String(cString: strerror(status)))") }
        pthread_detach(thread)
    }

    /// Stops sampling (after one last sample) and returns every sample taken.
    func stop() -> [Sample] {
        state.withLock { $0.stopping = true }
        while !state.withLock({ $0.finished }) { usleep(5_000) }
        return state.withLock { $0.samples }
    }

    private func loop() {
        let began = monotonicNanos()
        var lastCPU = Self.cpuTicks(pid) ?? 0, lastAt = began
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        var next = began &+ UInt64(intervalSeconds * 1e9)
        while true {
            let stopping = state.withLock { $0.stopping }
            let now = monotonicNanos()
            if now >= next || stopping {
                if let memory = Self.memory(pid), let cpu = Self.cpuTicks(pid) {
                    let elapsed = Double(now &- lastAt) / 1e9
                    let sample = Sample(seconds: Double(now &- began) / 1e9, rssMB: memory.rss, anonMB: memory.anon,
                                        cpuPercent: elapsed > 0 ? Double(cpu - lastCPU) / ticksPerSecond / elapsed * 100 : 0)
                    lastCPU = cpu
                    lastAt = now
                    state.withLock { $0.samples.append(sample) }
                    if printing {
                        note("t=\(format(sample.seconds, decimals: 0)) s: server RSS \(format(sample.rssMB, decimals: 1)) MB "
                            + "(anonymous \(format(sample.anonMB, decimals: 1)) MB), CPU \(format(sample.cpuPercent, decimals: 0))%")
                    }
                }
                next = now &+ UInt64(intervalSeconds * 1e9)
                if stopping { break }
            }
            usleep(UInt32(min(100_000, max(1_000, Int(next &- min(next, monotonicNanos())) / 1_000))))
        }
        state.withLock { $0.finished = true }
    }

    /// VmRSS and RssAnon in MiB, from /proc/PID/status.
    static func memory(_ pid: pid_t) -> (rss: Double, anon: Double)? {
        guard let text = readFile("/proc/\(pid)/status") else { return nil }
        var rss: Double?, anon: Double?
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, let kb = Double(fields[1]) else { continue }
            if fields[0] == "VmRSS:" { rss = kb / 1024 }
            if fields[0] == "RssAnon:" { anon = kb / 1024 }
        }
        guard let rss, let anon else { return nil }
        return (rss, anon)
    }

    /// utime + stime in clock ticks, from /proc/PID/stat (fields 14 and 15; the command name
    /// in field 2 may hold spaces, so fields are counted from its closing parenthesis).
    static func cpuTicks(_ pid: pid_t) -> Int? {
        guard let text = readFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }

    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4_096)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            bytes += chunk[..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// What a scenario reports of the server's resources.
struct ResourceSummary {
    var maxRSSMB = 0.0
    var maxAnonMB = 0.0
    var meanCPUPercent = 0.0
    /// Anonymous memory's growth from the first sample after the warm-up to the highest after
    /// it, as a percentage (nil when fewer than two samples followed the warm-up).
    var anonDriftPercent: Double?
    /// Whether any sample was taken (a summary without one proves nothing about memory).
    var sampled = false

    init(_ samples: [ResourceSampler.Sample], warmupSeconds: Double) {
        guard !samples.isEmpty else { return }
        sampled = true
        maxRSSMB = samples.map(\.rssMB).max()!
        maxAnonMB = samples.map(\.anonMB).max()!
        meanCPUPercent = samples.map(\.cpuPercent).reduce(0, +) / Double(samples.count)
        let after = samples.filter { $0.seconds > warmupSeconds }
        if after.count >= 2, after[0].anonMB > 0 {
            anonDriftPercent = (after.map(\.anonMB).max()! - after[0].anonMB) * 100 / after[0].anonMB
        }
    }
}
