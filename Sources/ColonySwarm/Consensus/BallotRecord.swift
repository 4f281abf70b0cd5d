/// One eligible voter of a proposal (table `ballots`, key: proposal 0 agent): its weight,
/// fixed when the proposal opened, and its current vote.
struct BallotRecord: ViewRecord, Equatable {
    /// Success rate × 1,000,000 when the proposal opened.
    var weight: UInt64
    /// The option voted for, -1 before voting.
    var option: Int32
    var castMicroseconds: Int64

    init(weight: UInt64) {
        self.weight = weight
        option = -1
        castMicroseconds = 0
    }

    func encode(into w: inout ViewBytesWriter) {
        w.u64(weight)
        w.u32(UInt32(bitPattern: option))
        w.i64(castMicroseconds)
    }

    init(from r: inout ViewBytesReader) throws {
        weight = try r.u64()
        option = Int32(bitPattern: try r.u32())
        castMicroseconds = try r.i64()
    }
}
