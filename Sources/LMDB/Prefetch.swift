import CLMDB

/// Memory hints for values read out of the map.
public enum MapMemory {
    /// Starts loading `bytes` into the CPU caches without waiting for them. A reader
    /// that will copy several values out of the map (each a few pages of a large,
    /// mostly uncached file) prefetches them all first, so their cache and TLB misses
    /// overlap instead of coming one after the other.
    @inline(__always)
    public static func prefetch(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        colony_prefetch(base, bytes.count)
    }
}
