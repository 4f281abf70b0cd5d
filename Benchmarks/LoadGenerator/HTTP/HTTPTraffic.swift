import Glibc
import Histogram
import MCPLoadShim

/// A stretch of a run: open-loop pools send at `rate` requests a second during it (closed-loop
/// pools ignore the rate); requests that fall in an unmeasured phase (a warm-up) are sent but
/// not counted.
struct Phase {
    var name: String
    var seconds: Double
    var rate: Double = 0
    var measured = true
}

/// What a pool sends, and how its answers are judged.
protocol TrafficSource: AnyObject {
    /// The kinds of request it sends (e.g. get_context, log_event); `request` returns an index.
    var kinds: [String] { get }
    /// Appends request `index` (numbered per pool from 0) as a whole HTTP/1.1 request, for
    /// connection `connection` of the pool (0..<connections), to `out`; returns its kind.
    func request(index: Int, connection: Int, into out: inout [UInt8]) -> Int
    /// nil if the answer is a success, else the error's class (a short name such as
    /// "overloaded"). `body` is the response body (up to 64 KiB of it).
    func judge(index: Int, connection: Int, kind: Int, status: Int, body: UnsafeRawBufferPointer) -> String?
}

/// A set of connections that send one source's requests.
final class TrafficPool {
    enum Pacing {
        /// Open loop, like wrk2: request `i` falls due on an even schedule at its phase's rate
        /// and goes out on an idle connection; one that falls due while every connection is busy
        /// waits in a queue, and its latency runs from the time it fell due (no coordinated
        /// omission).
        case open
        /// Closed loop: each connection sends its next request as soon as the last is answered
        /// (a client that waits for each answer); latency runs from the send.
        case closed
    }

    let name: String
    let connections: Int
    let pacing: Pacing
    let phases: [Phase]
    let source: TrafficSource

    init(name: String, connections: Int, pacing: Pacing, phases: [Phase], source: TrafficSource) {
        precondition(connections > 0 && !phases.isEmpty)
        self.name = name
        self.connections = connections
        self.pacing = pacing
        self.phases = phases
        self.source = source
    }

    // The open-loop schedule: phase k holds requests phaseFirst[k]..<phaseFirst[k + 1] and
    // starts phaseStart[k] nanoseconds into the run.
    fileprivate lazy var phaseStart: [UInt64] = {
        var t = 0.0, starts: [UInt64] = []
        for p in phases { starts.append(UInt64(t * 1e9)); t += p.seconds }
        return starts + [UInt64(t * 1e9)]
    }()
    fileprivate lazy var phaseFirst: [Int] = {
        var n = 0, firsts: [Int] = []
        for p in phases { firsts.append(n); n += pacing == .open ? Int(p.seconds * p.rate) : 0 }
        return firsts + [n]
    }()
    fileprivate var total: Int { phaseFirst.last! }
    fileprivate var endOffset: UInt64 { phaseStart.last! }

    fileprivate func phase(ofIndex i: Int) -> Int {
        var k = 0
        while k + 1 < phases.count && i >= phaseFirst[k + 1] { k += 1 }
        return k
    }

    fileprivate func phase(atOffset t: UInt64) -> Int {
        var k = 0
        while k + 1 < phases.count && t >= phaseStart[k + 1] { k += 1 }
        return k
    }

    /// Nanoseconds into the run at which open-loop request `i` falls due.
    fileprivate func due(_ i: Int, phase k: Int) -> UInt64 {
        phaseStart[k] &+ UInt64(Double(i - phaseFirst[k]) * 1e9 / phases[k].rate)
    }
}

/// Latencies (HdrHistogram, microseconds, 3 significant digits) and outcomes of one kind of
/// request in one phase of one pool.
struct Tally {
    var latency = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    var ok = 0
    /// Failed requests by class: "http_503", "overloaded", "shed", "tool_error",
    /// "connection_lost", "timeout" (unanswered at the end), "not_sent" (still queued at the end)…
    var errors: [String: Int] = [:]

    var count: Int { ok + failed }
    var failed: Int { errors.values.reduce(0, +) }

    mutating func add(_ other: Tally) {
        latency.add(other.latency)
        ok += other.ok
        for (k, v) in other.errors { errors[k, default: 0] += v }
    }

    /// Microseconds at percentile `p` (0-100) of the answered requests, 0 if none.
    func percentile(_ p: Double) -> Double {
        latency.totalCount == 0 ? 0 : Double(latency.valueAtPercentile(p))
    }
}

/// The outcome of a pool: a tally per phase and kind, and when its measured phases ran.
struct PoolResult {
    let name: String
    let phases: [Phase]
    let kinds: [String]
    /// tallies[phase][kind]
    var tallies: [[Tally]]

    /// Everything measured of `kind` (all kinds if nil), over the phases named (all measured ones if nil).
    func tally(kind: String? = nil, phases names: [String]? = nil) -> Tally {
        var t = Tally()
        for (k, p) in phases.enumerated() where p.measured && (names == nil || names!.contains(p.name)) {
            for (j, name) in kinds.enumerated() where kind == nil || kind == name { t.add(tallies[k][j]) }
        }
        return t
    }

    func measuredSeconds(phases names: [String]? = nil) -> Double {
        phases.filter { $0.measured && (names == nil || names!.contains($0.name)) }.reduce(0) { $0 + $1.seconds }
    }
}

/// HTTP/1.1 load from one thread: every pool's keep-alive connections in one epoll set,
/// non-blocking sockets, one request in flight per connection. Pools run side by side from
/// the same start, each with its own pacing and phases, so a steady read load and a write
/// burst can share a run while being timed apart. Responses need a Content-Length
/// (Hummingbird sends one).
final class HTTPTraffic {
    private struct Connection {
        var fd: Int32 = -1
        var connected = false
        let pool: Int
        /// Its number within the pool (what the source sees).
        let local: Int
        /// The request in flight (pool-wide index), or -1.
        var request = -1
        var kind = 0
        var phase = 0
        /// When the request's latency starts (its due time, open loop; its send, closed loop).
        var startedAt: UInt64 = 0
        var out: [UInt8] = []
        var written = 0
        var waitsToWrite = false
        var head: [UInt8] = []
        var body: [UInt8] = []
        /// Body bytes still expected, or -1 while the head is incomplete.
        var bodyLeft = -1
        var status = 0

        init(pool: Int, local: Int) { self.pool = pool; self.local = local }
    }

    private struct PoolState {
        var idle: [Int]
        var idleHead = 0, idleCount = 0
        var scheduled = 0, sent = 0, inFlight = 0
        var tallies: [[Tally]]
    }

    static let maxBodyKept = 65_536

    private let address: sockaddr_storage
    private let addressLength: socklen_t
    private let pools: [TrafficPool]
    private var state: [PoolState]
    private var connections: [Connection] = []
    private let epoll: Int32
    private var events: [epoll_event]
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    private var start: UInt64 = 0
    private var answered = 0

    /// `host:port` of the server (a name or IPv4 address).
    init(host: String, port: Int, pools: [TrafficPool]) {
        (address, addressLength) = Self.resolve(host: host, port: port)
        self.pools = pools
        state = pools.map { pool in
            PoolState(idle: [Int](repeating: 0, count: pool.connections),
                      tallies: pool.phases.map { _ in pool.source.kinds.map { _ in Tally() } })
        }
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { fail("epoll_create1: \(String(cString: strerror(errno)))") }
        events = [epoll_event](repeating: epoll_event(), count: 1_024)
        raiseDescriptorLimit()
    }

    deinit { scratch.deallocate() }

    /// Opens every connection, runs every pool's phases from one start, then waits up to
    /// `drainSeconds` for answers still due. Requests unanswered by then are "timeout" errors;
    /// open-loop requests never sent (no connection came free) are "not_sent".
    func run(drainSeconds: Double, progress: Bool = true) -> [PoolResult] {
        let opening = monotonicNanos()
        for (p, pool) in pools.enumerated() {
            for local in 0..<pool.connections {
                connections.append(Connection(pool: p, local: local))
                open(connections.count - 1)
            }
        }
        let openDeadline = opening &+ 10_000_000_000
        while state.reduce(0, { $0 + $1.idleCount }) < connections.count {
            guard monotonicNanos() < openDeadline else {
                fail("only \(state.reduce(0) { $0 + $1.idleCount }) of \(connections.count) connections open after 10 s")
            }
            poll(until: openDeadline)
        }
        note("\(connections.count) connections open in \(format(Double(monotonicNanos() - opening) / 1e6, decimals: 1)) ms")

        start = monotonicNanos()
        let end = pools.map(\.endOffset).max()!
        let drainDeadline = start &+ end &+ UInt64(drainSeconds * 1e9)
        var nextReport = start &+ 10_000_000_000
        while true {
            let now = monotonicNanos()
            var busy = false
            var wake = drainDeadline
            for p in pools.indices {
                let pool = pools[p]
                switch pool.pacing {
                case .open:
                    while state[p].scheduled < pool.total {
                        let i = state[p].scheduled
                        let due = start &+ pool.due(i, phase: pool.phase(ofIndex: i))
                        if due > now { wake = min(wake, due); break }
                        state[p].scheduled += 1
                    }
                    while state[p].sent < state[p].scheduled, let c = takeIdle(p) {
                        let i = state[p].sent
                        let k = pool.phase(ofIndex: i)
                        send(c, index: i, phase: k, startedAt: start &+ pool.due(i, phase: k))
                        state[p].sent += 1
                    }
                    if state[p].sent < pool.total || state[p].inFlight > 0 { busy = true }
                case .closed:
                    let offset = now &- start
                    if offset < pool.endOffset {
                        while let c = takeIdle(p) {
                            send(c, index: state[p].sent, phase: pool.phase(atOffset: offset), startedAt: monotonicNanos())
                            state[p].sent += 1
                        }
                        wake = min(wake, start &+ pool.endOffset)
                        busy = true
                    } else if state[p].inFlight > 0 {
                        busy = true
                    }
                }
            }
            if !busy { break }
            if now >= drainDeadline { giveUp(); break }
            if progress && now >= nextReport {
                nextReport = now &+ 10_000_000_000
                note("t=\(format(Double(now &- start) / 1e9, decimals: 0)) s: \(answered) answered, "
                    + "\(state.reduce(0) { $0 + $1.inFlight }) in flight, "
                    + "\(state.enumerated().reduce(0) { $0 + $1.element.scheduled - $1.element.sent }) queued")
            }
            poll(until: min(wake, nextReport))
        }
        for c in connections where c.fd >= 0 { close(c.fd) }
        close(epoll)
        return pools.enumerated().map { p, pool in
            PoolResult(name: pool.name, phases: pool.phases, kinds: pool.source.kinds, tallies: state[p].tallies)
        }
    }

    /// The drain deadline passed: what is in flight or still queued counts as failed.
    private func giveUp() {
        var unanswered = 0, unsent = 0
        for c in connections.indices where connections[c].request >= 0 {
            record(c, error: "timeout", latency: nil)
            unanswered += 1
        }
        var scratch: [UInt8] = []
        for (p, pool) in pools.enumerated() where pool.pacing == .open {
            for i in state[p].sent..<pool.total {
                let k = pool.phase(ofIndex: i)
                guard pool.phases[k].measured else { continue }
                scratch.removeAll(keepingCapacity: true)
                let kind = pool.source.request(index: i, connection: 0, into: &scratch) // only for its kind
                state[p].tallies[k][kind].errors["not_sent", default: 0] += 1
                unsent += 1
            }
        }
        note("gave up on \(unanswered) requests in flight and \(unsent) never sent")
    }

    private func send(_ c: Int, index: Int, phase: Int, startedAt: UInt64) {
        let pool = pools[connections[c].pool]
        connections[c].out.removeAll(keepingCapacity: true)
        connections[c].kind = pool.source.request(index: index, connection: connections[c].local, into: &connections[c].out)
        connections[c].request = index
        connections[c].phase = phase
        connections[c].startedAt = startedAt
        connections[c].written = 0
        state[connections[c].pool].inFlight += 1
        write(c)
    }

    private func takeIdle(_ p: Int) -> Int? {
        guard state[p].idleCount > 0 else { return nil }
        let c = state[p].idle[state[p].idleHead]
        state[p].idleHead = (state[p].idleHead + 1) % state[p].idle.count
        state[p].idleCount -= 1
        return c
    }

    private func putIdle(_ c: Int) {
        let p = connections[c].pool
        state[p].idle[(state[p].idleHead + state[p].idleCount) % state[p].idle.count] = c
        state[p].idleCount += 1
    }

    private func open(_ c: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { fail("socket: \(String(cString: strerror(errno))) (raise ulimit -n?)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let r = withUnsafeBytes(of: address) { connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), addressLength) }
        guard r == 0 || errno == EINPROGRESS else { fail("connect: \(String(cString: strerror(errno)))") }
        connections[c].fd = fd
        connections[c].connected = false
        connections[c].request = -1
        connections[c].waitsToWrite = false
        connections[c].head.removeAll(keepingCapacity: true)
        connections[c].body.removeAll(keepingCapacity: true)
        connections[c].bodyLeft = -1
        watch(c, EPOLLOUT.rawValue, EPOLL_CTL_ADD)
    }

    private func watch(_ c: Int, _ flags: UInt32, _ operation: Int32) {
        var event = epoll_event()
        event.events = flags
        event.data.u64 = UInt64(c)
        guard epoll_ctl(epoll, operation, connections[c].fd, &event) == 0 else { fail("epoll_ctl: \(String(cString: strerror(errno)))") }
    }

    /// Waits for socket events until `deadline` (epoll_pwait2: nanoseconds, where epoll_wait's
    /// milliseconds would send open-loop requests up to 1 ms late) and handles them.
    private func poll(until deadline: UInt64) {
        let now = monotonicNanos()
        let wait = deadline &- min(deadline, now)
        var timeout = timespec(tv_sec: Int(wait / 1_000_000_000), tv_nsec: Int(wait % 1_000_000_000))
        let n = events.withUnsafeMutableBufferPointer { epoll_pwait2(epoll, $0.baseAddress, Int32($0.count), &timeout, nil) }
        guard n >= 0 else {
            if errno == EINTR { return }
            fail("epoll_pwait2: \(String(cString: strerror(errno)))")
        }
        for k in 0..<Int(n) {
            let c = Int(events[k].data.u64), flags = events[k].events
            if !connections[c].connected {
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(connections[c].fd, SOL_SOCKET, SO_ERROR, &error, &length)
                guard error == 0 else { fail("connect: \(String(cString: strerror(error)))") }
                connections[c].connected = true
                watch(c, EPOLLIN.rawValue, EPOLL_CTL_MOD)
                putIdle(c)
                continue
            }
            // One of the two: either may replace the connection (see lost), and the other
            // readiness is reported again by the next epoll_pwait2 (level-triggered).
            if flags & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
                read(c)
            } else if flags & EPOLLOUT.rawValue != 0 {
                write(c)
            }
        }
    }

    /// Writes what the socket takes of connection `c`'s request; waits for EPOLLOUT if not all.
    private func write(_ c: Int) {
        let fd = connections[c].fd
        while connections[c].written < connections[c].out.count {
            let from = connections[c].written
            let n = connections[c].out.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + from, $0.count - from) }
            if n > 0 { connections[c].written += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN {
                if !connections[c].waitsToWrite { watch(c, EPOLLIN.rawValue | EPOLLOUT.rawValue, EPOLL_CTL_MOD) }
                connections[c].waitsToWrite = true
                return
            }
            lost(c)
            return
        }
        if connections[c].waitsToWrite { watch(c, EPOLLIN.rawValue, EPOLL_CTL_MOD) }
        connections[c].waitsToWrite = false
    }

    private func read(_ c: Int) {
        let n = Glibc.read(connections[c].fd, scratch.baseAddress!, scratch.count)
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
        guard n > 0, connections[c].request >= 0 else { lost(c); return } // closed, failed, or bytes nobody asked for
        var bytes = UnsafeRawBufferPointer(start: scratch.baseAddress!, count: n)
        if connections[c].bodyLeft < 0 {
            let searchFrom = max(0, connections[c].head.count - 3)
            connections[c].head.append(contentsOf: bytes)
            guard let parsed = connections[c].head.withUnsafeBytes({ HTTPHead.parse($0, searchFrom: searchFrom) }) else {
                if connections[c].head.count > 65_536 { fail("no end of the response head in 64 KiB") }
                return
            }
            connections[c].status = parsed.status
            let bodyBytes = connections[c].head.count - parsed.headLength
            connections[c].bodyLeft = parsed.contentLength
            connections[c].body.removeAll(keepingCapacity: true)
            connections[c].body.append(contentsOf: connections[c].head[parsed.headLength...])
            connections[c].bodyLeft -= bodyBytes
            connections[c].head.removeAll(keepingCapacity: true)
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        }
        if bytes.count > 0 {
            let keep = min(bytes.count, max(0, Self.maxBodyKept - connections[c].body.count))
            connections[c].body.append(contentsOf: bytes.prefix(keep))
            connections[c].bodyLeft -= bytes.count
        }
        if connections[c].bodyLeft > 0 { return }
        guard connections[c].bodyLeft == 0 else { fail("the server sent more than Content-Length (pipelined or malformed answer)") }
        let now = monotonicNanos()
        let p = connections[c].pool
        let verdict = connections[c].body.withUnsafeBytes {
            pools[p].source.judge(index: connections[c].request, connection: connections[c].local, kind: connections[c].kind,
                                  status: connections[c].status, body: $0)
        }
        record(c, error: verdict, latency: now &- connections[c].startedAt)
        connections[c].bodyLeft = -1
        connections[c].status = 0
        putIdle(c)
    }

    /// Ends connection `c`'s request in flight: tallies it and frees the slot.
    private func record(_ c: Int, error: String?, latency: UInt64?) {
        let p = connections[c].pool, k = connections[c].phase, kind = connections[c].kind
        if pools[p].phases[k].measured {
            if let latency { _ = state[p].tallies[k][kind].latency.record(max(1, latency / 1_000)) }
            if let error { state[p].tallies[k][kind].errors[error, default: 0] += 1 } else { state[p].tallies[k][kind].ok += 1 }
        }
        connections[c].request = -1
        state[p].inFlight -= 1
        answered += 1
    }

    /// The server closed connection `c` (or it failed): its request in flight is an error,
    /// and a new connection takes its place.
    private func lost(_ c: Int) {
        if connections[c].request >= 0 { record(c, error: "connection_lost", latency: nil) }
        close(connections[c].fd) // also removes it from the epoll set
        open(c)
    }

    private func raiseDescriptorLimit() {
        // 1,000 connections need more descriptors than the usual soft limit of 1,024.
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
    }

    private static func resolve(host: String, port: Int) -> (sockaddr_storage, socklen_t) {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &found)
        guard status == 0, let info = found else { fail("cannot resolve \(host):\(port): \(String(cString: gai_strerror(status)))") }
        defer { freeaddrinfo(info) }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: info.pointee.ai_addr, count: Int(info.pointee.ai_addrlen))) }
        return (storage, info.pointee.ai_addrlen)
    }
}
