import ArgumentParser
import ColonyContext
import ColonyStore
import ColonySwarm
import Foundation

/// The `--store` option every command shares, and where the default store lives.
struct StoreLocation: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store directory.", discussion: "Default: $COLONY_HOME, else $XDG_DATA_HOME/colony, else ~/.local/share/colony.", valueName: "PATH"))
    var store: String?

    /// The views every `colony` command registers, by name.
    static let viewNames = [ContextProjection().name, SwarmProjection().name]

    var resolvedPath: String {
        if let store { return store }
        let env = ProcessInfo.processInfo.environment
        if let home = env["COLONY_HOME"], !home.isEmpty { return home }
        if let xdg = env["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/colony" }
        return NSHomeDirectory() + "/.local/share/colony"
    }

    /// Opens the store with the context and swarm views for writing, creating it if needed.
    func open(readOnly: Bool = false) throws -> ColonyStore {
        var options = StoreOptions()
        options.readOnly = readOnly
        return try opening { try Colony.open(at: resolvedPath, options: options, extra: [SwarmProjection()]) }
    }

    /// Opens an existing store read-only: never creates anything, and refuses a
    /// path that is not a store (`ExitStatus.notAStore`). With `context`, the
    /// context and swarm views are registered (when the store has them).
    func openExisting(context: Bool) throws -> ColonyStore {
        var options = StoreOptions()
        options.readOnly = true
        return try opening {
            context ? try Colony.open(at: resolvedPath, options: options, extra: [SwarmProjection()])
                    : try ColonyStore.open(at: resolvedPath, options: options)
        }
    }

    /// Opens the store for writing with the context and swarm views, creating it in a missing or
    /// empty directory, but refusing a directory with other files and no store in it.
    func openForWriting(options: StoreOptions = StoreOptions()) throws -> ColonyStore {
        let path = resolvedPath
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CLIError("\(path) is not a directory", exitCode: ExitStatus.notAStore) }
            let contents = (try? fm.contentsOfDirectory(atPath: path)) ?? []
            if !contents.isEmpty && !contents.contains("data.mdb") {
                throw CLIError("\(path) holds other files and no store; refusing to create a store there",
                               exitCode: ExitStatus.notAStore)
            }
        }
        return try opening { try Colony.open(at: path, options: options, extra: [SwarmProjection()]) }
    }

    /// Opens an existing store for writing with the context and swarm views; refuses a path that is
    /// not a store (`ExitStatus.notAStore`) instead of creating one.
    func openExistingForWriting(options: StoreOptions = StoreOptions()) throws -> ColonyStore {
        let path = resolvedPath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError("cannot open the store at \(path): no such directory", exitCode: ExitStatus.notAStore)
        }
        guard isDirectory.boolValue, FileManager.default.fileExists(atPath: path + "/data.mdb") else {
            throw CLIError("cannot open the store at \(path): not a store (no data.mdb)", exitCode: ExitStatus.notAStore)
        }
        return try opening { try Colony.open(at: path, options: options, extra: [SwarmProjection()]) }
    }

    private func opening(_ body: () throws -> ColonyStore) throws -> ColonyStore {
        do {
            return try body()
        } catch let e as StoreError {
            throw CLIError("cannot open the store at \(resolvedPath): \(e)", exitCode: CLIError.exitCode(for: e))
        } catch {
            throw CLIError("cannot open the store at \(resolvedPath): \(error)", exitCode: ExitStatus.storageFailure)
        }
    }
}

/// A failure reported on stderr with its own exit code.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    let exitCode: Int32
    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}

extension CLIError {
    /// Runs `body`, printing a `CLIError` or any other error as a one-line message with an exit code.
    static func report<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let e as CLIError {
            FileHandle.standardError.write(Data("colony: \(e.description)\n".utf8))
            throw ExitCode(e.exitCode)
        } catch let e as ContextError {
            FileHandle.standardError.write(Data("colony: \(e.description)\n".utf8))
            throw ExitCode(ExitStatus.invalidInput)
        } catch let e as StoreError {
            FileHandle.standardError.write(Data("colony: \(e.description)\n".utf8))
            throw ExitCode(exitCode(for: e))
        }
    }

    /// The exit status for a store error, by its class.
    static func exitCode(for error: StoreError) -> Int32 {
        if error.isRetryable { return ExitStatus.retryable }
        switch error {
        case .notAStore: return ExitStatus.notAStore
        case .unsupportedFormat: return ExitStatus.newerFormat
        case .destinationExists: return ExitStatus.destinationExists
        case .corruptRecord, .corruptView: return ExitStatus.corruptStore
        case .ioFailed: return ExitStatus.cannotWriteOutput
        case .storage, .closed, .storeFileRemoved: return ExitStatus.storageFailure
        default: return ExitStatus.invalidInput
        }
    }
}
