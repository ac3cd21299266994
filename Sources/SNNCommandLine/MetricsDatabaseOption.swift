import ArgumentParser

/// The metrics database a command writes or reads: `start`, `convert`, `query`, `status` and `report` name it
/// the same way, with the same default, so one `--db` follows a run through all of them.
public struct MetricsDatabaseOption: ParsableArguments {
    /// Where runs write by default.
    public static let defaultPath = "runs/metrics.sqlite"

    @Option(name: .customLong("db"), help: ArgumentHelp("Metrics database.", valueName: "path"))
    public var path = MetricsDatabaseOption.defaultPath

    public init() {}
}
