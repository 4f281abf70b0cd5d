import ArgumentParser
import ColonyContext
import ColonyStore
import ColonySwarm
import Foundation

struct TuneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Search the swarm's α, β, ρ by particle swarm optimisation over the store's history.",
        discussion: """
            Replays the store's swarm history (agents, tasks, outcomes) as a simulation and \
            searches the ant-colony parameters α (trail weight), β (heuristic weight) and ρ \
            (evaporation per time unit) that maximise the simulated success rate, starting \
            from the configuration in force. The same --seed gives the same result.

            Outcomes of choices the history never made are modelled from each agent's success \
            rate at that task type around that time (see docs/swarm.md): the improvement is \
            an estimate, not a promise.

            Without --write the store is opened read-only and nothing is written. With --write, \
            a better configuration is appended as a swarm.configured event (the other \
            parameters are kept); an equal or worse one is not.

            \(ExitStatus.table)
            """
    )

    @OptionGroup var location: StoreLocation
    @Option(help: "Seed of the search and of the simulated outcomes.") var seed: UInt64 = 1
    @Option(help: "Particles of the swarm (1-100).") var particles = 10
    @Option(help: "Iterations of the search (0-100).") var iterations = 8
    @Option(help: "Simulated runs per evaluation (1-20).") var runs = 2
    @Flag(help: "Append the parameters found as the store's configuration when they improve on it.") var write = false
    @Flag(help: "Print JSON (the TuningResult, and the position written) instead of text.") var json = false

    func validate() throws {
        guard (1...100).contains(particles) else { throw ValidationError("--particles must be 1...100") }
        guard (0...100).contains(iterations) else { throw ValidationError("--iterations must be 0...100") }
        guard (1...20).contains(runs) else { throw ValidationError("--runs must be 1...20") }
    }

    struct Output: Encodable {
        let result: TuningResult
        let improvement: Double
        let writtenAtPosition: UInt64?
    }

    func run() async throws {
        try await CLIError.report {
            let store = try write ? openForWriting() : location.openExisting(context: false)
            defer { store.close() }
            let result: TuningResult
            do {
                result = try store.tuneSwarm(seed: seed, particles: particles, iterations: iterations, runs: runs)
            } catch let e as SwarmError {
                throw CLIError(e.description, exitCode: ExitStatus.invalidInput)
            }
            var written: UInt64?
            if write && result.improvement > 0 {
                written = try await store.configureSwarm(result.best).lastPosition
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(Output(result: result, improvement: result.improvement, writtenAtPosition: written)),
                             as: UTF8.self))
                return
            }
            print(Self.text(result, seed: seed, particles: particles, iterations: iterations, written: written, write: write), terminator: "")
        }
    }

    /// Opens the store with the context and swarm views, for appending the configuration.
    private func openForWriting() throws -> ColonyStore {
        let path = location.resolvedPath
        do {
            try ColonyStore.checkIsStoreDirectory(path)
            return try ColonyStore.open(at: path, projections: [ContextProjection(), SwarmProjection()])
        } catch let e as StoreError {
            throw CLIError("cannot open the store at \(path): \(e)", exitCode: CLIError.exitCode(for: e))
        }
    }

    static func text(_ r: TuningResult, seed: UInt64, particles: Int, iterations: Int, written: UInt64?, write: Bool) -> String {
        func params(_ c: SwarmConfiguration) -> String {
            "α \(format(c.alpha))  β \(format(c.beta))  ρ \(format(c.rho))"
        }
        var out = "history     \(r.tasks) tasks\n"
        out += "current     \(params(r.current))   simulated success \(format(r.currentSuccessRate))\n"
        out += "found       \(params(r.best))   simulated success \(format(r.bestSuccessRate))   (\(r.improvement >= 0 ? "+" : "")\(format(r.improvement)))\n"
        out += "search      seed \(seed), \(particles) particles × \(iterations) iterations, \(r.evaluations) simulations\n"
        if let written {
            out += "written     swarm.configured at position \(written)\n"
        } else if write {
            out += "not written: no improvement on the current configuration\n"
        } else {
            out += "not written: run again with --write to adopt it\n"
        }
        return out
    }

    static func format(_ v: Double) -> String { String(format: "%.4g", v) }
}

extension ColonyStore {
    /// Refuses a path with no store in it before a writable open would create one there.
    static func checkIsStoreDirectory(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path + "/data.mdb") else {
            throw StoreError.notAStore(path: path, reason: "the directory has no data.mdb")
        }
    }
}
