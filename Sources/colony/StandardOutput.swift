import Foundation

/// Writing to standard output without Foundation's buffering, so a follower
/// sees each chunk as soon as it is written, and a reader that goes away
/// (`colony replay | head`) ends the command quietly instead of killing it.
enum StandardOutput {
    /// The reader closed the pipe.
    struct Closed: Error {}

    /// Ignore SIGPIPE: a closed pipe becomes `EPIPE` from write(2), which `write` reports as `Closed`.
    static func ignoreBrokenPipe() {
        signal(SIGPIPE, SIG_IGN)
    }

    static func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EPIPE { throw Closed() }
            throw CLIError("cannot write to standard output: \(String(cString: strerror(errno)))",
                           exitCode: ExitStatus.cannotWriteOutput)
        }
    }

    static func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    static func write(_ text: String) throws {
        try write(Array(text.utf8))
    }
}

/// Messages for people on standard error.
enum StandardError {
    static func print(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Whether standard error is a terminal (progress lines are shown only then).
    static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}
