import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// HTTP/1's connection persistence, decided where the HTTP version is still known.
///
/// Past `HTTP1ToHTTPServerCodec`, requests are `HTTPTypes` values, which carry no version; both
/// ways of answering (`EventLoopResponder`, and Hummingbird's handler) close a connection only
/// for a `Connection: close` they can see. So an HTTP/1.0 client that did not ask for
/// keep-alive waited on an open connection, and Hummingbird kept open one whose `Connection`
/// held `close` among other tokens. This handler sits before the codec:
/// - a request that does not keep the connection alive (`HTTPRequestHead.isKeepAlive`: HTTP/1.0
///   without `keep-alive`, or a `close` token) reaches the codec with `Connection: close` alone;
/// - its response says `Connection: close` (RFC 9112 §9.6), and the answer to an HTTP/1.0
///   `keep-alive` request says `Connection: keep-alive`, without which that client expects the
///   connection to close.
/// Responses pair with requests in order (HTTP/1.1 pipelining answers in order); interim
/// (1xx) responses are not paired.
///
/// A connection whose first request is HTTP/1.1 and keeps it alive (nearly every client)
/// removes this handler at once: a handler that every request and response part passes
/// through cost 5-7% of `GET /context` throughput at saturation (`wrk -t2 -c1000`, alternated).
/// Later requests on such a connection are HTTP/1.1 too, and `EventLoopResponder` reads
/// their `Connection` tokens itself.
final class HTTP1ConnectionHeader: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Persistence {
        case close
        case keepAliveHTTP10
        case keepAlive
    }

    /// What each request awaiting its response asked for, oldest first.
    private var pending = CircularBuffer<Persistence>()
    private var firstRequest = true

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        let http10 = head.version.major == 1 && head.version.minor == 0
        if !head.isKeepAlive {
            pending.append(.close)
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.fireChannelRead(wrapInboundOut(.head(head)))
        } else if firstRequest && !http10 {
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } else {
            pending.append(http10 ? .keepAliveHTTP10 : .keepAlive)
            context.fireChannelRead(data)
        }
        firstRequest = false
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var head) = unwrapOutboundIn(data), head.status.code >= 200, let asked = pending.popFirst() else {
            context.write(data, promise: promise)
            return
        }
        switch asked {
        case .close: head.headers.replaceOrAdd(name: "connection", value: "close")
        case .keepAliveHTTP10: head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
        case .keepAlive:
            context.write(data, promise: promise)
            return
        }
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }
}

/// Puts an `HTTP1ConnectionHeader` right before the pipeline's `HTTP1ToHTTPServerCodec`, then
/// leaves: Hummingbird adds the handlers it is given after the codec, where the version is gone.
final class HTTP1ConnectionHeaderInstaller: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func handlerAdded(context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        if let codec = try? pipeline.handler(type: HTTP1ToHTTPServerCodec.self) {
            try? pipeline.addHandler(HTTP1ConnectionHeader(), position: .before(codec))
        }
        pipeline.removeHandler(context: context, promise: nil)
    }
}
