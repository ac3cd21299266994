import ArgumentParser
import Foundation
import SNNCore

/// How many cores a command computes on (`start --standalone`, `convert`, `snn-worker join`, where it is also the
/// number of micro-batches in flight at once). Absent: every core the process may use.
public struct ThreadsOption: ParsableArguments {
    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Threads to compute on (default: all cores).", valueName: "n"))
    public var threads: Int?

    public init() {}

    /// `--threads`, or the cores this process may use (`AvailableCores`: affinity mask and cgroup quota).
    public var resolved: Int { threads ?? AvailableCores.count }

    public func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be ≥ 1 (got \(t))") }
    }
}
