// The baseline for Colony's HTTP benchmarks: the smallest Hummingbird server, answering
// GET / with a short body. Colony's HTTP throughput is compared with this in the same run.
//
//   hello-hummingbird [PORT]     (default 3100, 127.0.0.1)
import Hummingbird

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 3100 : 3100
let responder = CallbackResponder<BasicRequestContext> { _, _ in
    Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "hello\n")))
}
let app = Application(responder: responder,
                      configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "hello", backlog: 4096))
try await app.runService()
