import ColonyStore
import Foundation
import LMDB
import Synchronization

/// Long operations started over MCP (export, backup, verify, rebuild): each answers at
/// once with a ticket and runs on a thread of its own, so no request waits for
/// it and no thread of the request path is blocked; `get_ticket` reports its
/// state, progress and result.
///
/// Tickets live in this server process's memory (a restart forgets them; the
/// files an export or backup wrote stay). Files go under `workDirectory`, never
/// to a path a client names, so a client cannot write elsewhere on the host.
final class TicketRegistry: Sendable {
    enum Kind: String, Sendable { case export, backup, verify, rebuild }
    enum State: String, Sendable { case running, succeeded, failed }

    struct Ticket: Sendable {
        var id: String
        var kind: Kind
        /// What the caller that started it may touch; a scoped caller sees only its own grant's tickets.
        var grant: ScopeGrant = .everything
        var state: State = .running
        var phase: String = "starting"
        var done: UInt64 = 0
        var total: UInt64 = 0
        var started = Date()
        var finished: Date?
        var result: JSONValue?
        var error: String?
    }

    /// Operations allowed to run at once; more are refused until one ends.
    static let maxRunning = 2
    /// Finished tickets kept for `get_ticket`.
    static let maxKept = 256

    let store: ColonyStore
    let workDirectory: String
    private let tickets = Mutex<[String: Ticket]>([:])
    private let order = Mutex<[String]>([])

    init(store: ColonyStore, workDirectory: String) {
        self.store = store
        self.workDirectory = workDirectory
    }

    struct Busy: Error, CustomStringConvertible {
        var description: String { "\(TicketRegistry.maxRunning) long operations are already running; try again when one has finished (get_ticket)" }
    }

    /// Registers a ticket and runs `work` on a new thread. `work` reports progress
    /// through the closure it is given and returns the result.
    func start(_ kind: Kind, grant: ScopeGrant = .everything, _ work: @escaping @Sendable (_ id: String, _ progress: @escaping @Sendable (String, UInt64, UInt64) -> Void) throws -> JSONValue) throws -> Ticket {
        let id = "\(kind.rawValue)-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let ticket = try tickets.withLock { t -> Ticket in
            guard t.values.filter({ $0.state == .running }).count < Self.maxRunning else { throw Busy() }
            let ticket = Ticket(id: id, kind: kind, grant: grant)
            t[id] = ticket
            return ticket
        }
        order.withLock { o in
            o.append(id)
            if o.count > Self.maxKept {
                let finished = tickets.withLock { t in o.filter { t[$0]?.state != .running } }
                for old in finished.prefix(o.count - Self.maxKept) {
                    tickets.withLock { _ = $0.removeValue(forKey: old) }
                    o.removeAll { $0 == old }
                }
            }
        }
        let body: @Sendable () -> Void = { [self] in
            let progress: @Sendable (String, UInt64, UInt64) -> Void = { phase, done, total in
                self.tickets.withLock { t in
                    t[id]?.phase = phase
                    t[id]?.done = done
                    t[id]?.total = total
                }
            }
            let outcome: Result<JSONValue, any Error> = Result { try work(id, progress) }
            tickets.withLock { t in
                t[id]?.finished = Date()
                t[id]?.phase = "finished"
                switch outcome {
                case .success(let v):
                    t[id]?.state = .succeeded
                    t[id]?.result = v
                    if let total = t[id]?.total, total > 0 { t[id]?.done = total }
                case .failure(let e):
                    t[id]?.state = .failed
                    t[id]?.error = "\(e)"
                }
            }
        }
        do {
            try DetachedThread.start(name: "colony-\(kind.rawValue)", body)
        } catch {
            // Nothing ran: the caller gets the error instead of a ticket that never moves.
            tickets.withLock { _ = $0.removeValue(forKey: id) }
            order.withLock { $0.removeAll { $0 == id } }
            throw error
        }
        return ticket
    }

    func ticket(_ id: String) -> Ticket? { tickets.withLock { $0[id] } }

    /// A new path under the work directory for one operation's output. `exports` and
    /// `backups` are created 0700 and must be real directories: a symbolic link in
    /// their place is refused, never followed.
    func outputPath(_ kind: Kind, ticket: String, suffix: String = "") throws -> String {
        let directory = workDirectory + "/" + (kind == .export ? "exports" : "backups")
        try PrivateDirectory.prepare(directory)
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        return directory + "/\(kind.rawValue)-\(stamp)-\(ticket)\(suffix)"
    }
}

extension TicketRegistry.Ticket {
    /// The ticket as `get_ticket` (and every `start_*`) answers it.
    var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("ticket", .string(id)), ("kind", .string(kind.rawValue)), ("state", .string(state.rawValue)),
            ("phase", .string(phase)),
            ("progress", .object([("done", .int(Int64(done))), ("total", .int(Int64(total))),
                                  ("fraction", .double(total > 0 ? (Double(done) / Double(total) * 1000).rounded() / 1000 : (state == .running ? 0 : 1)))])),
            ("started", .string(ISO8601DateFormatter().string(from: started))),
            ("elapsed_seconds", .double(((finished ?? Date()).timeIntervalSince(started) * 1000).rounded() / 1000)),
        ]
        if let finished { members.append(("finished", .string(ISO8601DateFormatter().string(from: finished)))) }
        if let result { members.append(("result", result)) }
        if let error { members.append(("error", .string(error))) }
        return .object(members)
    }
}
