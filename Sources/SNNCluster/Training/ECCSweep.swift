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
    public var executors: Int
    public var kappa: Float = 100

    public init(cnn: ECCNetwork, source: String, train: LabeledImages, test: LabeledImages, executors: Int) {
        self.cnn = cnn; self.source = source; self.train = train; self.test = test; self.executors = executors
    }

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
    public func run(timesteps: [Int], thresholding h: Float, bits: Int, profiles: [EnergyProfile], modelPath: String,
                    stepped: Int?, db: String?, progress: (String) -> Void) throws -> [ConversionRecord] {
        progress("λ: exact maxima over \(train.count) training images (\(executors) executors)")
        let lambdas = ECCConversion.lambdas(cnn, data: train, microBatch: 100, executors: executors)
        let snn = ECCConversion.convert(cnn, lambdas: lambdas, kappa: kappa, bits: bits)
        try ConvertedModelFile.write(snn, source: source, to: modelPath)
        let digest = ConvertedModelFile.digest(snn)
        progress("λ = \(lambdas.map { String(format: "%.4g", $0) }.joined(separator: ", "))")
        progress("converted model \(modelPath) sha256 \(digest)")
        let base = ECCInference.cnn(cnn, data: test, executors: executors)
        progress(String(format: "CNN test accuracy %.2f %%", 100 * base.accuracy))
        let id = "ecc-" + String(digest.prefix(8)) + "-" + String(UInt64(Date().timeIntervalSince1970))
        var rows: [ConversionRecord] = []
        for T in timesteps {
            let closed = ECCInference.closedForm(snn, data: test, timesteps: T, thresholding: h, executors: executors)
            var step: ECCEvaluation?
            if stepped.map({ $0 > 0 }) ?? true {
                step = ECCInference.timeStepped(snn, data: test, samples: stepped, timesteps: T, thresholding: h, executors: executors)
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
