/// What the swarm view keeps per (agent, task type) (table `trails`, key: agent 0 type):
/// the pheromone trail and the pair's completion counts.
struct TrailRecord: ViewRecord, Equatable {
    var trail: PheromoneTrail
    var successes: UInt64
    var failures: UInt64
    var totalDurationMilliseconds: Double

    init(trail: PheromoneTrail) {
        self.trail = trail
        successes = 0
        failures = 0
        totalDurationMilliseconds = 0
    }

    func encode(into w: inout ViewBytesWriter) {
        w.u8(1)
        w.f64(trail.strength)
        w.i64(trail.touchedMicroseconds)
        w.u64(successes)
        w.u64(failures)
        w.f64(totalDurationMilliseconds)
    }

    init(from r: inout ViewBytesReader) throws {
        _ = try r.u8()
        trail = PheromoneTrail(strength: try r.f64(), touchedMicroseconds: try r.i64())
        successes = try r.u64()
        failures = try r.u64()
        totalDurationMilliseconds = try r.f64()
    }
}
