import ArgumentParser
import Foundation
import SNNCluster
import SNNCommandLine
import SNNCore
import SNNEnergy
import SNNMethods
import SNNModel

/// `snn-coord convert`: ECC conversion of a trained CNN to a spiking network and the T sweep (METHODS §4).
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a trained CNN to a spiking network (ECC) and sweep the number of time steps.",
        discussion: """
        The CNN comes from an `ann` run (its checkpoint or run id) or a Keras model. Batch norm is folded with the \
        training ε, λ is the exact maximum activation over the whole training set, and the SNN is evaluated in closed \
        form and as a time-stepped IF simulation. The table is stored in the metrics database (`snn-coord query \
        --conversion latest` shows it again). With --workers N (workers started with `snn-worker join`) or \
        --local-workers N, λ and both inference forms run sharded over the workers as micro-batches, with the same \
        results as in this process.
          snn-coord convert --from runs/ann-fmnist-wide-…/checkpoint.ckpt --timesteps 16,32,64,128,256
          snn-coord convert --from model.keras --local-workers 2
        """)

    @Option(name: .long, help: ArgumentHelp("An ann run's checkpoint file or run id, or a Keras .keras/.h5 model.", valueName: "source"))
    var from: String

    @Option(name: .long, help: ArgumentHelp("Comma-separated time-step counts T.", valueName: "list"))
    var timesteps = "16,32,64,128,256"

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Residual-elimination threshold h (METHODS §4.2).", valueName: "h"))
    var thresholding: Float = 0.5

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Signed-bit weight quantisation (0 = float weights).", valueName: "k"))
    var bits = 0

    @Option(name: .long, help: ArgumentHelp("Energy profiles, comma-separated.", valueName: "names"))
    var profile = "cmos45-fp32,loihi2018"

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Time-stepped simulation on the first N test images (default all; 0 = closed form only).", valueName: "n"))
    var simulate: Int?

    @OptionGroup(title: "Data") var dataset: DatasetOptions

    @OptionGroup var compute: ThreadsOption

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Run sharded over N workers that join --bind (`snn-worker join ADDRESS`).", valueName: "n"))
    var workers: Int?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Run sharded over N worker processes started on this machine.", valueName: "n"))
    var localWorkers: Int?

    @Option(name: .long, help: LocalTransport.help)
    var localTransport: LocalTransport = .ipc

    @Option(name: .long, help: ArgumentHelp("Address the workers join (default tcp://127.0.0.1:5555; a free port with --local-workers).", valueName: "tcp://addr:port"))
    var bind: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Give up when the workers have not joined (or all were lost) for this many seconds.", valueName: "s"))
    var joinTimeout = 60

    @Option(name: .long, help: ArgumentHelp("Where to store the converted model (default: runs/ecc-<source>.snn).", valueName: "path"))
    var out: String?

    @OptionGroup var database: MetricsDatabaseOption

    @Flag(name: .long, help: "Print only the table.")
    var quiet = false

    func validate() throws {
        if let n = simulate, n < 0 { throw ValidationError("--simulate must be ≥ 0 (0 = closed form only)") }
        if let n = workers, n < 1 { throw ValidationError("--workers must be ≥ 1") }
        if let n = localWorkers, n < 1 { throw ValidationError("--local-workers must be ≥ 1") }
        if workers != nil && localWorkers != nil { throw ValidationError("give --workers N (workers you start) or --local-workers N, not both") }
        if compute.threads != nil && (workers != nil || localWorkers != nil) {
            throw ValidationError("--threads is for the in-process path; with workers, give each `snn-worker join` its --threads (local workers share the cores)")
        }
        if bind != nil && workers == nil && localWorkers == nil { throw ValidationError("--bind needs --workers N or --local-workers N") }
        if localWorkers == nil && localTransport != .ipc {
            throw ValidationError("--local-transport says how --local-workers join; give --local-workers N too (workers you start join --bind)")
        }
        if joinTimeout < 1 { throw ValidationError("--join-timeout must be ≥ 1 second") }
        if let b = bind, !CoordinatorOptions.isLoopback(b) {
            throw ValidationError("--bind \(b): convert listens on loopback only (tcp://127.0.0.1:PORT); its workers run unencrypted")
        }
    }

    func run() throws {
        do {
            let ts = timesteps.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !ts.isEmpty, ts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw SetupError("--timesteps \(timesteps): give positive integers separated by commas, e.g. 16,32,64")
            }
            guard thresholding.isFinite, thresholding >= 0, thresholding < 1 else { throw SetupError("--thresholding \(thresholding): must be in [0, 1)") }
            guard bits >= 0, bits <= 16 else { throw SetupError("--bits \(bits): must be 0 (float) to 16") }
            let catalog = try ProfileCatalog.load()
            let profiles = try profile.split(separator: ",").map { try catalog.profile(named: String($0)) }
            let (cnn, source) = try loadCNN()
            let train = try IDXDataset.load(directory: dataset.data, split: .train, limit: dataset.limit)
            let test = try IDXDataset.load(directory: dataset.data, split: .test, limit: dataset.limit)
            guard train.pixelsPerImage == cnn.inputCount else {
                throw SetupError("--from \(from): the model takes \(cnn.inputShape) inputs but \(dataset.data) holds \(train.rows)x\(train.columns) images")
            }
            let name = ((from as NSString).lastPathComponent as NSString).deletingPathExtension
            var rows: [ConversionRecord] = []
            var sweep: ECCSweep
            if let n = workers ?? localWorkers {
                // Sharded over workers: a conversion coordinator on --bind (ConversionServer).
                var o = ConversionServerOptions(bind: bind ?? (localWorkers != nil ? "tcp://127.0.0.1:0" : "tcp://127.0.0.1:5555"), workers: n)
                o.joinTimeout = .seconds(joinTimeout)
                o.quiet = quiet
                let ipc = localWorkers != nil ? LocalWorkers.privateEndpoint(localTransport) : nil
                defer { ipc?.remove() }
                o.localBind = ipc?.endpoint
                let local = LocalWorkers(count: localWorkers ?? 0, data: dataset.data, limit: dataset.limit, quiet: quiet)
                o.onBound = { endpoint in local.start(address: endpoint) }
                defer { local.stop() }
                let server = try ConversionServer(options: o, spec: ConversionSpec(network: cnn, thresholding: thresholding), cnn: cnn,
                                                  train: train, test: test, buildID: BuildIdentity.current(blasCore: BLAS.coreName))
                defer { server.finish() }
                try server.start()
                sweep = ECCSweep(cnn: cnn, source: source, train: train, test: test,
                                 engine: ClusterECCEngine(server: server, train: train, test: test))
                rows = try runSweep(&sweep, ts.map { $0! }, profiles, name)
                if !quiet {
                    Progress.line("results accepted per worker: " + server.resultsByWorker.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                }
            } else {
                sweep = ECCSweep(cnn: cnn, source: source, train: train, test: test,
                                 executors: compute.resolved)
                rows = try runSweep(&sweep, ts.map { $0! }, profiles, name)
            }
            print(renderConversionTable(rows))
            if !sweep.comparisons.isEmpty { print(renderCountComparison(sweep.comparisons, classes: cnn.classes)) }
        } catch let e as ExitCode { throw e } catch {
            FileHandle.standardError.write("snn-coord convert: \(error)\n".data(using: .utf8)!)
            throw ExitCode.failure
        }
    }

    func runSweep(_ sweep: inout ECCSweep, _ ts: [Int], _ profiles: [EnergyProfile], _ name: String) throws -> [ConversionRecord] {
        try sweep.run(timesteps: ts, thresholding: thresholding, bits: bits, profiles: profiles,
                      modelPath: out ?? "runs/ecc-\(name).snn", stepped: simulate, db: database.path,
                      progress: { if !quiet { Progress.line($0) } })
    }

    func loadCNN() throws -> (ECCNetwork, String) {
        let lower = from.lowercased()
        if lower.hasSuffix(".keras") || lower.hasSuffix(".h5") { return try KerasImport.cnn(path: from) }
        return try ECCSweep.cnn(fromCheckpoint: from)
    }
}
