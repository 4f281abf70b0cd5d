import ArgumentParser
import ColonyContext
import ColonyStore
import Foundation

/// The `--store` option every command shares, and where the default store lives.
struct StoreLocation: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store directory.", discussion: "Default: $COLONY_HOME, else $XDG_DATA_HOME/colony, else ~/.local/share/colony.", valueName: "PATH"))
    var store: String?

    var resolvedPath: String {
        if let store { return store }
        let env = ProcessInfo.processInfo.environment
        if let home = env["COLONY_HOME"], !home.isEmpty { return home }
        if let xdg = env["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/colony" }
        return NSHomeDirectory() + "/.local/share/colony"
    }

    func open(readOnly: Bool = false) throws -> ColonyStore {
        var options = StoreOptions()
        options.readOnly = readOnly
        do {
            return try Colony.open(at: resolvedPath, options: options)
        } catch {
            throw CLIError("cannot open the store at \(resolvedPath): \(error)", exitCode: 3)
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
            throw ExitCode(2)
        } catch let e as StoreError {
            FileHandle.standardError.write(Data("colony: \(e.description)\n".utf8))
            throw ExitCode(e.isRetryable ? 75 : 2)
        }
    }
}
