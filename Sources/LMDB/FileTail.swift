import CLMDB
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Keeps `data.mdb` extended ahead of LMDB's last page with zero pages that the page cache
/// holds in 4 KB folios.
///
/// Why: Linux (6.x, ext4 and XFS among others) caches a file in folios of up to 2 MB, and
/// picks a folio's size from the length of the write or read-ahead that brought it in.
/// LMDB extends the file by writing runs of new pages with one `pwritev` (a 256 KB folio for
/// 64 pages), and writeback always writes a dirty folio whole. Once those pages are freed
/// and reused one at a time, every 4 KB page a commit rewrites makes `fdatasync` write its
/// whole folio: on this machine a 1,000-event batch wrote 70 MB to the disk for 7.3 MB of
/// `pwrite` (`/proc/PID/io` write_bytes against wchar, docs/PERFORMANCE.md). Pages that
/// are already cached in 4 KB folios when LMDB writes them stay so, and are written as they are.
///
/// How: the new range is allocated with `posix_fallocate` (blocks reserved as unwritten
/// extents, no data written), then read 4 KB at a time through a descriptor advised
/// `POSIX_FADV_RANDOM`, which brings each page in as a clean 4 KB folio of zeros without
/// reading the disk. Nothing is dirtied, so the commit's `fdatasync` has no zeros to flush.
/// Where `posix_fallocate` fails, the zero pages are written, 4 KB per `pwrite`.
///
/// Safety: the file is extended only at or past its end, and only inside a write
/// transaction (this process holds LMDB's writer lock), just before its commit. Every page a
/// committed meta page refers to lies below the end of the file, and LMDB writes this
/// transaction's own pages at commit, over the zeros. A failure (a full disk) only stops
/// the extension; LMDB reports its own failure if the commit cannot be written.
///
/// Not thread-safe on its own: it is used only inside write transactions, which the
/// environment's `WriterGate` serialises.
final class FileTail: @unchecked Sendable {
    /// Pages kept ready past the last used page and the growth expected of a commit:
    /// between `floorPages` and `floorPages + stepPages` (1-5 MB).
    static let floorPages = 256
    static let stepPages = 1_024
    /// Pages added by one commit while the margin is being refilled.
    static let pagesPerCommit = 128
    /// The most growth of one commit that the margin follows (8 MB).
    static let maxGrowthPages = 2_048

    private var fd: Int32
    private let pageSize: Int
    /// The file's size as last seen (it only grows: LMDB never truncates it on Linux).
    private var knownSize = 0
    /// Whether the margin fell under its low-water mark and is being refilled.
    private var refilling = false
    /// The most pages one commit of this process added to the used part, decaying by an
    /// eighth per commit, so the margin follows bulk imports.
    private var largestGrowthPages = 0
    private let zeros: [UInt8]

    init?(dataFile: String, pageSize: Int) {
        let fd = open(dataFile, O_RDWR | O_CLOEXEC)
        guard fd >= 0, pageSize > 0, pageSize <= 65_536 else {
            if fd >= 0 { Glibc.close(fd) }
            return nil
        }
        self.fd = fd
        self.pageSize = pageSize
        self.zeros = [UInt8](repeating: 0, count: pageSize)
        // Reads through this descriptor bring in what they ask for and no more (the
        // advice is per open file, so LMDB's own descriptor and map are not affected).
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM)
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
    ///
    /// Once the margin falls under its low-water mark, it is refilled a little per commit (at
    /// most `pagesPerCommit`, about 0.5 ms of work) until it holds `stepPages` more, so no
    /// single commit pays for megabytes, unless the pages this commit may add (twice the
    /// largest recent growth) are not ready yet. A failed extension stops the refill until
    /// the margin falls under its mark again.
    func prepare(lastPage: Int) {
        guard fd >= 0 else { return }
        let used = (lastPage + 1) * pageSize
        let growth = 2 * largestGrowthPages * pageSize
        let lowWater = used + growth + FileTail.floorPages * pageSize
        let desired = lowWater + FileTail.stepPages * pageSize
        if !refilling && knownSize >= lowWater { return }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return }
        knownSize = max(knownSize, Int(info.st_size))
        refilling = knownSize < desired
        if !refilling { return }
        let needed = used + growth + FileTail.pagesPerCommit * pageSize
        let target = min(desired, max(needed, knownSize + FileTail.pagesPerCommit * pageSize))
        let start = (knownSize + pageSize - 1) / pageSize * pageSize
        var offset = start
        if posix_fallocate(fd, off_t(start), off_t(target - start)) == 0 {
            var page = zeros
            page.withUnsafeMutableBytes { buffer in
                while offset < target {
                    let n = pread(fd, buffer.baseAddress, pageSize, off_t(offset))
                    if n != pageSize {
                        if n < 0 && errno == EINTR { continue }
                        break
                    }
                    offset += pageSize
                }
            }
            offset = target  // allocated, whether or not every page was read in
        } else {
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
        }
        knownSize = max(knownSize, offset)
        refilling = knownSize < desired && offset == target
    }

    /// Notes how many pages a commit of this process added.
    func committed(lastPageBefore: Int, lastPageAfter: Int) {
        // Capped, so one huge commit (a rebuild's) does not make the next one write
        // hundreds of MB of zeros: at most about 21 MB are kept ready.
        let grown = min(max(0, lastPageAfter - lastPageBefore), FileTail.maxGrowthPages)
        largestGrowthPages = max(grown, largestGrowthPages - largestGrowthPages / 8)
    }
}
