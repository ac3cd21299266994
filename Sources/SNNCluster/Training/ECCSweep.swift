import Foundation
import SNNCore
import SNNEnergy
import SNNMethods
import SNNModel

/// `snn-coord convert`: a trained CNN → BN fold → exact λ over the training set → converted SNN (stored) → the T
/// sweep in both inference modes, priced under energy profiles, recorded in the metrics database.
public struct ECCSweep {
    public var cnn: ECCNetwork
    public var source: String
    public var train: LabeledImages
    public var test: LabeledImages
    /// Where the computations run: this process's threads, or cluster workers.
    public var engine: any ECCEngine
    public var kappa: Float = 100

    public init(cnn: ECCNetwork, source: String, train: LabeledImages, test: LabeledImages, executors: Int) {
        self.init(cnn: cnn, source: source, train: train, test: test,
                  engine: LocalECCEngine(train: train, test: test, executors: executors))
    }

    public init(cnn: ECCNetwork, source: String, train: LabeledImages, test: LabeledImages, engine: any ECCEngine) {
        self.cnn = cnn; self.source = source; self.train = train; self.test = test; self.engine = engine
    }

    /// Closed form vs time-stepped on the same images, per T (filled by `run` when the time-stepped form runs).
    public private(set) var comparisons: [(timesteps: Int, comparison: ECCCountComparison)] = []
    /// λ as computed (input, then after every layer).
    public private(set) var lambdas: [Float] = []

    /// Loads the CNN of an `ann` run's checkpoint (a path, or a run id under runs/).
    public static func cnn(fromCheckpoint from: String) throws -> (ECCNetwork, String) {
        let path = FileManager.default.fileExists(atPath: from) ? from : "runs/\(from)/checkpoint.ckpt"
        guard FileManager.default.fileExists(atPath: path) else {
            throw SetupError("--from \(from): no such checkpoint, run id (runs/\(from)/checkpoint.ckpt) or .keras/.h5 file")
        }
        let c = try Checkpoint.read(from: path)
        let spec = try RunSpec.decode(Data(c.specJSON.utf8), source: "checkpoint \(path)")
        guard spec.method == .ann else {
            throw SetupError("--from \(from): run \(c.runID) used method \(spec.method.rawValue); ECC converts a CNN trained with method \"ann\"")
        }
        let net = Network(try MethodFactory.networkConfig(spec))
        let layers = try CNNSourceLayer.from(network: net, parameters: c.parameters, state: c.state)
        return (try ECCNetwork.fold(layers, inputShape: spec.input.shape), "run \(c.runID)")
    }

    /// Runs the sweep; `stepped` limits the time-stepped simulation to the first N test images (nil = all).
    public mutating func run(timesteps: [Int], thresholding h: Float, bits: Int, profiles: [EnergyProfile], modelPath: String,
                    stepped: Int?, db: String?, progress: (String) -> Void) throws -> [ConversionRecord] {
        // The CNN first: it runs with the folded CNN (parameter version 1 on a cluster), like λ.
        let base = try engine.cnn(cnn)
        progress("λ: exact maxima over \(train.count) training images (\(engine.summary))")
        let lambdas = try engine.lambdas(cnn)
        self.lambdas = lambdas
        let snn = ECCConversion.convert(cnn, lambdas: lambdas, kappa: kappa, bits: bits)
        try ConvertedModelFile.write(snn, source: source, to: modelPath)
        let digest = ConvertedModelFile.digest(snn)
        progress("λ = \(lambdas.map { String(format: "%.4g", $0) }.joined(separator: ", "))")
        progress("converted model \(modelPath) sha256 \(digest)")
        try engine.use(snn)
        comparisons = []
        progress(String(format: "CNN test accuracy %.2f %%", 100 * base.accuracy))
        let id = "ecc-" + String(digest.prefix(8)) + "-" + String(UInt64(Date().timeIntervalSince1970))
        var rows: [ConversionRecord] = []
        for T in timesteps {
            let closed = try engine.closedForm(snn, timesteps: T, thresholding: h)
            var step: ECCEvaluation?
            if stepped.map({ $0 > 0 }) ?? true {
                let (e, c) = try engine.timeStepped(snn, timesteps: T, thresholding: h, samples: stepped)
                step = e
                comparisons.append((T, c))
            }
            let ledger = step?.ledger ?? closed.ledger, samples = step?.samples ?? closed.samples
            progress(String(format: "T = %d: closed form %.2f %%", T, 100 * closed.accuracy)
                     + (step.map { String(format: ", time-stepped %.2f %% on %d images", 100 * $0.accuracy, $0.samples) } ?? ""))
            for p in profiles {
                // The v2 model, as `snn-coord query --energy` prices a run: the SNN and the CNN's topology under the same
                // memory model. A partial SNN figure (an unpriced count) or an ANN the profile cannot price gives "—".
                let c = DataflowComparison.price(ledger: ledger, shapes: snn.network.energyShapes, profile: p, samples: samples)
                if let c { progress("T = \(T) " + c.summaryLine()) }
                let snnJ = c.flatMap { $0.isPartial ? nil : $0.snnJ.nominal }, cnnJ = c?.annJ?.nominal
                var row = ConversionRecord(
                    conversionID: id, source: source, modelPath: modelPath, modelDigest: digest, timesteps: T, thresholding: Double(h),
                    bits: bits, profile: p.name, cnnAccuracy: base.accuracy, closedFormAccuracy: closed.accuracy,
                    closedFormSamples: closed.samples, steppedAccuracy: step?.accuracy, steppedSamples: step?.samples ?? 0,
                    closedFormSpikesPerSample: closed.spikesPerSample, steppedSpikesPerSample: step?.spikesPerSample,
                    synapticOpsPerSample: step?.synapticOpsPerSample ?? closed.synapticOpsPerSample,
                    snnJoulesPerInference: snnJ, cnnJoulesPerInference: cnnJ, at: Date().timeIntervalSince1970)
                row.energy = ConversionEnergy(c)
                rows.append(row)
            }
        }
        if let db { try MetricsStore.open(path: db).recordConversion(rows) }
        return rows
    }
}

/// The per-image comparison of the two inference forms (closed form vs time-stepped on the same test images, output
/// layer), one row per T: images whose counts are identical, images whose class changed, mean and largest |Δ|.
public func renderCountComparison(_ rows: [(timesteps: Int, comparison: ECCCountComparison)], classes: Int) -> String {
    guard let first = rows.first else { return "" }
    func pct(_ n: Int64, _ d: Int64) -> String { String(format: "%5.1f %%", d == 0 ? 0 : 100 * Double(n) / Double(d)) }
    var out = "\nclosed form vs time-stepped on the same \(first.comparison.images) test images (output-layer spike counts per image and class):\n"
    out += "     T   identical images   class changed   mean |Δ| per output neuron   max |Δ|\n"
    for (T, c) in rows {
        out += String(format: "%6d", T) + String(format: "  %8d", c.identicalImages) + " (" + pct(c.identicalImages, c.images) + ")"
            + String(format: "  %5d", c.classChanged) + " (" + pct(c.classChanged, c.images) + ")"
            + String(format: "   %26.3f   %7d", c.meanDifference(classes: classes), c.maxDifference) + "\n"
    }
    return out
}
