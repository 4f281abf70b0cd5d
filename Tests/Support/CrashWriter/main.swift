// colony-crash-writer: a process for the multi-process and crash tests of ColonyStore.
//
//     colony-crash-writer STORE_PATH WRITER_ID COUNT [--durable|--buffered]
//
// Opens the store with `StreamSummaryProjection`, appends COUNT single events to
// stream "w<WRITER_ID>" (kind "tick", payload {"n":i} for i in 0..<COUNT) from 8
// concurrent tasks, and after each acknowledged append writes one line
//
//     ack <event id> <position>
//
// to standard output with a single write(2), so a line on stdout is an event
// the store acknowledged, even if the process is killed right after. Errors go
// to standard error; the exit status is 0 when every append was acknowledged,
// 1 when any failed, 2 on bad arguments.
//
//     colony-crash-writer STORE_PATH --hold-locks
//
// Opens the store's LMDB environment, begins a read transaction and a write
// transaction, prints "holding" and sleeps until killed: a process that dies
// holding the write lock and a reader slot, for the tests of what the next
// process does with such a store.
//
//     colony-crash-writer STORE_PATH --hold-read
//
// Opens the environment, begins a read transaction only, prints "holding" and
// sleeps until killed: a reader that dies pinning an old snapshot, for the tests
// that the slot is reclaimed and the file does not grow without bound.

import ColonyStore
import ColonyTestSupport
import Foundation
import LMDB

let usage = "usage: colony-crash-writer STORE_PATH WRITER_ID COUNT [--durable|--buffered]\n"

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data(message.utf8))
    exit(status)
}

func holdLocks(path: String) -> Never {
    do {
        let env = try Environment(path: path)
        try env.read { _ in
            try env.write { _ in
                FileHandle.standardOutput.write(Data("holding\n".utf8))
                while true { sleep(60) }
            }
        }
    } catch {
        fail("hold locks on \(path): \(error)\n", status: 1)
    }
    fail("hold locks on \(path): the transaction ended\n", status: 1)
}

func holdRead(path: String) -> Never {
    do {
        let env = try Environment(path: path)
        try env.read { _ in
            FileHandle.standardOutput.write(Data("holding\n".utf8))
            while true { sleep(60) }
        }
    } catch {
        fail("hold a read transaction on \(path): \(error)\n", status: 1)
    }
    fail("hold a read transaction on \(path): the transaction ended\n", status: 1)
}

func run(arguments: [String]) async -> Int32 {
    if arguments.count == 3 && arguments[2] == "--hold-locks" { holdLocks(path: arguments[1]) }
    if arguments.count == 3 && arguments[2] == "--hold-read" { holdRead(path: arguments[1]) }
    guard arguments.count >= 4, arguments.count <= 5, let count = Int(arguments[3]), count >= 0 else { fail(usage, status: 2) }
    let mode = arguments.count == 5 ? arguments[4] : "--durable"
    var options = StoreOptions()
    switch mode {
    case "--durable": options.durability = .durable
    case "--buffered": options.durability = .buffered(syncIntervalMilliseconds: 20)
    default: fail(usage, status: 2)
    }
    let store: ColonyStore
    do {
        store = try ColonyStore.open(at: arguments[1], options: options, projections: [StreamSummaryProjection()])
    } catch {
        fail("open \(arguments[1]): \(error)\n", status: 1)
    }
    let stream = "w\(arguments[2])"
    let tasks = 8
    let failures = await withTaskGroup(of: Int.self) { group in
        for task in 0..<tasks {
            group.addTask {
                var failed = 0
                for i in stride(from: task, to: count, by: tasks) {
                    let event = NewEvent(stream: stream, kind: "tick", payload: Array("{\"n\":\(i)}".utf8))
                    do {
                        let result = try await store.append(event)
                        FileHandle.standardOutput.write(Data("ack \(event.id) \(result.lastPosition)\n".utf8))
                    } catch {
                        FileHandle.standardError.write(Data("append \(i) to \(stream): \(error)\n".utf8))
                        failed += 1
                    }
                }
                return failed
            }
        }
        return await group.reduce(0, +)
    }
    store.close()
    return failures == 0 ? 0 : 1
}

exit(await run(arguments: CommandLine.arguments))
