import ArgumentParser
import ColonyStore
import Foundation

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Append the events of an NDJSON file (as `colony export` writes) to the store.",
        discussion: """
            Every line is checked as an append would check it; bad lines are reported by \
            line number on standard error. Events are appended in batches of --batch-lines \
            lines, each one transaction: all of a batch or none of it. The first batch with \
            a bad line is not written, nor anything after it, so the store holds the file \
            up to a batch boundary; the rest of the file is still checked and reported.

            Idempotent by event id: an event already in the store with the same content is \
            counted as a duplicate and not written again, so an import may be run again \
            after an interruption or a fix. The same id with different content is a bad line.

            Events keep their ids, times, kinds, metadata, payloads and priority; the store \
            assigns positions, so an export imported in order into an empty store has the \
            export's positions. Creates the store if the directory is missing or empty. \
            FILE - reads standard input.

            Larger batches import faster (on the benchmark workload, 8,000 lines gave about 1.5 \
            times the events/s of 1,000) but hold LMDB's write lock longer per transaction, so \
            servers appending to the same store wait longer meanwhile.

            Prints: imported N, duplicates D, lines L, batches B.

            \(ExitStatus.table)
            """
    )

    @OptionGroup var location: StoreLocation
    @Argument(help: ArgumentHelp("The NDJSON file, or - for standard input.", valueName: "FILE"))
    var file: String
    @Option(help: "Lines per batch (one transaction).")
    var batchLines = 1_000
    @Option(help: "Bad lines reported one by one; further ones are counted.")
    var maxErrors = 100

    func validate() throws {
        guard batchLines >= 1 else { throw ValidationError("--batch-lines must be at least 1") }
        guard maxErrors >= 0 else { throw ValidationError("--max-errors must not be negative") }
    }

    func run() async throws {
        try await CLIError.report {
            let fd: Int32 = file == "-" ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw CLIError("cannot read \(file): \(String(cString: strerror(errno)))", exitCode: ExitStatus.cannotReadInput)
            }
            defer { if fd != STDIN_FILENO { close(fd) } }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
                throw CLIError("cannot read \(file): it is a directory", exitCode: ExitStatus.cannotReadInput)
            }
            let store = try location.openForWriting()
            defer { store.close() }
            var options = NDJSONImporter.Options()
            options.batchLines = batchLines
            options.maxReportedErrors = maxErrors
            let importer = NDJSONImporter(store: store, options: options)
            let showProgress = StandardError.isTerminal
            let summary: NDJSONImporter.Summary
            do {
                summary = try await importer.importLines(from: LineReader(fileDescriptor: fd, maxLineBytes: options.maxLineBytes)) { s in
                    if showProgress { FileHandle.standardError.write(Data("\rcolony: \(s.lines) lines, \(s.imported) imported".utf8)) }
                }
            } catch StoreError.ioFailed(let operation, _, let reason) {
                throw CLIError("cannot read \(file): \(operation): \(reason)", exitCode: ExitStatus.cannotReadInput)
            }
            if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
            for e in summary.errors { StandardError.print("colony: \(file == "-" ? "stdin" : file): \(e)") }
            if summary.invalidLines > summary.errors.count {
                StandardError.print("colony: … and \(summary.invalidLines - summary.errors.count) more bad lines")
            }
            print("imported \(summary.imported), duplicates \(summary.duplicates), lines \(summary.lines), batches \(summary.batches)")
            if let line = summary.firstLineNotImported {
                throw CLIError("\(summary.invalidLines) bad line\(summary.invalidLines == 1 ? "" : "s"); nothing from line \(line) on was imported",
                               exitCode: ExitStatus.badInputLines)
            }
        }
    }
}
