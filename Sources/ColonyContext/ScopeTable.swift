/// The decoded states of the scopes a projection session touched, by scope path.
///
/// A hash table of its own rather than a `Dictionary`, for the two costs a dictionary
/// kept in a class property adds to every event at every scope level:
/// - a probe hashes the key again: `Dictionary` feeds `Key.hash` through a seeded
///   `Hasher` and finalises it, although the key carries SipHash of its bytes already
///   (computed on the renderer's thread in a rebuild); here that hash picks the slot;
/// - each access to a class's stored property is checked for exclusivity at run time
///   (`swift_beginAccess`, a thread-local access set): the table's arrays live behind
///   one unsafe pointer, which Swift does not check.
///
/// Together those were about a tenth of a rebuild's applying thread (callgrind). A probe
/// compares the table's own copy of the keys' bytes (`Span`) with the probe's bytes in place,
/// so looking a scope up retains and releases nothing: probing with slices of the event and
/// comparing the keys' slices was most of the 14 reference-count operations per event that
/// the context projection's `apply` did in a rebuild (callgrind), each an atomic instruction.
/// Linear probing, at most half full; entries stay in insertion order; nothing is removed
/// except by `removeAll`, so a slot is empty or holds an entry's index for good.
final class ScopeTable {
    private struct Storage {
        /// `entry index + 1` per slot, 0 for empty; the count is a power of two.
        var slots: [Int32] = Array(repeating: 0, count: 16)
        var states: [ScopeState] = []
        /// Each entry's hash and where its key's bytes are in `keyBytes` (each state's `scope`
        /// holds the same bytes, as a slice: comparing those would retain and release it).
        var spans: [Span] = []
        var keyBytes: [UInt8] = []
    }

    private struct Span {
        var hash: Int
        var start: Int
        var count: Int
    }

    private let storage: UnsafeMutablePointer<Storage>

    init() {
        storage = .allocate(capacity: 1)
        storage.initialize(to: Storage())
    }

    deinit {
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    var isEmpty: Bool { storage.pointee.spans.isEmpty }
    var count: Int { storage.pointee.spans.count }

    /// The entry for `key`, if it has one.
    func index(of key: ScopeCache.Key) -> Int? {
        key.bytes.withUnsafeBufferPointer { index(of: $0, hash: key.hash) }
    }

    /// The entry whose key has these bytes; `hash` must be `ScopeCache.Key.hash` of them.
    func index(of bytes: UnsafeBufferPointer<UInt8>, hash: Int) -> Int? {
        let s = storage
        let mask = s.pointee.slots.count - 1
        var slot = hash & mask
        while true {
            let entry = Int(s.pointee.slots[slot]) - 1
            if entry < 0 { return nil }
            let span = s.pointee.spans[entry]
            if span.hash == hash && span.count == bytes.count && s.pointee.keyBytes.withUnsafeBufferPointer({
                ScopeState.same(UnsafeBufferPointer(rebasing: $0[span.start..<(span.start + span.count)]), bytes)
            }) {
                return entry
            }
            slot = (slot + 1) & mask
        }
    }

    /// Changes the state of entry `index` in place.
    @inline(__always)
    func change<R>(_ index: Int, _ body: (inout ScopeState) throws -> R) rethrows -> R {
        try body(&storage.pointee.states[index])
    }

    /// Adds `key`, which has no entry yet, with its state (whose `scope` is `key.bytes`).
    func insert(_ key: ScopeCache.Key, _ state: ScopeState) {
        if (count + 1) * 2 > storage.pointee.slots.count { rehash(slots: storage.pointee.slots.count * 2) }
        storage.pointee.states.append(state)
        storage.pointee.spans.append(Span(hash: key.hash, start: storage.pointee.keyBytes.count, count: key.bytes.count))
        storage.pointee.keyBytes.append(contentsOf: key.bytes)
        place(key.hash, entry: count - 1)
    }

    /// Room for `entries` without regrowing.
    func reserveCapacity(_ entries: Int) {
        storage.pointee.states.reserveCapacity(entries)
        storage.pointee.spans.reserveCapacity(entries)
        storage.pointee.keyBytes.reserveCapacity(entries * 24)  // a scope path's typical length, so it grows once if at all
        var slots = storage.pointee.slots.count
        while slots < entries * 2 { slots *= 2 }
        if slots > storage.pointee.slots.count { rehash(slots: slots) }
    }

    /// Calls `body` with each entry's state (its key is the state's `scope`), in the order they were added.
    func forEach(_ body: (ScopeState) throws -> Void) rethrows {
        for i in 0..<count { try body(storage.pointee.states[i]) }
    }

    /// Removes every entry; keeps the capacity.
    func removeAll() {
        storage.pointee.states.removeAll(keepingCapacity: true)
        storage.pointee.spans.removeAll(keepingCapacity: true)
        storage.pointee.keyBytes.removeAll(keepingCapacity: true)
        storage.pointee.slots.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    private func rehash(slots: Int) {
        storage.pointee.slots = Array(repeating: 0, count: slots)
        for i in 0..<count { place(storage.pointee.spans[i].hash, entry: i) }
    }

    private func place(_ hash: Int, entry: Int) {
        let s = storage
        let mask = s.pointee.slots.count - 1
        var slot = hash & mask
        while s.pointee.slots[slot] != 0 { slot = (slot + 1) & mask }
        s.pointee.slots[slot] = Int32(entry + 1)
    }
}
