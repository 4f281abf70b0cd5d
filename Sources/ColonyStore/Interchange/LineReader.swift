import Foundation

/// Reads a file descriptor line by line, with a bound on a line's length so a
/// file without line breaks cannot take all memory.
///
/// ```swift
/// let reader = LineReader(fileDescriptor: STDIN_FILENO)
/// while let line = try reader.next() { … }
/// ```
public final class LineReader {
    /// One line, without its `\n`.
    public enum Line: Equatable, Sendable {
        /// The line's bytes.
        case text([UInt8])
        /// A line longer than the limit; its bytes were skipped.
        case tooLong(bytes: Int)
    }

    /// Lines longer than this are skipped and reported as `tooLong`.
    public let maxLineBytes: Int
    private let fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var scanned = 0
    private var atEOF = false

    /// Reads from `fileDescriptor`, which stays open (the caller closes it).
    public init(fileDescriptor: Int32, maxLineBytes: Int = 16 << 20) {
        self.fd = fileDescriptor
        self.maxLineBytes = max(maxLineBytes, 1)
        buffer = .allocate(byteCount: min(1 << 20, self.maxLineBytes + 1), alignment: 1)
    }

    deinit { buffer.deallocate() }

    /// The next line, or `nil` at the end of the input. A last line without `\n` counts.
    /// Throws `StoreError.ioFailed` when reading fails.
    public func next() throws -> Line? {
        var skipped = 0
        while true {
            if let newline = findNewline() {
                defer { start = newline + 1; scanned = start }
                if skipped > 0 { return .tooLong(bytes: skipped + newline - start) }
                return .text(Array(UnsafeRawBufferPointer(rebasing: buffer[start..<newline])))
            }
            if atEOF {
                guard start < end else { return skipped > 0 ? .tooLong(bytes: skipped) : nil }
                defer { start = end; scanned = end }
                if skipped > 0 { return .tooLong(bytes: skipped + end - start) }
                return .text(Array(UnsafeRawBufferPointer(rebasing: buffer[start..<end])))
            }
            if end - start > maxLineBytes {
                // Too long: forget what we have of it and skip to its end.
                skipped += end - start
                start = 0
                end = 0
                scanned = 0
            }
            try fill()
        }
    }

    private func findNewline() -> Int? {
        guard scanned < end else { return nil }
        let region = UnsafeRawBufferPointer(rebasing: buffer[scanned..<end])
        if let p = memchr(region.baseAddress!, 0x0A, region.count) {
            return scanned + (UnsafeRawPointer(p) - region.baseAddress!)
        }
        scanned = end
        return nil
    }

    /// Reads more input after what is buffered, moving or growing the buffer as needed.
    private func fill() throws {
        if start > 0 {
            let pending = end - start
            if pending > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: pending) }
            scanned -= start
            end = pending
            start = 0
        }
        if end == buffer.count {
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: min(buffer.count * 2, maxLineBytes + (1 << 20)),
                                                                alignment: 1)
            bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: end)
            buffer.deallocate()
            buffer = bigger
        }
        while true {
            let n = read(fd, buffer.baseAddress! + end, buffer.count - end)
            if n > 0 { end += n; return }
            if n == 0 { atEOF = true; return }
            if errno == EINTR { continue }
            throw StoreError.ioFailed(operation: "read", path: "file descriptor \(fd)", reason: String(cString: strerror(errno)))
        }
    }
}
