/// A hierarchical scope path such as `org/project/session`.
///
/// An event logged in a scope updates the context of that scope and of each
/// ancestor (`org/project`, `org`). Rules, checked by `init(_:)`:
/// 1-256 bytes of UTF-8, at most 16 segments separated by `/`, each segment
/// non-empty, not `.` or `..`, without control characters, `:` (reserved for
/// namespaced streams such as `swarm:…`) or leading/trailing spaces.
///
/// ```swift
/// let scope = try Scope("acme/api/session-7")
/// scope.lineage   // ["acme", "acme/api", "acme/api/session-7"]
/// ```
public struct Scope: Hashable, Sendable, CustomStringConvertible {
    public static let maxBytes = 256
    public static let maxSegments = 16

    /// The path as given.
    public let path: String
    /// The path's UTF-8 bytes: the context view's key.
    let key: [UInt8]

    public init(_ path: String) throws {
        let key = Array(path.utf8)
        try Scope.check(key, display: path)
        self.path = path
        self.key = key
    }

    public static func == (a: Scope, b: Scope) -> Bool { a.path == b.path }
    public func hash(into hasher: inout Hasher) { hasher.combine(path) }

    /// Validates raw bytes (which must be UTF-8) as a scope path.
    public init(bytes: [UInt8]) throws {
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw ContextError.invalidScope(String(decoding: bytes, as: UTF8.self), reason: "not valid UTF-8")
        }
        try self.init(s)
    }

    public var description: String { path }

    /// The scope's segments.
    public var segments: [Substring] { path.split(separator: "/", omittingEmptySubsequences: false) }

    /// The scope's ancestors from the root down, then the scope itself.
    public var lineage: [String] { Scope.lineage(of: key).map { String(decoding: $0, as: UTF8.self) } }

    /// Prefixes of `path` ending before each `/`, then `path` itself.
    static func lineage(of path: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        forEachLevel(of: path[...]) { out.append(Array($0)) }
        return out
    }

    /// Calls `body` with each prefix of `path` ending before a `/`, then with `path` itself:
    /// the lineage as slices of `path`, nothing allocated.
    @inline(__always)
    static func forEachLevel(of path: ArraySlice<UInt8>, _ body: (ArraySlice<UInt8>) throws -> Void) rethrows {
        var end = path.startIndex
        while true {
            while end < path.endIndex && path[end] != UInt8(ascii: "/") { end += 1 }
            try body(path[path.startIndex..<end])
            if end == path.endIndex { return }
            end += 1
        }
    }

    /// `forEachLevel` over bytes in place: no slice, so no reference to retain and release.
    @inline(__always)
    static func forEachLevel(of path: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        var end = 0
        while true {
            while end < path.count && path[end] != UInt8(ascii: "/") { end += 1 }
            try body(UnsafeBufferPointer(rebasing: path[0..<end]))
            if end == path.count { return }
            end += 1
        }
    }

    static func check(_ bytes: [UInt8], display: String) throws {
        func fail(_ reason: String) -> ContextError { .invalidScope(display, reason: reason) }
        if bytes.isEmpty { throw fail("empty") }
        if bytes.count > maxBytes { throw fail("\(bytes.count) bytes, over the limit of \(maxBytes)") }
        var segments = 1
        var segmentStart = 0
        for (i, b) in bytes.enumerated() {
            if b < 0x20 || b == 0x7F { throw fail("contains a control character") }
            if b == UInt8(ascii: ":") { throw fail("':' is reserved for namespaced streams") }
            if b == UInt8(ascii: "/") {
                try checkSegment(bytes[segmentStart..<i], fail)
                segments += 1
                segmentStart = i + 1
            }
        }
        try checkSegment(bytes[segmentStart...], fail)
        if segments > maxSegments { throw fail("\(segments) segments, over the limit of \(maxSegments)") }
    }

    private static func checkSegment(_ s: ArraySlice<UInt8>, _ fail: (String) -> ContextError) throws {
        if s.isEmpty { throw fail("empty segment (a leading, trailing or double '/')") }
        if s.elementsEqual([UInt8(ascii: ".")]) || s.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
            throw fail("'.' and '..' are not segments")
        }
        if s.first == 0x20 || s.last == 0x20 { throw fail("a segment starts or ends with a space") }
    }

    /// Whether a stream name is a scope (and so belongs to the context view).
    static func isScopeStream(_ stream: ArraySlice<UInt8>) -> Bool {
        !stream.isEmpty && !stream.contains(UInt8(ascii: ":"))
    }

    static func isScopeStream(_ stream: UnsafeBufferPointer<UInt8>) -> Bool {
        !stream.isEmpty && !stream.contains(UInt8(ascii: ":"))
    }
}
