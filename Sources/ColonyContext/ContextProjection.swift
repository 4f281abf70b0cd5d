import ColonyStore
import Foundation
import LMDB
import Synchronization

/// The projection that keeps the context view of every scope.
///
/// For each event in a scope stream (any stream without `:`), the context of
/// the scope and of each ancestor gets: the event counted by kind, first and
/// last time, the event in its last-N list (insights excepted), and for
/// insights, a place in its top-K by importance then recency. Insights whose
/// normalised text is the same are merged (mentions counted, highest
/// importance kept); an insight may supersede an earlier one by id, which
/// removes it and lets the next best take its place.
///
/// Work per event is O(depth of the scope) view updates, each O(N + K),
/// independent of the size of the log; within one transaction a scope's view
/// is decoded and encoded once however many events touch it. An event rewrites
/// the scope's small head value; the larger body (N events, K insights) is
/// rewritten once every few events (see `ScopeState`).
public struct ContextProjection: Projection {
    /// The view's name: `view:context`.
    public let name = "context"
    /// Stored format 3; the limits are part of the version so changing them rebuilds the view.
    public var version: UInt32 { 3 << 16 | UInt32(recentEvents) << 8 | UInt32(topInsights) }
    /// The insight index and the insight id table.
    public var tables: [String] { [ContextProjection.insightsTable, ContextProjection.insightIDsTable] }

    /// Events kept per scope, newest first.
    public let recentEvents: Int
    /// Insights kept per scope, best first.
    public let topInsights: Int

    static let insightsTable = "insights"
    static let insightIDsTable = "insight-ids"
    /// Whether an event's kind is `insight` (compared with a literal: no stored array to retain).
    @inline(__always)
    static func isInsight(_ kind: some Sequence<UInt8>) -> Bool { kind.elementsEqual("insight".utf8) }
    /// Bigger payloads are shown in the view by their text only, cut to `textPreviewBytes`.
    static let fragmentPayloadLimitBytes = 2_048
    static let textPreviewBytes = 1_024

    public init(recentEvents: Int = 20, topInsights: Int = 10) {
        precondition((1...255).contains(recentEvents) && (1...255).contains(topInsights), "limits must be 1...255")
        self.recentEvents = recentEvents
        self.topInsights = topInsights
    }

    public func apply(_ events: [RecordedEvent], to view: ViewWriter) throws {
        var session = ContextSession(projection: self, cache: ScopeCache(view: view, viewName: name))
        try session.apply(events)
        try session.finish()
    }

    /// Keeps every scope touched in the transaction decoded until `finish`, so a
    /// rebuild writes each scope once per chunk rather than once per run.
    public func makeSession(_ view: ViewWriter) -> any ProjectionSession {
        ContextSession(projection: self, cache: ScopeCache(view: view, viewName: name))
    }

    struct ContextSession: ProjectionSession {
        let projection: ContextProjection
        let cache: ScopeCache

        mutating func apply(_ events: [RecordedEvent]) throws {
            // Room for the scopes a batch touches (a leaf and its ancestors per event, many
            // shared), so the table is not regrown and rehashed as it fills.
            if cache.states.isEmpty { cache.states.reserveCapacity(min(events.count * 2 + 8, 16_384)) }
            if events.count >= ContextProjection.pipelineMinimumEvents {
                try applyPipelined(events)
            } else if events.count > 1 {
                try applyRendered(events)
            } else {
                for event in events { try projection.apply(event, cache: cache, fragment: nil, hashes: nil) }
            }
        }

        /// A shorter run of several events (a bulk append's batch, a group commit of callers)
        /// has its fragments rendered first, end to end into one array that they are slices of,
        /// then applied: an array per fragment, and one for the payload's members, were two of
        /// the twenty mallocs per event of a bulk append.
        private func applyRendered(_ events: [RecordedEvent]) throws {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(events.count * 384)
            var ends: [Int] = []
            ends.reserveCapacity(events.count)
            var members: [JSONFragments.Member] = []
            for event in events {
                ends.append(projection.prerender(event, into: &bytes, members: &members) ? bytes.count : -1)
            }
            var from = 0
            for (i, event) in events.enumerated() {
                guard ends[i] >= 0 else {
                    try projection.apply(event, cache: cache, fragment: nil, hashes: nil)
                    continue
                }
                try projection.apply(event, cache: cache, fragment: bytes[from..<ends[i]], hashes: nil)
                from = ends[i]
            }
        }

        /// A long run (a rebuild, a view catching up: runs of 4,096 events) is applied while
        /// another thread renders its events' fragments a slice ahead. Rendering depends on
        /// the event alone, so the fragments, and the view's bytes, are those of `apply`;
        /// it was about a third of a rebuild's instructions, on a thread that had the rest.
        /// The renderer writes into buffers the session keeps from run to run, and this thread
        /// copies each slice's fragments out in one piece: memory is allocated and freed by one
        /// thread, as without the renderer (fragments allocated by a second thread and freed by
        /// this one made glibc return and re-fault that thread's heap, a sixth of the time in
        /// the kernel).
        private func applyPipelined(_ events: [RecordedEvent]) throws {
            let slice = ContextProjection.pipelineSliceEvents
            let slices = (events.count + slice - 1) / slice
            if cache.renderAhead.map({ $0.slices < slices }) ?? true { cache.renderAhead = RenderAhead(slices: slices) }
            let ahead = cache.renderAhead!
            let projection = self.projection
            try events.withUnsafeBufferPointer { buffer in
                let input = UnsafeEvents(buffer: buffer)
                // A thread of its own, not a pool's: this one blocks on the semaphores below
                // and may itself be on a pool thread (a rebuild started from the MCP server).
                // It touches `events` only before its last signal, while they are alive here.
                do {
                    try DetachedThread.start(name: "colony-render") {
                        var members: [JSONFragments.Member] = []
                        for s in 0..<slices {
                            ahead.bytes[s].removeAll(keepingCapacity: true)
                            ahead.ends[s].removeAll(keepingCapacity: true)
                            ahead.hashes[s].removeAll(keepingCapacity: true)
                            for i in (s * slice)..<min(input.buffer.count, (s + 1) * slice) {
                                let event = input.buffer[i]
                                let rendered = projection.prerender(event, into: &ahead.bytes[s], members: &members)
                                ahead.ends[s].append(rendered ? ahead.bytes[s].count : -1)
                                // The applier's scope-table keys, hashed here: SipHash of each
                                // level's path was a twentieth of the applying thread's time.
                                if rendered {
                                    Scope.forEachLevel(of: event.streamBytes) { ahead.hashes[s].append(ScopeCache.Key.hash($0)) }
                                }
                            }
                            ahead.ready[s].signal()
                        }
                    }
                } catch {
                    // No thread to be had (a process or container at its thread limit): render here.
                    for event in events { try projection.apply(event, cache: cache, fragment: nil, hashes: nil) }
                    return
                }
                ContextProjection.pipelinedRunCount.withLock { $0 += 1 }
                var waited = 0
                // However this ends, the renderer is done with the events before they go.
                defer { for s in waited..<slices { ahead.ready[s].wait() } }
                for s in 0..<slices {
                    ahead.ready[s].wait()
                    waited = s + 1
                    var from = 0
                    // One copy of the slice's fragments, which the events' fragments are slices of:
                    // an array per event (a malloc, and a free when the last level dropped it) was
                    // 15% of this thread's samples (perf). A copy, not the renderer's buffer, which
                    // is refilled in the next run.
                    let arena = ahead.bytes[s].withUnsafeBufferPointer { ArraySlice($0) }
                    try ahead.hashes[s].withUnsafeBufferPointer { hashes in
                        var nextHash = 0
                        for (j, i) in ((s * slice)..<min(events.count, (s + 1) * slice)).enumerated() {
                            let end = ahead.ends[s][j]
                            guard end >= 0 else {
                                try projection.apply(events[i], cache: cache, fragment: nil, hashes: nil)
                                continue
                            }
                            let fragment = arena[from..<end]
                            from = end
                            nextHash += try projection.apply(events[i], cache: cache, fragment: fragment, hashes: (hashes, nextHash))
                        }
                    }
                }
            }
        }

        mutating func finish() throws {
            let limit = projection.recentEvents
            // Keys on the stack and values encoded into one reused array: LMDB copies both.
            var value: [UInt8] = []
            try cache.states.forEach { state in
                // A head grows by an event's fragment until it folds, then shrinks to a few
                // hundred bytes. LMDB splits a leaf page when a growing value no longer fits,
                // but never merges pages on a put, so a store written from empty ended with
                // 1.2 heads per 4 KB leaf page and every event dirtied a page of its own.
                // Deleting a shrinking head before putting it lets LMDB merge its page with a
                // neighbour when both are under a quarter full (mdb_rebalance): about 3 heads
                // per page in that store, and a fifth fewer bytes written per 1,000-event batch
                // (ContextPageFillTests; docs/PERFORMANCE.md).
                try state.scope.withUnsafeBytes { key in
                    if state.bodyChanged { try cache.view.delete(key) }
                    value.removeAll(keepingCapacity: true)
                    state.encodeHead(limit: limit, into: &value)
                    try value.withUnsafeBytes { try cache.view.put(key, $0) }
                }
                if state.bodyChanged {
                    value.removeAll(keepingCapacity: true)
                    state.encodeBody(limit: limit, into: &value)
                    try ScopeState.withBodyKey(state.scope) { key in try value.withUnsafeBytes { try cache.view.put(key, $0) } }
                }
            }
            cache.states.removeAll()
        }
    }

    /// Runs of at least this many events are applied with their fragments rendered on another thread.
    static let pipelineMinimumEvents = 2_048
    /// Events the renderer hands over at a time.
    static let pipelineSliceEvents = 256
    private static let pipelinedRunCount = Mutex(0)
    /// Runs of events this process applied with their fragments rendered ahead (tests read it).
    static var pipelinedRuns: Int { pipelinedRunCount.withLock { $0 } }

    /// Appends the fragment `apply` would render for this event to `out` and returns true,
    /// or returns false if it renders none (not a scope stream) or renders it from the view's
    /// state (an insight).
    /// `members` is scratch space, reused from event to event.
    func prerender(_ event: RecordedEvent, into out: inout [UInt8], members: inout [JSONFragments.Member]) -> Bool {
        guard Scope.isScopeStream(event.streamBytes), !ContextProjection.isInsight(event.kindBytes) else { return false }
        let isObject = JSONFragments.members(event.payload, into: &members)
        renderEvent(event, members: isObject ? members : nil, into: &out)
        return true
    }

    /// `fragment`: the event's fragment from `prerender`, if it was rendered ahead; `hashes`: the
    /// hashes of its scope's levels (`ScopeCache.Key.hash`) from `levels[first...]`, if they
    /// were computed ahead. Returns how many of those hashes it used (one per level; 0 without
    /// `hashes`), so the caller knows where the next rendered event's hashes start.
    @discardableResult
    private func apply(_ event: RecordedEvent, cache: ScopeCache, fragment rendered: ArraySlice<UInt8>?,
                       hashes: (levels: UnsafeBufferPointer<Int>, first: Int)?) throws -> Int {
        // The stream and the kind are read in place in the record: slices of it are references,
        // retained and released each time one is made or copied, at every level of the scope.
        let (isScope, isInsight) = event.storage.withUnsafeBufferPointer { record in
            (Scope.isScopeStream(UnsafeBufferPointer(rebasing: record[event.streamRange])),
             ContextProjection.isInsight(UnsafeBufferPointer(rebasing: record[event.kindRange])))
        }
        guard isScope else { return 0 }
        if isInsight {
            let scope = event.streamBytes
            try applyInsight(event, scope: scope, members: JSONFragments.members(event.payload),
                             lineage: Scope.lineage(of: Array(scope)), view: cache.view, cache: cache)
            return 0
        }
        let fragment = rendered ?? ArraySlice(renderEvent(event, members: JSONFragments.members(event.payload)))
        let time = event.timeMicroseconds, position = event.position
        var nextHash = hashes?.first ?? 0
        try event.storage.withUnsafeBufferPointer { record in
            let kind = UnsafeBufferPointer(rebasing: record[event.kindRange])
            try Scope.forEachLevel(of: UnsafeBufferPointer(rebasing: record[event.streamRange])) { level in
                let hash = hashes.map { $0.levels[nextHash] } ?? ScopeCache.Key.hash(level)
                nextHash += 1
                try cache.update(level, hash: hash, needsBody: { $0.foldsWith(fragmentBytes: fragment.count, limit: recentEvents) }) { state in
                    state.count(kind: kind, name: event.kindBytes, time: time, position: position)
                    state.pushRecent(position: position, fragment: fragment, limit: recentEvents)
                }
            }
        }
        if let hashes { return nextHash - hashes.first }
        return 0
    }

    // MARK: Insights

    private func applyInsight(_ event: RecordedEvent, scope: ArraySlice<UInt8>, members: [JSONFragments.Member]?,
                              lineage: [[UInt8]], view: ViewWriter, cache: ScopeCache) throws {
        let payload = event.payload
        func member(_ key: String) -> ArraySlice<UInt8>? {
            guard let m = members?.first(where: { payload[$0.key].elementsEqual(key.utf8) }) else { return nil }
            return payload[m.value]
        }
        let text = member("text").flatMap(JSONFragments.decodeString) ?? ""
        let hash = InsightText.hash(text)
        let importance = member("importance").flatMap(JSONFragments.decodeNumber).map { min(max($0, 0), 1) } ?? 0.5
        if let target = member("supersedes").flatMap(JSONFragments.decodeString).flatMap(EventID.init(string:)) {
            try supersede(target, view: view, cache: cache)
        }
        try view.put(event.id.bytes, InsightIndex.idValue(hash: hash, scope: scope), table: ContextProjection.insightIDsTable)
        for level in lineage {
            try cache.update(ArraySlice(level)) { state in
                state.count(kind: event.kindBytes, time: event.timeMicroseconds, position: event.position)
            }
            let indexKey = InsightIndex.key(scope: level, hash: hash)
            var entry = InsightIndex.Entry(id: event.id, importance: importance, position: event.position, mentions: 1,
                                           superseded: false, fragment: [])
            if let raw = try view.get(indexKey, table: ContextProjection.insightsTable),
               let existing = InsightIndex.Entry(raw), !existing.superseded {
                entry.id = existing.id
                entry.mentions = existing.mentions &+ 1
                entry.importance = max(existing.importance, importance)
            }
            entry.fragment = renderInsight(event, members: members, id: entry.id, importance: entry.importance, mentions: entry.mentions)
            try view.put(indexKey, entry.encoded, table: ContextProjection.insightsTable)
            let shown = ScopeState.Insight(id: entry.id, textHash: hash, importance: entry.importance, position: entry.position,
                                           mentions: entry.mentions, fragment: ArraySlice(entry.fragment))
            try cache.update(ArraySlice(level), needsBody: { _ in true }) { $0.upsert(shown, limit: topInsights) }
        }
    }

    private func supersede(_ target: EventID, view: ViewWriter, cache: ScopeCache) throws {
        guard let raw = try view.get(target.bytes, table: ContextProjection.insightIDsTable),
              let (hash, targetScope) = InsightIndex.parseIDValue(raw) else { return }
        for level in Scope.lineage(of: targetScope) {
            let indexKey = InsightIndex.key(scope: level, hash: hash)
            guard let rawEntry = try view.get(indexKey, table: ContextProjection.insightsTable),
                  var entry = InsightIndex.Entry(rawEntry), !entry.superseded else { continue }
            entry.superseded = true
            try view.put(indexKey, entry.encoded, table: ContextProjection.insightsTable)
            try cache.update(ArraySlice(level), needsBody: { _ in true }) { state in
                if state.removeInsight(textHash: hash) { try backfill(&state, scope: level, view: view) }
            }
        }
    }

    /// Refills a scope's top-K from its insight index after a removal.
    private func backfill(_ state: inout ScopeState, scope: [UInt8], view: ViewWriter) throws {
        var candidates: [ScopeState.Insight] = []
        let shown = Set(state.insights.map(\.textHash))
        try view.scan(prefix: scope + [0], table: ContextProjection.insightsTable) { key, value in
            guard key.count == scope.count + 9 else { return true }
            let hash = UInt64(bigEndian: key.loadUnaligned(fromByteOffset: scope.count + 1, as: UInt64.self))
            if shown.contains(hash) { return true }
            if let e = InsightIndex.Entry(Array(value)), !e.superseded {
                candidates.append(.init(id: e.id, textHash: hash, importance: e.importance, position: e.position,
                                        mentions: e.mentions, fragment: ArraySlice(e.fragment)))
            }
            return true
        }
        candidates.sort { $0.ranksBefore($1) }
        for c in candidates.prefix(topInsights - state.insights.count) { state.upsert(c, limit: topInsights) }
    }

    // MARK: Rendering

    private static let eventReserved: [[UInt8]] = ["position", "time", "kind", "scope"].map { Array($0.utf8) }
    private static let insightReserved: [[UInt8]] = ["id", "position", "time", "kind", "scope", "importance", "mentions", "supersedes"].map { Array($0.utf8) }

    func renderEvent(_ event: RecordedEvent, members: [JSONFragments.Member]?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96 + event.streamBytes.count + min(event.payload.count, ContextProjection.fragmentPayloadLimitBytes))
        renderEvent(event, members: members, into: &out)
        return out
    }

    /// Appends an event's fragment to `out`.
    func renderEvent(_ event: RecordedEvent, members: [JSONFragments.Member]?, into out: inout [UInt8]) {
        JSONFragments.appendRaw("{\"position\":", to: &out)
        JSONFragments.appendUInt(event.position, to: &out)
        JSONFragments.appendRaw(",\"time\":", to: &out)
        JSONFragments.appendTime(event.timeMicroseconds, to: &out)
        JSONFragments.appendRaw(",\"kind\":", to: &out)
        JSONFragments.appendString(event.kindBytes, to: &out)
        JSONFragments.appendRaw(",\"scope\":", to: &out)
        JSONFragments.appendString(event.streamBytes, to: &out)
        appendPayload(event.payload, members: members, reserved: ContextProjection.eventReserved, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    func renderInsight(_ event: RecordedEvent, members: [JSONFragments.Member]?, id: EventID, importance: Double, mentions: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + event.streamBytes.count + min(event.payload.count, ContextProjection.fragmentPayloadLimitBytes))
        JSONFragments.appendRaw("{\"id\":", to: &out)
        JSONFragments.appendString(id.description, to: &out)
        JSONFragments.appendRaw(",\"position\":", to: &out)
        JSONFragments.appendUInt(event.position, to: &out)
        JSONFragments.appendRaw(",\"time\":", to: &out)
        JSONFragments.appendTime(event.timeMicroseconds, to: &out)
        JSONFragments.appendRaw(",\"scope\":", to: &out)
        JSONFragments.appendString(event.streamBytes, to: &out)
        JSONFragments.appendRaw(",\"importance\":", to: &out)
        JSONFragments.appendImportance(importance, to: &out)
        JSONFragments.appendRaw(",\"mentions\":", to: &out)
        JSONFragments.appendUInt(UInt64(mentions), to: &out)
        appendPayload(event.payload, members: members, reserved: ContextProjection.insightReserved, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Splices the payload's members (or a preview of a large payload) into a fragment.
    private func appendPayload(_ payload: ArraySlice<UInt8>, members: [JSONFragments.Member]?, reserved: [[UInt8]], to out: inout [UInt8]) {
        guard let members else {
            if payload.count <= ContextProjection.fragmentPayloadLimitBytes {
                JSONFragments.appendRaw(",\"payload\":", to: &out)
                out.append(contentsOf: payload)
            } else {
                JSONFragments.appendRaw(",\"truncated\":true", to: &out)
            }
            return
        }
        if payload.count <= ContextProjection.fragmentPayloadLimitBytes {
            for m in members where !reserved.contains(where: { payload[m.key].elementsEqual($0) }) {
                out.append(UInt8(ascii: ","))
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: payload[m.key])
                out.append(UInt8(ascii: "\""))
                out.append(UInt8(ascii: ":"))
                out.append(contentsOf: payload[m.value])
            }
            return
        }
        if let m = members.first(where: { payload[$0.key].elementsEqual("text".utf8) }),
           let text = JSONFragments.decodeString(payload[m.value]) {
            JSONFragments.appendRaw(",\"text\":", to: &out)
            JSONFragments.appendString(InsightText.prefix(text, maxBytes: ContextProjection.textPreviewBytes), to: &out)
        }
        JSONFragments.appendRaw(",\"truncated\":true", to: &out)
    }
}

/// The buffers a session's renderer thread fills, one per slice of a run: the fragments'
/// bytes end to end, and for each event the end of its fragment (-1: none rendered ahead).
/// Slice `s` is written by the renderer, then `ready[s]` is signalled, then it is read by the
/// applier until the next run: each buffer is used by one thread at a time, in that order,
/// hence `@unchecked Sendable`. Pointers, not arrays of arrays: an outer array's
/// copy-on-write check could copy it from under the other thread.
final class RenderAhead: @unchecked Sendable {
    let slices: Int
    let bytes: UnsafeMutablePointer<[UInt8]>
    let ends: UnsafeMutablePointer<[Int]>
    /// Per slice: the hashes of the levels of each rendered event's scope, in order.
    let hashes: UnsafeMutablePointer<[Int]>
    let ready: [DispatchSemaphore]

    init(slices: Int) {
        self.slices = slices
        bytes = .allocate(capacity: slices)
        bytes.initialize(repeating: [], count: slices)
        ends = .allocate(capacity: slices)
        ends.initialize(repeating: [], count: slices)
        hashes = .allocate(capacity: slices)
        hashes.initialize(repeating: [], count: slices)
        ready = (0..<slices).map { _ in DispatchSemaphore(value: 0) }
    }

    deinit {
        bytes.deinitialize(count: slices)
        bytes.deallocate()
        ends.deinitialize(count: slices)
        ends.deallocate()
        hashes.deinitialize(count: slices)
        hashes.deallocate()
    }
}

/// A run's events as the renderer reads them, while the applier's array keeps them alive.
struct UnsafeEvents: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<RecordedEvent>
}

/// The scope states one `apply` call has loaded and changed; each is encoded once at the end.
final class ScopeCache {
    /// A scope path as a `ScopeTable` key, hashed in one pass over its bytes (an
    /// `ArraySlice<UInt8>` fed to a hasher goes byte by byte). The hash is computed once,
    /// when the key is made or on the renderer's thread, picks the table slot, and is
    /// compared before the bytes.
    struct Key {
        let bytes: ArraySlice<UInt8>
        let hash: Int
        init(bytes: ArraySlice<UInt8>) {
            self.init(bytes: bytes, hash: Key.hash(bytes))
        }
        /// `hash` must be `Key.hash(bytes)`, computed earlier (on the renderer's thread).
        init(bytes: ArraySlice<UInt8>, hash: Int) {
            self.bytes = bytes
            self.hash = hash
        }
        static func hash(_ bytes: ArraySlice<UInt8>) -> Int {
            bytes.withUnsafeBufferPointer { hash($0) }
        }
        static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
            var hasher = Hasher()
            hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
            return hasher.finalize()
        }
    }

    let states = ScopeTable()
    /// The renderer's buffers, kept for the session's next run.
    var renderAhead: RenderAhead?
    let view: ViewWriter
    let viewName: String

    init(view: ViewWriter, viewName: String) {
        self.view = view
        self.viewName = viewName
    }

    /// Changes a scope's state in place (loading it on first use), so its
    /// arrays stay uniquely referenced and are not copied on every event.
    /// A scope is loaded from its head alone; `needsBody` says, before `body` runs, whether
    /// it needs the stored body too (a fold, an insight change), which is then read once.
    /// `scope` may be a slice of a larger buffer: a new entry keeps a copy of its bytes only.
    /// `needsBody` and `body` must not use this cache: the state is changed in place in the
    /// table, whose accesses Swift does not check at run time (`ScopeTable`).
    func update(_ scope: ArraySlice<UInt8>, needsBody: (ScopeState) -> Bool = { _ in false },
                _ body: (inout ScopeState) throws -> Void) throws {
        try update(Key(bytes: scope), needsBody: needsBody, body)
    }

    func update(_ probe: Key, needsBody: (ScopeState) -> Bool = { _ in false },
                _ body: (inout ScopeState) throws -> Void) throws {
        try probe.bytes.withUnsafeBufferPointer { try update($0, hash: probe.hash, needsBody: needsBody, body) }
    }

    /// `update` with the scope's bytes in place (a level of an event's stream, inside its
    /// record) and their `Key.hash`: a scope already in the table is found and changed
    /// without making a slice, whose reference would be retained and released.
    func update(_ scope: UnsafeBufferPointer<UInt8>, hash: Int, needsBody: (ScopeState) -> Bool,
                _ body: (inout ScopeState) throws -> Void) throws {
        if let i = states.index(of: scope, hash: hash) {
            try states.change(i) { try change(&$0, needsBody: needsBody, body) }
            return
        }
        var state = try loadHead(scope)
        try change(&state, needsBody: needsBody, body)
        states.insert(Key(bytes: state.scope, hash: hash), state)
    }

    /// One access to the state, in place: reading the stored state to pass it to `needsBody`
    /// copied the whole state (a retain and a release of each of its arrays) on every event.
    @inline(__always)
    private func change(_ state: inout ScopeState, needsBody: (ScopeState) -> Bool,
                        _ body: (inout ScopeState) throws -> Void) throws {
        if !state.bodyLoaded && needsBody(state) { try loadBody(into: &state) }
        try body(&state)
    }

    /// The scope's state from its stored head. One array holds a copy of the head and, after
    /// it, the scope's bytes, which the state keeps as a slice (one malloc instead of two).
    private func loadHead(_ key: UnsafeBufferPointer<UInt8>) throws -> ScopeState {
        var headLength = 0
        let bytes: [UInt8] = try view.withValue(UnsafeRawBufferPointer(key)) { head in
            let stored = head ?? UnsafeRawBufferPointer(start: nil, count: 0)
            headLength = head == nil ? -1 : stored.count
            return [UInt8](unsafeUninitializedCapacity: stored.count + key.count) { buffer, count in
                if !stored.isEmpty { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: stored) }
                if !key.isEmpty { UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[stored.count...]).copyMemory(from: UnsafeRawBufferPointer(key)) }
                count = stored.count + key.count
            }
        }
        let scope = bytes[max(headLength, 0)...]
        guard headLength >= 0 else {
            if try ScopeState.withBodyKey(scope, { key in try view.withValue(key) { $0 == nil } }) { return ScopeState(scope: scope) }
            throw corrupt(scope, "a body without a head")
        }
        do { return try ScopeState.decode(head: bytes, length: headLength, scope: scope) } catch let e as ByteReader.Failure {
            throw corrupt(scope, e.reason)
        }
    }

    private func loadBody(into state: inout ScopeState) throws {
        guard let body = try ScopeState.withBodyKey(state.scope, { key in try view.withValue(key) { $0.map { [UInt8]($0) } } }) else {
            state.bodyLoaded = true  // never folded and no insights yet: nothing stored
            return
        }
        do { try state.decodeBody(body) } catch let e as ByteReader.Failure {
            throw corrupt(state.scope, e.reason)
        }
    }

    private func corrupt(_ scope: ArraySlice<UInt8>, _ reason: String) -> StoreError {
        .corruptView(view: viewName, key: String(decoding: scope, as: UTF8.self), reason: reason)
    }
}

/// The per-scope insight index (`view:context/insights`) and id table (`view:context/insight-ids`).
enum InsightIndex {
    /// scope + 0x00 + text hash (big-endian): one entry per distinct insight text per scope.
    static func key(scope: [UInt8], hash: UInt64) -> [UInt8] {
        var k = scope
        k.append(0)
        withUnsafeBytes(of: hash.bigEndian) { k.append(contentsOf: $0) }
        return k
    }

    /// id → text hash (u64 LE) + scope, so `supersedes` can find an insight.
    static func idValue(hash: UInt64, scope: ArraySlice<UInt8>) -> [UInt8] {
        var v: [UInt8] = []
        put64(hash, &v)
        v.append(contentsOf: scope)
        return v
    }

    static func parseIDValue(_ raw: [UInt8]) -> (UInt64, [UInt8])? {
        guard raw.count > 8 else { return nil }
        let hash = raw.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        return (hash, Array(raw[8...]))
    }

    /// id (16) + importance bits (u64) + latest position (u64) + mentions (u32) + superseded (u8) + fragment.
    struct Entry {
        var id: EventID
        var importance: Double
        var position: UInt64
        var mentions: UInt32
        var superseded: Bool
        var fragment: [UInt8]

        init(id: EventID, importance: Double, position: UInt64, mentions: UInt32, superseded: Bool, fragment: [UInt8]) {
            self.id = id
            self.importance = importance
            self.position = position
            self.mentions = mentions
            self.superseded = superseded
            self.fragment = fragment
        }

        init?(_ raw: [UInt8]) {
            var r = ByteReader(bytes: raw)
            guard let hi = try? r.u64(), let lo = try? r.u64(), let imp = try? r.u64(), let pos = try? r.u64(),
                  let mentions = try? r.u32(), let sup = try? r.u8() else { return nil }
            self.init(id: EventID(high: hi, low: lo), importance: Double(bitPattern: imp), position: pos,
                      mentions: mentions, superseded: sup != 0, fragment: Array(raw[r.offset...]))
        }

        var encoded: [UInt8] {
            var v: [UInt8] = []
            v.reserveCapacity(37 + fragment.count)
            put64(id.high, &v)
            put64(id.low, &v)
            put64(importance.bitPattern, &v)
            put64(position, &v)
            put32(mentions, &v)
            v.append(superseded ? 1 : 0)
            v.append(contentsOf: fragment)
            return v
        }
    }
}

/// How insight texts are compared for merging.
public enum InsightText {
    /// Lower-cased, whitespace runs collapsed to one space, trimmed, trailing `.!?` dropped.
    public static func normalize(_ text: String) -> String {
        var out = ""
        var pendingSpace = false
        for ch in text.lowercased() {
            if ch.isWhitespace {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.append(" "); pendingSpace = false }
            out.append(ch)
        }
        while let last = out.last, last == "." || last == "!" || last == "?" { out.removeLast() }
        return out
    }

    /// FNV-1a 64 of the normalised text.
    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in normalize(text).utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }

    /// At most `maxBytes` of `text`, cut on a character boundary, with "…" when cut.
    static func prefix(_ text: String, maxBytes: Int) -> String {
        if text.utf8.count <= maxBytes { return text }
        var out = ""
        var used = 0
        for ch in text {
            let n = ch.utf8.count
            if used + n > maxBytes - 3 { break }
            out.append(ch)
            used += n
        }
        return out + "…"
    }
}
