/// The exit statuses of every `colony` command, one per class of failure, so
/// a script can tell "the store is corrupt" from "you pointed me at the wrong
/// directory". docs/cli.md has the same table.
enum ExitStatus {
    /// `colony verify` found a problem in the store.
    static let findings: Int32 = 1
    /// A value was invalid: a bad id, scope, time, or an event an append refused.
    static let invalidInput: Int32 = 2
    /// The store exists but could not be opened or read (LMDB or the file system failed).
    static let storageFailure: Int32 = 3
    /// The path is not a store: no such directory, no `data.mdb`, or not a Colony store.
    static let notAStore: Int32 = 4
    /// The store's format is newer than this build understands.
    static let newerFormat: Int32 = 5
    /// A destination (backup directory, export file) exists.
    static let destinationExists: Int32 = 6
    /// `colony import` refused lines of its input.
    static let badInputLines: Int32 = 7
    /// A corrupt record or index entry stopped the command (run `colony verify`).
    static let corruptStore: Int32 = 8
    /// Usage: an unknown option, a missing argument (swift-argument-parser's status).
    static let usage: Int32 = 64
    /// The input file could not be read.
    static let cannotReadInput: Int32 = 66
    /// The output could not be written.
    static let cannotWriteOutput: Int32 = 74
    /// A retryable condition (the write queue was full); try again.
    static let retryable: Int32 = 75

    /// The table for `--help` discussions.
    static let table = """
        Exit status: 0 success; 1 verify found problems; 2 invalid value; 3 the store could \
        not be opened or read; 4 not a store (missing directory, no data.mdb, not Colony's); \
        5 store format newer than this build; 6 destination exists; 7 bad lines in an import; \
        8 a corrupt record stopped the command; 64 usage (unknown option, missing argument); \
        66 cannot read the input file; 74 cannot write the output; 75 busy, retry.
        """
}
