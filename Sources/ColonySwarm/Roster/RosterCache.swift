import ColonyStore
import Synchronization

/// The decoded roster (agents and trails) a store handle keeps between decisions, so the read
/// side of a decision does not decode every agent record and look up every trail each time.
///
/// It is keyed by the swarm view's position (its checkpoint), read in the decision's own read
/// transaction:
/// - the view has not moved since the snapshot: the snapshot is used as it is;
/// - it moved: the events in between are read from the log in that transaction and only the
///   agent records they can have changed are read again (`RosterSnapshot.refresh`); when the
///   events are too many or not understood, every record is read again;
/// - the snapshot is ahead of the transaction (another decision, on a newer transaction, moved
///   it on): every record is read again.
///
/// So a decision sees exactly the view of its transaction, whoever wrote it (this handle, another
/// handle, another process); the snapshot never stands for a position it does not reflect. The
/// projection still re-checks capacity at commit. One per store handle (`ColonyStore.attachments`).
final class RosterCache: Sendable {
    private struct State {
        var snapshot: RosterSnapshot?
        var statistics = RosterStatistics()
    }

    private let state: Mutex<State>

    /// An empty cache, or (for tests) one holding `snapshot`.
    init(_ snapshot: RosterSnapshot? = nil) {
        state = Mutex(State(snapshot: snapshot))
    }

    /// How decisions found the roster so far: for tests and diagnostics.
    var statistics: RosterStatistics { state.withLock { $0.statistics } }

    /// The roster as the view is in `v`'s transaction, with the trails of the agents that could take
    /// a task of each (type, required) in `needs` at `now` read.
    func snapshot(_ v: SwarmViewReader, needs: [(type: String, required: [String])], now: Int64) throws -> RosterSnapshot {
        let position = try v.log.appliedPosition()
        return try state.withLock { state in
            // Taken out while it changes, so a refresh that throws or gives up leaves nothing half-done
            // behind, and so the arrays are uniquely held and change in place.
            var roster: RosterSnapshot
            if var current = state.snapshot.take(), current.position <= position {
                if current.position == position {
                    state.statistics.hits += 1
                } else if try current.refresh(to: position, v) {
                    state.statistics.refreshes += 1
                } else {
                    current = try RosterSnapshot.load(v, position: position)
                    state.statistics.loads += 1
                }
                roster = current
            } else {
                roster = try RosterSnapshot.load(v, position: position)
                state.statistics.loads += 1
            }
            try roster.readTrails(for: needs, now: now, v)
            state.snapshot = roster
            return roster
        }
    }
}

/// Counts of how `RosterCache` served decisions.
package struct RosterStatistics: Sendable, Equatable {
    /// The view had not moved: the snapshot as it was.
    package var hits = 0
    /// Brought forward from the events since the snapshot.
    package var refreshes = 0
    /// Every agent record read (the first time, or when a refresh could not be done).
    package var loads = 0
}

extension ColonyStore {
    /// This handle's roster cache.
    var rosterCache: RosterCache { attachments.object { RosterCache() } }

    /// Statistics of this handle's roster cache (see `RosterCache`).
    package var rosterStatistics: RosterStatistics { rosterCache.statistics }
}
