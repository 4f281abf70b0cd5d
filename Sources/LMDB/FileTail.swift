import CLMDB
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Keeps `data.mdb` extended ahead of LMDB's last page with zero pages, each written by a
/// 4 KB `pwrite`, so the page cache holds the file in 4 KB folios.
///
/// Why: Linux (6.x, ext4 and XFS among others) caches a file in folios of up to 2 MB, and
/// picks a folio's size from the length of the write or read-ahead that brought it in.
/// LMDB extends the file by writing runs of new pages with one `pwritev` (a 256 KB folio for
/// 64 pages), and writeback always writes a dirty folio whole. Once those pages are freed
/// and reused one at a time, every 4 KB page a commit rewrites makes `fdatasync` write its
/// whole folio: on this machine a 1,000-event batch wrote 70 MB to the disk for 7.3 MB of
/// `pwrite` (`/proc/PID/io` write_bytes against wchar, docs/PERFORMANCE.md). Pages that
/// first came into the cache through a 4 KB write stay 4 KB folios, and writes into them are
/// written as they are.
///
/// Safety: zeros are written only at or past the end of the file, and only inside a write
/// transaction (this process holds the writer lock), just before its commit. Every page a
/// committed meta page refers to lies below the end of the file, and LMDB writes this
/// transaction's own pages at commit, over the zeros. A failed `pwrite` (a full disk) only
/// stops the extension; LMDB reports its own failure if the commit cannot be written.
///
/// Not thread-safe on its own: it is used only inside write transactions, which the
/// environment's `WriterGate` serialises.
final class FileTail: @unchecked Sendable {
    /// Pages kept ready past the last used page, at least.
    static let floorPages = 256
    /// Pages added past the low-water mark in one extension (about 4 MB).
    static let stepPages = 1_024
    /// The most growth of one commit that the margin follows (8 MB).
    static let maxGrowthPages = 2_048

    private var fd: Int32
    private let pageSize: Int
    /// The file's size as last seen (it only grows: LMDB never truncates it on Linux).
    private var knownSize = 0
    /// The most pages one commit of this process added to the used part, decaying by an
    /// eighth per commit, so the margin follows bulk imports.
    private var largestGrowthPages = 0
    private let zeros: [UInt8]

    init?(dataFile: String, pageSize: Int) {
        let fd = open(dataFile, O_WRONLY | O_CLOEXEC)
        guard fd >= 0, pageSize > 0, pageSize <= 65_536 else {
            if fd >= 0 { Glibc.close(fd) }
            return nil
        }
        self.fd = fd
        self.pageSize = pageSize
        self.zeros = [UInt8](repeating: 0, count: pageSize)
    }

    deinit { close() }

    /// Closes the descriptor (a file open for writing keeps its file system from being
    /// remounted read-only); `prepare` does nothing afterwards.
    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Extends the file if fewer than the margin's pages lie past `lastPage`, the last page
    /// of the last commit. Call only inside a write transaction, before its commit.
    func prepare(lastPage: Int) {
        guard fd >= 0 else { return }
        let used = (lastPage + 1) * pageSize
        let lowWater = used + (FileTail.floorPages + 2 * largestGrowthPages) * pageSize
        if knownSize >= lowWater { return }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return }
        knownSize = max(knownSize, Int(info.st_size))
        if knownSize >= lowWater { return }
        let target = lowWater + FileTail.stepPages * pageSize
        var offset = (knownSize + pageSize - 1) / pageSize * pageSize
        zeros.withUnsafeBytes { page in
            while offset < target {
                let n = pwrite(fd, page.baseAddress, pageSize, off_t(offset))
                if n != pageSize {
                    if n < 0 && errno == EINTR { continue }
                    break
                }
                offset += pageSize
            }
        }
        knownSize = max(knownSize, offset)
    }

    /// Notes how many pages a commit of this process added.
    func committed(lastPageBefore: Int, lastPageAfter: Int) {
        // Capped, so one huge commit (a rebuild's) does not make the next one write
        // hundreds of MB of zeros: at most about 21 MB are kept ready.
        let grown = min(max(0, lastPageAfter - lastPageBefore), FileTail.maxGrowthPages)
        largestGrowthPages = max(grown, largestGrowthPages - largestGrowthPages / 8)
    }
}
