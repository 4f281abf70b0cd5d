// colony-gate: fixed workloads for the instruction-count regression gate
// (scripts/regression-gate.sh runs each under valgrind's callgrind twice, with N1 and N2
// operations, and divides the difference in instructions by N2 - N1: what one operation
// costs, with start-up and store opening cancelled out).
//
//     colony-gate prepare DIR EVENTS     a store of EVENTS context events over 100 scopes (run natively)
//     colony-gate append DIR N           N log_event appends into a new store at DIR, one at a time, durable
//     colony-gate apply DIR              rebuilds DIR's context view one event per transaction (live apply)
//     colony-gate get_context DIR N      N get_context reads of DIR's scopes, in turn
//     colony-gate prepare-bulk DIR       a store of 20,000 events in batches of 1,000 (run natively)
//     colony-gate bulk DIR N             N more batches of 1,000 events into it, benchmark 3a's shape
//
// The store is opened as `colony serve` opens it (context and swarm views), so the swarm view's
// cost of skipping a context event is in append and apply. Every workload is deterministic: the same events, the same order, one event per commit
// (appends wait for each other, so the group-commit writer never batches differently).
import ColonyContext
import ColonyStore
import ColonySwarm
import Foundation

/// The store as `colony serve` opens it: the context view and the swarm view.
func openStore(_ dir: String) throws -> ColonyStore {
    try Colony.open(at: dir, extra: [SwarmProjection()])
}

let usage = "usage: colony-gate prepare DIR EVENTS | append DIR N | apply DIR | get_context DIR N | prepare-bulk DIR | bulk DIR N\n"

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(message.utf8))
    exit(2)
}

/// The i-th event of every workload: scope `gate/s<i % 100>`, a short text, a small data object.
func logEvent(_ store: ColonyStore, _ i: Int) async throws {
    try await store.logEvent(scope: "gate/s\(i % 100)", text: "gate event \(i): a line of text an agent would log",
                             kind: "note", data: Array(#"{"i":\#(i),"ok":true}"#.utf8),
                             id: EventID(high: 0x636f_6c6f_6e79_6761, low: UInt64(i + 1)))
}

/// Batch `b` of the bulk workload: events 1,000·b ..< 1,000·(b + 1), event i in leaf scope
/// `o<j % 10>/p<j % 100>/s<j>` with j = i % 1,000 (so each batch touches every leaf once, and
/// three batches make one cycle of folds), kind `event`, a 256-byte `{"text":…}` payload.
func bulkBatch(_ b: Int) -> [NewEvent] {
    (1_000 * b..<1_000 * (b + 1)).map { i in
        let j = i % 1_000
        return NewEvent(id: EventID(high: 0x636f_6c6f_6e79_6762, low: UInt64(i + 1)), stream: "o\(j % 10)/p\(j % 100)/s\(j)",
                        kind: "event", payload: bulkPayload)
    }
}

let bulkPayload: [UInt8] = {
    let sentence = "the agent ran the test suite, found one flaky case in the writer and logged what it saw. "
    let text = String(String(repeating: sentence, count: 3).prefix(256 - 11))
    return Array((#"{"text":""# + text + #""}"#).utf8)
}()

func run() async throws {
    let args = CommandLine.arguments
    guard args.count >= 3 else { fail(usage) }
    let dir = args[2]
    switch (args[1], args.count) {
    case ("prepare", 4):
        guard let n = Int(args[3]), n >= 0 else { fail(usage) }
        let store = try openStore(dir)
        defer { store.close() }
        for i in 0..<n { try await logEvent(store, i) }
    case ("append", 4):
        guard let n = Int(args[3]), n >= 0 else { fail(usage) }
        let store = try openStore(dir)
        defer { store.close() }
        for i in 0..<n { try await logEvent(store, i) }
    case ("apply", 3):
        let store = try openStore(dir)
        defer { store.close() }
        try store.rebuild(view: "context", chunkEvents: 1)
    case ("get_context", 4):
        guard let n = Int(args[3]), n >= 0 else { fail(usage) }
        let store = try openStore(dir)
        defer { store.close() }
        var bytes = 0
        for i in 0..<n { bytes &+= try store.context(of: "gate/s\(i % 100)").json.count }
        if bytes == 0 && n > 0 { fail("get_context answered nothing\n") }
    case ("prepare-bulk", 3):
        let store = try openStore(dir)
        defer { store.close() }
        for b in 0..<20 { try await store.append(bulkBatch(b)) }
    case ("bulk", 4):
        guard let n = Int(args[3]), n >= 0 else { fail(usage) }
        let store = try openStore(dir)
        defer { store.close() }
        let first = Int(try store.headPosition()) / 1_000
        for b in first..<(first + n) { try await store.append(bulkBatch(b)) }
    default:
        fail(usage)
    }
}

// Not an async main: that parks the main thread in libdispatch's signal loop, which
// valgrind 3.19 cannot run. The main thread waits on a semaphore instead, for a detached
// task (a plain Task here would wait for the main actor, that is, for the main thread).
let finished = DispatchSemaphore(value: 0)
nonisolated(unsafe) var failure: (any Error)?
Task.detached {
    do { try await run() } catch { failure = error }
    finished.signal()
}
finished.wait()
if let failure { fail("colony-gate: \(failure)\n") }
