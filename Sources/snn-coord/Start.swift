import ArgumentParser
import Foundation
import SNNCluster
import SNNCommandLine
import SNNCore
import SNNModel

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a training run (standalone, or as the coordinator of a cluster).",
        discussion: """
        With --standalone the run trains on this machine's cores without workers. Otherwise the coordinator binds \
        --bind and waits for --min-workers workers (start them with `snn-worker join`, or let --local-workers N \
        start N on this machine, joining over a private Unix socket (--local-transport); --threads then applies to --standalone only). Progress goes to standard error; the final summary (test accuracy, SHA-256 of the \
        parameters) to standard output. Metrics go to --db; `snn-coord query` reads them at any time.
        """)

    @Option(name: .long, help: ArgumentHelp("Run spec (JSON). See cluster/runs/README.md.", valueName: "file"))
    var spec: String?

    @Flag(name: .long, help: "Train on this machine without workers.")
    var standalone = false

    @Option(name: .long, help: ArgumentHelp("Address to listen on for workers.", valueName: "tcp://addr:port"))
    var bind = "tcp://127.0.0.1:5555"

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Start N worker processes on this machine.", valueName: "n"))
    var localWorkers: Int = 0

    @Option(name: .long, help: LocalTransport.help)
    var localTransport: LocalTransport = .ipc

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Workers that must join before training starts.", valueName: "n"))
    var minWorkers: Int = 1

    @Option(name: .long, help: ArgumentHelp("Continue a run from its last checkpoint (a run id or a checkpoint file).", valueName: "run"))
    var resume: String?

    @Option(name: .long, help: ArgumentHelp("Override the spec's seed.", valueName: "s"))
    var seed: UInt64?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Override the spec's number of epochs.", valueName: "n"))
    var epochs: Int?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Stop after N committed steps (tests, quick comparisons).", valueName: "n"))
    var maxSteps: Int?

    @OptionGroup(title: "Data") var dataset: DatasetOptions

    /// Threads of `--standalone` (a coordinator's workers choose their own with `snn-worker join --threads`).
    @OptionGroup var compute: ThreadsOption

    @OptionGroup var database: MetricsDatabaseOption

    @Option(name: .long, help: ArgumentHelp("Where checkpoints go (default runs/RUN-ID).", valueName: "dir"))
    var checkpointDir: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Also checkpoint every N steps (always at each epoch's end).", valueName: "n"))
    var checkpointEvery: Int?

    @Flag(name: .long, help: "Allow binding a non-loopback address without CURVE encryption.")
    var insecure = false

    @Option(name: .long, help: ArgumentHelp("Coordinator CURVE key pair file (from `snn-coord keygen`).", valueName: "file"))
    var key: String?

    @Option(name: .long, help: ArgumentHelp("File of allowed worker public keys, one per line.", valueName: "file"))
    var allow: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Serve /metrics (Prometheus) and a live report page on this port, on --bind's host.", valueName: "port"))
    var metricsPort: Int?

    @Flag(name: .long, help: "Print only the summary.")
    var quiet = false

    var data: String { dataset.data }
    var limit: Int? { dataset.limit }
    var db: String { database.path }

    func validate() throws {
        try validateRanges()
        if spec == nil && resume == nil { throw ValidationError("give --spec FILE (or --resume RUN)") }
        if localWorkers < 0 { throw ValidationError("--local-workers must be ≥ 0") }
        if localWorkers == 0 && localTransport != .ipc {
            throw ValidationError("--local-transport says how --local-workers join; give --local-workers N too (workers you start join --bind)")
        }
        if minWorkers < 1 { throw ValidationError("--min-workers must be ≥ 1") }
        if let m = maxSteps, m < 1 { throw ValidationError("--max-steps must be ≥ 1") }
        if let e = epochs, e < 1 { throw ValidationError("--epochs must be ≥ 1") }
        if let p = metricsPort, !(0...65535).contains(p) { throw ValidationError("--metrics-port must be 0...65535") }
        if metricsPort != nil && standalone { throw ValidationError("--metrics-port serves a coordinator's run: drop --standalone") }
    }

    func run() throws {
        Runtime.configure()
        do {
            if standalone {
                try runStandalone()
            } else {
                try runCoordinator()
            }
        } catch let e as ExitCode {
            throw e
        } catch {
            FileHandle.standardError.write("snn-coord: \(error)\n".data(using: .utf8)!)
            throw ExitCode.failure
        }
    }
}
