/// The configuration as the swarm view keeps it (main table, key `config`).
extension SwarmConfiguration: ViewRecord {
    func encode(into w: inout ViewBytesWriter) {
        w.u8(1)
        for v in [alpha, beta, rho, deposit, trailMinimum, trailMaximum, trailInitial, referenceDurationMilliseconds] { w.f64(v) }
        w.i64(timeUnitMicroseconds)
        w.i64(heartbeatTimeoutMicroseconds)
    }

    init(from r: inout ViewBytesReader) throws {
        _ = try r.u8()
        self.init(alpha: try r.f64(), beta: try r.f64(), rho: try r.f64(), deposit: try r.f64(),
                  trailMinimum: try r.f64(), trailMaximum: try r.f64(), trailInitial: try r.f64())
        referenceDurationMilliseconds = try r.f64()
        timeUnitMicroseconds = try r.i64()
        heartbeatTimeoutMicroseconds = try r.i64()
    }

    /// The payload of a `swarm.configured` event.
    var payload: [UInt8] {
        var p = PayloadWriter()
        p.number("alpha", alpha)
        p.number("beta", beta)
        p.number("rho", rho)
        p.number("deposit", deposit)
        p.number("trailMinimum", trailMinimum)
        p.number("trailMaximum", trailMaximum)
        p.number("trailInitial", trailInitial)
        p.integer("timeUnitMicroseconds", timeUnitMicroseconds)
        p.integer("heartbeatTimeoutMicroseconds", heartbeatTimeoutMicroseconds)
        p.number("referenceDurationMilliseconds", referenceDurationMilliseconds)
        return p.finished()
    }

    /// Reads a `swarm.configured` payload; members left out keep their defaults. `nil` if the
    /// result is out of range (the projection then keeps the previous configuration).
    init?(payload: PayloadReader) {
        var c = SwarmConfiguration()
        c.alpha = payload.number("alpha") ?? c.alpha
        c.beta = payload.number("beta") ?? c.beta
        c.rho = payload.number("rho") ?? c.rho
        c.deposit = payload.number("deposit") ?? c.deposit
        c.trailMinimum = payload.number("trailMinimum") ?? c.trailMinimum
        c.trailMaximum = payload.number("trailMaximum") ?? c.trailMaximum
        c.trailInitial = payload.number("trailInitial") ?? c.trailInitial
        c.timeUnitMicroseconds = payload.integer("timeUnitMicroseconds") ?? c.timeUnitMicroseconds
        c.heartbeatTimeoutMicroseconds = payload.integer("heartbeatTimeoutMicroseconds") ?? c.heartbeatTimeoutMicroseconds
        c.referenceDurationMilliseconds = payload.number("referenceDurationMilliseconds") ?? c.referenceDurationMilliseconds
        guard (try? c.validate()) != nil else { return nil }
        self = c
    }
}
