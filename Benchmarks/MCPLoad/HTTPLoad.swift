import Glibc
import MCPLoadShim

/// Open-loop HTTP/1.1 load, as wrk2 does it: `connections` keep-alive connections are opened
/// first, then request `i` falls due at start + i/rate and is written on an idle connection,
/// one request in flight per connection. A request due while every connection is busy waits
/// in a queue. Its latency runs from its scheduled time, so a server that falls behind is
/// charged for the time its requests waited (no coordinated omission), unlike wrk, whose
/// connections each wait for an answer before sending again.
///
/// One thread, one epoll set, non-blocking sockets. Idle connections are taken in turn
/// (first in, first out), so requests spread over all the connections, as from that many
/// clients. Responses need a Content-Length (Hummingbird sends one); a status outside
/// 200-299, or a connection the server closes while a request is in flight, is an error.
final class HTTPLoad {
    struct Result {
        /// Latency of every measured response, scheduled time → last byte read.
        var latenciesNanos: [UInt64] = []
        /// Non-2xx answers, requests lost with their connection, and requests unanswered at the end.
        var errors = 0
        var measureStart: UInt64 = 0, measureEnd: UInt64 = 0
        var lastReceive: UInt64 = 0
        /// The measured schedule, or longer if answers came after its end.
        var seconds: Double { Double(max(lastReceive, measureEnd) &- measureStart) / 1e9 }
    }

    private struct Connection {
        var fd: Int32 = -1
        var connected = false
        /// The schedule index of the request in flight, or -1.
        var request = -1
        /// Bytes of the request written so far (short only when the socket buffer is full).
        var written = 0
        /// Whether EPOLLOUT is watched: a request only partly written.
        var waitsToWrite = false
        /// The response's status line and headers, until their blank line has arrived.
        var head: [UInt8] = []
        /// Body bytes still expected, or -1 while the head is incomplete.
        var bodyLeft = -1
        var status = 0
    }

    private let address: sockaddr_storage
    private let addressLength: socklen_t
    private let request: [UInt8]
    private let rate: Double
    private var connections: [Connection]
    /// Idle connections, a ring: `idleCount` of them from `idleHead`.
    private var idle: [Int]
    private var idleHead = 0, idleCount = 0
    private let epoll: Int32
    private var events: [epoll_event]
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)

    private var start: UInt64 = 0
    /// Requests with an index from here on are measured; those before are the warm-up.
    private var firstMeasured = Int.max
    private var result = Result()
    /// Measured requests that have finished (answered or failed).
    private var measuredDone = 0
    private var warmupErrors = 0
    private var inFlight = 0
    private var reported = 0

    /// `url` is http://HOST:PORT/PATH (HOST a name or IPv4 address).
    init(url: String, connections count: Int, rate: Double, method: String, headers: [String], body: [UInt8]) {
        guard url.hasPrefix("http://") else { fail("--url must start with http:// (no TLS)") }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        let host = String(authority.prefix { $0 != ":" })
        let port = authority.contains(":") ? String(authority.drop { $0 != ":" }.dropFirst()) : "80"

        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, port, &hints, &found)
        guard status == 0, let info = found else { fail("cannot resolve \(authority): \(String(cString: gai_strerror(status)))") }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: info.pointee.ai_addr, count: Int(info.pointee.ai_addrlen))) }
        address = storage
        addressLength = info.pointee.ai_addrlen
        freeaddrinfo(info)

        var text = "\(method) \(path.isEmpty ? "/" : path) HTTP/1.1\r\n"
        if !headers.contains(where: { $0.lowercased().hasPrefix("host:") }) { text += "Host: \(authority)\r\n" }
        for header in headers { text += header + "\r\n" }
        if !body.isEmpty || method != "GET" { text += "Content-Length: \(body.count)\r\n" }
        request = Array((text + "\r\n").utf8) + body

        self.rate = rate
        connections = Array(repeating: Connection(), count: count)
        idle = Array(repeating: 0, count: count)
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { fail("epoll_create1: \(String(cString: strerror(errno)))") }
        events = Array(repeating: epoll_event(), count: 256)
    }

    deinit { scratch.deallocate() }

    /// Opens every connection, then runs `warmupSeconds` of requests that are not measured and
    /// `seconds` that are, and waits up to `drainSeconds` for the answers still due after that.
    func run(seconds: Double, warmupSeconds: Double, drainSeconds: Double) -> Result {
        let opening = monotonicNanos()
        for i in connections.indices { open(i) }
        let openDeadline = opening + 10_000_000_000
        while idleCount < connections.count {
            guard monotonicNanos() < openDeadline else { fail("only \(idleCount) of \(connections.count) connections open after 10 s") }
            poll(until: openDeadline)
        }
        note("\(connections.count) connections open in \(format(Double(monotonicNanos() - opening) / 1e6, decimals: 1)) ms")

        let total = Int((warmupSeconds + seconds) * rate)
        firstMeasured = Int(warmupSeconds * rate)
        start = monotonicNanos()
        result.measureStart = due(firstMeasured)
        result.measureEnd = due(total)
        result.latenciesNanos.reserveCapacity(total - firstMeasured)
        let drainDeadline = due(total) &+ UInt64(drainSeconds * 1e9)
        var scheduled = 0, sent = 0
        while true {
            let now = monotonicNanos()
            while scheduled < total && due(scheduled) <= now { scheduled += 1 }
            // The queue is the requests scheduled but not yet sent, in order: sent..<scheduled.
            while sent < scheduled, let i = takeIdle() {
                connections[i].request = sent
                connections[i].written = 0
                inFlight += 1
                sent += 1
                write(i)
            }
            if sent == total && inFlight == 0 { break }
            if now >= drainDeadline {
                let unfinished = total - firstMeasured - measuredDone
                note("\(unfinished) requests unanswered \(drainSeconds) s after the last was due (\(total - sent) never sent)")
                result.errors += unfinished
                break
            }
            poll(until: scheduled < total ? due(scheduled) : drainDeadline)
        }
        if warmupErrors > 0 { note("warm-up: \(warmupErrors) requests failed") }
        for c in connections where c.fd >= 0 { close(c.fd) }
        close(epoll)
        return result
    }

    @inline(__always)
    private func due(_ index: Int) -> UInt64 { start &+ UInt64(Double(index) * 1e9 / rate) }

    private func takeIdle() -> Int? {
        guard idleCount > 0 else { return nil }
        let i = idle[idleHead]
        idleHead = (idleHead + 1) % idle.count
        idleCount -= 1
        return i
    }

    private func putIdle(_ i: Int) {
        idle[(idleHead + idleCount) % idle.count] = i
        idleCount += 1
    }

    private func open(_ i: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { fail("socket: \(String(cString: strerror(errno))) (raise ulimit -n?)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let r = withUnsafeBytes(of: address) { connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), addressLength) }
        guard r == 0 || errno == EINPROGRESS else { fail("connect: \(String(cString: strerror(errno)))") }
        connections[i] = Connection(fd: fd)
        connections[i].head.reserveCapacity(512)
        watch(i, EPOLLOUT.rawValue, EPOLL_CTL_ADD)
    }

    private func watch(_ i: Int, _ flags: UInt32, _ operation: Int32) {
        var event = epoll_event()
        event.events = flags
        event.data.u64 = UInt64(i)
        guard epoll_ctl(epoll, operation, connections[i].fd, &event) == 0 else { fail("epoll_ctl: \(String(cString: strerror(errno)))") }
    }

    /// Waits for socket events until `deadline` (epoll_pwait2: a nanosecond timeout, where
    /// epoll_wait's milliseconds would send requests up to 1 ms late) and handles them.
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
            let i = Int(events[k].data.u64), flags = events[k].events
            if !connections[i].connected {
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(connections[i].fd, SOL_SOCKET, SO_ERROR, &error, &length)
                guard error == 0 else { fail("connect: \(String(cString: strerror(error)))") }
                connections[i].connected = true
                watch(i, EPOLLIN.rawValue, EPOLL_CTL_MOD)
                putIdle(i)
                continue
            }
            // One of the two: either may replace the connection (see lost), and the other
            // readiness is reported again by the next epoll_pwait2 (level-triggered).
            if flags & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
                read(i)
            } else if flags & EPOLLOUT.rawValue != 0 {
                write(i)
            }
        }
    }

    /// Writes what the socket takes of connection `i`'s request; waits for EPOLLOUT if not all.
    private func write(_ i: Int) {
        let fd = connections[i].fd
        while connections[i].written < request.count {
            let from = connections[i].written
            let n = request.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + from, $0.count - from) }
            if n > 0 { connections[i].written += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN {
                if !connections[i].waitsToWrite { watch(i, EPOLLIN.rawValue | EPOLLOUT.rawValue, EPOLL_CTL_MOD) }
                connections[i].waitsToWrite = true
                return
            }
            lost(i)
            return
        }
        if connections[i].waitsToWrite { watch(i, EPOLLIN.rawValue, EPOLL_CTL_MOD) }
        connections[i].waitsToWrite = false
    }

    private func read(_ i: Int) {
        let n = Glibc.read(connections[i].fd, scratch.baseAddress!, scratch.count)
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
        guard n > 0, connections[i].request >= 0 else { lost(i); return } // closed, failed, or bytes nobody asked for
        let bytes = UnsafeRawBufferPointer(start: scratch.baseAddress!, count: n)
        if connections[i].bodyLeft < 0 {
            let searchFrom = max(0, connections[i].head.count - 3)
            connections[i].head.append(contentsOf: bytes)
            guard let parsed = connections[i].head.withUnsafeBytes({ Self.parseHead($0, searchFrom: searchFrom) }) else {
                if connections[i].head.count > 65_536 { fail("no end of the response head in 64 KiB") }
                return
            }
            connections[i].status = parsed.status
            connections[i].bodyLeft = parsed.contentLength - (connections[i].head.count - parsed.headLength)
            connections[i].head.removeAll(keepingCapacity: true)
        } else {
            connections[i].bodyLeft -= n
        }
        if connections[i].bodyLeft > 0 { return }
        guard connections[i].bodyLeft == 0 else { fail("the server sent more than Content-Length (pipelined or malformed answer)") }
        finish(i, answered: true, at: monotonicNanos())
    }

    /// Ends the request in flight on connection `i` and makes the connection idle.
    private func finish(_ i: Int, answered: Bool, at now: UInt64) {
        let index = connections[i].request
        let ok = answered && (200..<300).contains(connections[i].status)
        if index >= firstMeasured {
            measuredDone += 1
            if answered {
                result.latenciesNanos.append(now &- due(index))
                result.lastReceive = now
            }
            if !ok {
                result.errors += 1
                if result.errors <= 5 { note(answered ? "status \(connections[i].status)" : "connection lost with a request in flight") }
            }
        } else if !ok {
            warmupErrors += 1
        }
        connections[i].request = -1
        connections[i].bodyLeft = -1
        connections[i].status = 0
        inFlight -= 1
        if answered { putIdle(i) }
        if measuredDone - reported >= 100_000 { reported = measuredDone; note("\(measuredDone) requests done") }
    }

    /// The server closed connection `i` (or it failed): its request in flight is an error,
    /// and a new connection takes its place.
    private func lost(_ i: Int) {
        if connections[i].request >= 0 { finish(i, answered: false, at: monotonicNanos()) }
        close(connections[i].fd) // also removes it from the epoll set
        open(i)
    }

    /// Status and Content-Length of a response head, or nil if its blank line has not arrived.
    private static func parseHead(_ bytes: UnsafeRawBufferPointer, searchFrom: Int) -> (status: Int, contentLength: Int, headLength: Int)? {
        var end = searchFrom
        while true {
            guard end + 4 <= bytes.count else { return nil }
            if bytes[end] == 13 && bytes[end + 1] == 10 && bytes[end + 2] == 13 && bytes[end + 3] == 10 { break }
            end += 1
        }
        // "HTTP/1.1 200 OK\r\n…"
        var status = 0
        for k in 9..<min(12, end) where bytes[k] >= 48 && bytes[k] <= 57 { status = status * 10 + Int(bytes[k] - 48) }
        var contentLength: Int?
        var line = 0
        while line < end {
            var cr = line
            while cr < end && bytes[cr] != 13 { cr += 1 }
            if startsWith(bytes, at: line, lowercased: contentLengthName) {
                var k = line + contentLengthName.count, value = 0
                while k < cr && bytes[k] == 32 { k += 1 }
                while k < cr && bytes[k] >= 48 && bytes[k] <= 57 { value = value * 10 + Int(bytes[k] - 48); k += 1 }
                contentLength = value
            } else if startsWith(bytes, at: line, lowercased: transferEncodingName) {
                fail("a response with Transfer-Encoding: only Content-Length bodies are supported")
            }
            line = cr + 2
        }
        if contentLength == nil && (status == 204 || status == 304) { contentLength = 0 }
        guard let contentLength else { fail("a response without Content-Length (status \(status))") }
        return (status, contentLength, end + 4)
    }

    private static let contentLengthName = Array("content-length:".utf8)
    private static let transferEncodingName = Array("transfer-encoding:".utf8)

    /// Whether `bytes` at `offset` start with `name` (lowercase ASCII), ignoring case.
    private static func startsWith(_ bytes: UnsafeRawBufferPointer, at offset: Int, lowercased name: [UInt8]) -> Bool {
        guard offset + name.count <= bytes.count else { return false }
        for k in name.indices where bytes[offset + k] | 0x20 != name[k] { return false }
        return true
    }
}
