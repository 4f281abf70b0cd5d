import ArgumentParser
import ColonyContext
import ColonyStore
import Foundation

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the store, consistent and compacted, into a new directory while it is in use.",
        discussion: """
            The copy is one snapshot of the store (LMDB's compacting copy): every event \
            committed before it began, with its views and indexes, free pages left out. Servers \
            and other processes keep reading and writing meanwhile. It is written beside DEST, \
            flushed to disk and renamed into place, so DEST never holds half a backup. DEST must \
            not exist or be an empty directory: anything else is refused (status 6).

            Then the backup is opened and verified like `colony verify` (skip with --no-verify); \
            a backup that does not verify exits 1.

            To restore: stop every process using the store, move the store directory aside, and \
            copy the backup directory in its place (its data.mdb is the whole store; lock.mdb is \
            made on open). Run `colony verify` on it. See docs/cli.md.

            \(ExitStatus.table)
            """
    )

    @OptionGroup var location: StoreLocation
    @Argument(help: ArgumentHelp("The new directory for the backup.", valueName: "DEST")) var destination: String
    @Flag(help: "Do not verify the backup after writing it.") var noVerify = false
    @Flag(help: "Print the result as one JSON object.") var json = false

    func run() async throws {
        try await CLIError.report {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory),
               !isDirectory.boolValue || !((try? FileManager.default.contentsOfDirectory(atPath: destination))?.isEmpty ?? false) {
                throw CLIError("\(destination) exists and is not an empty directory; refusing to write over it",
                               exitCode: ExitStatus.destinationExists)
            }
            let store = try location.openExisting(context: false)
            defer { store.close() }
            let result = try store.backup(to: destination)
            var verification: VerifyReport?
            if !noVerify {
                var options = StoreOptions()
                options.readOnly = true
                let copy = try Colony.open(at: result.path, options: options)
                defer { copy.close() }
                verification = try copy.verify()
            }
            if json {
                struct Output: Encodable {
                    var backup: BackupResult
                    var verified: Bool?
                    var findings: [VerifyReport.Finding]?
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                let output = Output(backup: result, verified: verification?.isClean, findings: verification?.findings)
                print(String(decoding: try encoder.encode(output), as: UTF8.self))
            } else {
                print("backed up \(store.path) to \(result.path): head \(result.headPosition), \(result.sizeBytes) bytes, "
                      + String(format: "%.3f s", result.durationSeconds))
                if let verification {
                    print(verification.isClean
                          ? String(format: "verified: clean (%llu events, %.3f s)", verification.eventsChecked, verification.durationSeconds)
                          : VerifyCommand.text(of: verification), terminator: verification.isClean ? "\n" : "")
                }
            }
            if let verification, !verification.isClean {
                throw CLIError("the backup at \(result.path) does not verify", exitCode: ExitStatus.findings)
            }
        }
    }
}
