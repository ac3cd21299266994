import ArgumentParser
import SNNModel

/// Where the Fashion-MNIST IDX files are and how much of them a command reads: the same two options, with the
/// same names, checks and defaults, for every command that loads data (`start`, `convert`, `ttfs-report`,
/// `snn-worker join`). A coordinator and its workers must be given the same `--limit`: the dataset fingerprint
/// covers it, and a mismatch is refused at join.
public struct DatasetOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Directory holding the IDX files.", valueName: "dir"))
    public var data = IDXDataset.defaultDirectory

    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Use only the first N images of each split (train and test).", valueName: "n"))
    public var limit: Int?

    public init() {}

    public func validate() throws {
        if let l = limit, l < 1 { throw ValidationError("--limit must be ≥ 1 (got \(l))") }
    }
}
