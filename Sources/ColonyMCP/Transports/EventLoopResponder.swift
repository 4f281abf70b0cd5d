import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Answers HTTP requests on the event loop that read them, in the channel pipeline, before
/// Hummingbird's per-connection task sees them.
///
/// Hummingbird hands every request from its event loop to the connection's Swift task and
/// the response back: two thread hand-offs, each a wake-up, and on a 2-core machine those
/// cost more than reading a context view (a few microseconds). Every endpoint here but the
/// event streams decides its answer without waiting (`HTTPTransport.route`), so this
/// handler reads the whole request, routes it and writes the answer on the loop. A write
/// (`log_event`) is answered from the writer's completion, which hops back to the loop.
///
/// Event streams (`GET /mcp`, `subscriptions/listen`) and `HEAD` are passed on to Hummingbird,
/// whose response writer carries a streamed body. HTTP/1.1 answers in request order: while
/// a passed-on request is unanswered, later requests on the connection are passed on too;
/// while a write's answer is awaited, later requests wait here and the socket is not read.
final class EventLoopResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        case idle
        /// Reading a request to answer here (the body stops growing past the message limit).
        case reading(head: HTTPRequest, uri: URI, body: ByteBuffer, tooLarge: Bool)
        /// Passing the current request's parts on to Hummingbird.
        case passing
        /// Waiting for a write's answer.
        case waiting
    }

    private let transport: HTTPTransport
    private var state = State.idle
    /// Requests passed on to Hummingbird whose response has not ended.
    private var passedOn = 0
    /// Parts that arrived while a write's answer was awaited, and what was held back with them.
    private var queued = CircularBuffer<HTTPRequestPart>()
    private var readHeld = false
    private var inputClosedHeld = false
    /// The server is stopping: close once the request being read or answered here is answered.
    private var quiesceHeld = false
    /// An answer went out with the connection's close behind it: nothing more is read or answered.
    private var closing = false

    init(transport: HTTPTransport) {
        self.transport = transport
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if closing { return }
        if case .waiting = state {
            queued.append(part)
            return
        }
        process(part, context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The client closed its side after its last request: Hummingbird would close ours
        // at once, before a write's answer is out, so that wait finishes first.
        if case .waiting = state, let e = event as? ChannelEvent, e == .inputClosed {
            inputClosedHeld = true
            return
        }
        // The server is stopping. Hummingbird's connection handler closes a connection with no
        // request in progress at once, and it never sees the requests answered here: a write
        // that is being committed would lose its answer. A request being read or answered here
        // is answered first, then the connection closes (requests behind it are not read).
        if event is ChannelShouldQuiesceEvent {
            switch state {
            case .reading, .waiting:
                quiesceHeld = true
                return
            case .idle, .passing:
                break
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func process(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch (state, part) {
        case (.idle, .head(let head)):
            let uri = URI(head.path ?? "/")
            if passedOn > 0 || HTTPTransport.opensStream(head, path: uri.path, body: nil) {
                passOn(part, context: context)
            } else {
                state = .reading(head: head, uri: uri, body: context.channel.allocator.buffer(capacity: 0), tooLarge: false)
            }
        case (.reading(let head, let uri, var body, var tooLarge), .body(let chunk)):
            if !tooLarge {
                if body.readableBytes + chunk.readableBytes > transport.server.maxMessageBytes {
                    tooLarge = true
                    body = ByteBuffer()
                } else if body.readableBytes == 0 {
                    body = chunk
                } else {
                    body.writeImmutableBuffer(chunk)
                }
            }
            state = .reading(head: head, uri: uri, body: body, tooLarge: tooLarge)
        case (.reading(let head, let uri, let body, let tooLarge), .end(let trailers)):
            state = .idle
            if !tooLarge && HTTPTransport.opensStream(head, path: uri.path, body: body) {
                passOn(.head(head), context: context)
                if body.readableBytes > 0 { passOn(.body(body), context: context) }
                passOn(.end(trailers), context: context)
                return
            }
            answer(head, uri: uri, body: tooLarge ? .tooLarge : .bytes(body), context: context)
        case (.passing, _):
            passOn(part, context: context)
        default:
            // A part out of order (a body or end with no head): Hummingbird reports it.
            passOn(part, context: context)
        }
    }

    private func passOn(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head:
            passedOn += 1
            state = .passing
        case .end:
            state = .idle
        case .body:
            break
        }
        context.fireChannelRead(wrapInboundOut(part))
    }

    // MARK: Answering

    private func answer(_ head: HTTPRequest, uri: URI, body: HTTPTransport.Body, context: ChannelHandlerContext) {
        // Only POST /mcp reads its body, as on Hummingbird's path.
        let routed = transport.route(head, uri: uri, body: head.method == .post && uri.path == "/mcp" ? body : .none)
        let close = Self.wantsClose(head)
        switch routed {
        case .now(let response):
            write(response, close: close || quiesceHeld, context: context)
        case .later(let later, let modern):
            state = .waiting
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            later.whenResolved { bytes in
                bound.eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.write(HTTPTransport.answer(bytes, modern: modern), close: close || handler.quiesceHeld, context: context)
                    handler.resume(context: context)
                }
            }
        case .stream(let response):
            // `opensStream` sends every stream to Hummingbird; a stream here has nothing to ride.
            _ = response
            write(HTTPTransport.text(.internalServerError, "Internal Server Error: an event stream was routed to the event loop"),
                  close: true, context: context)
        }
    }

    /// After a write's answer: the requests that waited, then the socket again.
    private func resume(context: ChannelHandlerContext) {
        state = .idle
        if closing {
            // Requests behind a closing answer are not answered (nor carried out).
            queued.removeAll()
            return
        }
        while let part = queued.popFirst() {
            process(part, context: context)
            if case .waiting = state { return }
        }
        if inputClosedHeld {
            inputClosedHeld = false
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
        if readHeld {
            readHeld = false
            context.read()
        }
    }

    private func write(_ response: PlainResponse, close: Bool, context: ChannelHandlerContext) {
        var headers = response.headers
        headers[.contentLength] = String(response.body.readableBytes)
        headers[.date] = HTTPDate.now
        headers[.server] = HTTPTransport.serverName
        if close { headers[.connection] = "close" }  // RFC 9112 §9.6 (HTTP1ConnectionHeader sets it again, the same)
        context.write(wrapOutboundOut(.head(HTTPResponse(status: response.status, headerFields: headers))), promise: nil)
        if response.body.readableBytes > 0 { context.write(wrapOutboundOut(.body(response.body)), promise: nil) }
        if close {
            closing = true
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    /// `Connection: close` (any case, possibly among other tokens).
    static func wantsClose(_ head: HTTPRequest) -> Bool {
        guard let value = head.headerFields.value(.connection) else { return false }
        return value.split(separator: ",").contains { token in
            var t = token
            while t.first == " " || t.first == "\t" { t = t.dropFirst() }
            while t.last == " " || t.last == "\t" { t = t.dropLast() }
            return HTTPGuard.equalFoldingCase(t.utf8, "close")
        }
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Hummingbird's responses pass here (this handler's own writes start below it).
        if case .end = unwrapOutboundIn(data), passedOn > 0 { passedOn -= 1 }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        if case .waiting = state {
            readHeld = true
            return
        }
        context.read()
    }
}

/// The `Date` header's value, formatted once a second.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))

    static var now: String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let second = Int(ts.tv_sec)
        return cache.withLock { c in
            if c.second != second { c = (second, format(second)) }
            return c.text
        }
    }

    /// IMF-fixdate (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func format(_ second: Int) -> String {
        var t = time_t(second)
        var tm = tm()
        gmtime_r(&t, &tm)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(tm.tm_year + 1900) \(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
    }
}
