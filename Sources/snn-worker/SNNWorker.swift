import ArgumentParser
import Foundation
import SNNCluster
import SNNCommandLine
import SNNCore
import SNNModel

@main
struct SNNWorker: ParsableCommand {
    /// Switches OpenBLAS off a generic fallback core first (see `BLAS.selectCoreForThisCPU`).
    static func main() {
        BLAS.selectCoreForThisCPU()
        mainWithOneLineErrors()
    }

    static let configuration = CommandConfiguration(
        commandName: "snn-worker",
        abstract: "Run an snn-cluster worker: compute micro-batches for a coordinator.",
        subcommands: [Join.self])
}

struct Join: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the coordinator at ADDRESS and compute until the run is over.",
        discussion: """
        The worker builds the model from the coordinator's run spec, checks that its dataset and build match the \
        coordinator's (a mismatch is refused with the reason), then pulls micro-batches: one per thread at a time (--threads). Give the coordinator's --limit, if any. \
        If the coordinator goes silent (restart, --resume) the worker reconnects by itself. The same command serves an \
        ECC conversion (`snn-coord convert --workers N`): the coordinator's spec says which.
        Example: snn-worker join tcp://10.0.0.1:5555 --threads 16 --key worker.key --server-key coord.key.pub
        """)

    @Argument(help: ArgumentHelp("The coordinator's address: tcp://HOST:PORT, or ipc:///PATH (a Unix socket) for a coordinator on this machine.", valueName: "tcp://host:port"))
    var address: String

    /// One micro-batch per thread is computed at once.
    @OptionGroup var compute: ThreadsOption

    /// `--limit` must match the coordinator's (the dataset fingerprint covers it).
    @OptionGroup(title: "Data") var dataset: DatasetOptions

    @Option(name: .long, help: ArgumentHelp("Name shown by `snn-coord status` (default: the host name).", valueName: "name"))
    var name: String?

    @Option(name: .long, help: ArgumentHelp("This worker's CURVE key pair file (from `snn-coord keygen`).", valueName: "file"))
    var key: String?

    @Option(name: .long, help: ArgumentHelp("The coordinator's public key file (KEY.pub).", valueName: "file"))
    var serverKey: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Exit when no coordinator has answered for this many seconds (default: keep trying).", valueName: "s"))
    var giveUpAfter: Int?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Test samples whose spikes are sent at each evaluation (SPIKES; 0 = none).", valueName: "n"))
    var rasterSamples = 8

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Micro-batches to hold beyond --threads, so the next one is already here when a thread frees (default: 0). Pays when this worker takes several micro-batches per step; with several workers and few micro-batches per step it can leave the others idle.",
        valueName: "n"))
    var prefetch = 0

    @Flag(name: .long, help: "Print only warnings and errors.")
    var quiet = false

    /// Set by `snn-coord start --local-workers`: exit when that coordinator process is gone.
    @Option(name: .long, help: .hidden)
    var exitWithParent: Int32?

    func validate() throws {
        if let g = giveUpAfter, g < 1 { throw ValidationError("--give-up-after must be ≥ 1 second") }
        if prefetch < 0 || prefetch > 64 { throw ValidationError("--prefetch must be 0...64 (got \(prefetch))") }
        if rasterSamples < 0 || rasterSamples > 1024 { throw ValidationError("--raster-samples must be 0...1024") }
        if (key == nil) != (serverKey == nil) { throw ValidationError("--key and --server-key go together") }
        if !address.hasPrefix("tcp://") && !address.hasPrefix("ipc://") { throw ValidationError("ADDRESS must look like tcp://HOST:PORT (or ipc:///PATH for a coordinator's Unix socket on this machine)") }
    }

    func run() throws {
        Runtime.configure()
        do {
            var o = WorkerOptions(address: address, threads: compute.resolved,
                                  dataDirectory: dataset.data, name: name ?? ProcessInfo.processInfo.hostName)
            o.limit = dataset.limit
            o.quiet = quiet
            o.rasterSamples = rasterSamples
            o.giveUpAfter = giveUpAfter.map { .seconds($0) }
            o.parentPID = exitWithParent
            o.prefetch = prefetch
            if let key, let serverKey {
                let pair = try CurveKeyPair.load(path: key)
                let server = try String(contentsOfFile: serverKey, encoding: .utf8)
                    .split(whereSeparator: \.isNewline).map { $0.hasPrefix("public=") ? String($0.dropFirst(7)) : String($0) }
                    .first { !$0.isEmpty }
                guard let server else { throw SetupError("\(serverKey): no public key in it") }
                o.curve = (server, pair)
            }
            try WorkerClient(options: o).run()
            // The client (and its socket, flushed within its linger) is gone here, but a micro-batch of a run that
            // was stopped mid-step may still be computing on another thread: leave without running the process's
            // global destructors under it (a worker told BYE mid-compute crashed with SIGSEGV at exit).
            fflush(nil)
            _exit(0)
        } catch {
            FileHandle.standardError.write("snn-worker: \(error)\n".data(using: .utf8)!)
            throw ExitCode.failure
        }
    }
}
