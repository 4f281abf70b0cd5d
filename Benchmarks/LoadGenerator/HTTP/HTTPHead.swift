/// The parts of an HTTP/1.1 response head the load generator needs.
enum HTTPHead {
    /// Status and Content-Length of a response head, or nil if its blank line has not arrived.
    static func parse(_ bytes: UnsafeRawBufferPointer, searchFrom: Int) -> (status: Int, contentLength: Int, headLength: Int)? {
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

    /// A whole request: request line, Host, `headers` ("Name: value" each), Content-Length, body.
    static func request(method: String, path: String, host: String, headers: [String], body: [UInt8]) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\n"
        for h in headers { head += h + "\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        return Array((head + "\r\n").utf8) + body
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

/// The same request every time (`colony-load http`): a success is any 2xx status.
final class FixedRequestSource: TrafficSource {
    let kinds = ["request"]
    private let bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }

    func request(index: Int, connection: Int, into out: inout [UInt8]) -> Int {
        out.append(contentsOf: bytes)
        return 0
    }

    func judge(index: Int, connection: Int, kind: Int, status: Int, body: UnsafeRawBufferPointer) -> String? {
        (200..<300).contains(status) ? nil : "http_\(status)"
    }
}
