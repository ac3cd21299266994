import ArgumentParser
import Foundation
import SNNCluster
import SNNCommandLine
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
        --conversion latest` shows it again).
          snn-coord convert --from runs/ann-fmnist-wide-…/checkpoint.ckpt --timesteps 16,32,64,128,256
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

    @Option(name: .long, help: ArgumentHelp("Where to store the converted model (default: runs/ecc-<source>.snn).", valueName: "path"))
    var out: String?

    @OptionGroup var database: MetricsDatabaseOption

    @Flag(name: .long, help: "Print only the table.")
    var quiet = false

    func validate() throws {
        if let n = simulate, n < 0 { throw ValidationError("--simulate must be ≥ 0 (0 = closed form only)") }
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
            let sweep = ECCSweep(cnn: cnn, source: source, train: train, test: test,
                                 executors: compute.resolved)
            let name = ((from as NSString).lastPathComponent as NSString).deletingPathExtension
            let rows = try sweep.run(timesteps: ts.map { $0! }, thresholding: thresholding, bits: bits, profiles: profiles,
                                     modelPath: out ?? "runs/ecc-\(name).snn", stepped: simulate, db: database.path,
                                     progress: { if !quiet { Progress.line($0) } })
            print(renderConversionTable(rows))
        } catch let e as ExitCode { throw e } catch {
            FileHandle.standardError.write("snn-coord convert: \(error)\n".data(using: .utf8)!)
            throw ExitCode.failure
        }
    }

    func loadCNN() throws -> (ECCNetwork, String) {
        let lower = from.lowercased()
        if lower.hasSuffix(".keras") || lower.hasSuffix(".h5") { return try KerasImport.cnn(path: from) }
        return try ECCSweep.cnn(fromCheckpoint: from)
    }
}
