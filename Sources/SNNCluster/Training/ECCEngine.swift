import Foundation
import SNNCore
import SNNEnergy
import SNNMethods
import SNNModel

/// Where the ECC sweep's computations run: in this process on threads (`LocalECCEngine`) or sharded over cluster
/// workers (`ClusterECCEngine`). Both cut every job into the same micro-batches (`ConversionTask`) and run the same
/// per-micro-batch code, and every total is an exact MAX or an integer sum, so both give the same λ, converted model,
/// accuracies, spike counts, SOPs and energy.
public protocol ECCEngine {
    /// The folded CNN's test accuracy and inference events.
    func cnn(_ cnn: ECCNetwork) throws -> (accuracy: Double, ledger: EventLedger, samples: Int)
    /// λ over the whole training set: `layers + 1` maxima.
    func lambdas(_ cnn: ECCNetwork) throws -> [Float]
    /// The converted model the inference jobs run.
    func use(_ snn: ConvertedSNN) throws
    func closedForm(_ snn: ConvertedSNN, timesteps: Int, thresholding: Float) throws -> ECCEvaluation
    /// The time-stepped simulation on the first `samples` test images (nil = all), and its output counts compared
    /// with the closed form's on the same images.
    func timeStepped(_ snn: ConvertedSNN, timesteps: Int, thresholding: Float, samples: Int?) throws -> (ECCEvaluation, ECCCountComparison)
    /// Where it runs, for the progress lines.
    var summary: String { get }
}

/// Threads of this process.
public struct LocalECCEngine: ECCEngine {
    public var train: LabeledImages, test: LabeledImages, executors: Int

    public init(train: LabeledImages, test: LabeledImages, executors: Int) {
        self.train = train; self.test = test; self.executors = max(1, executors)
    }

    public var summary: String { "\(executors) executors in this process" }

    public func cnn(_ cnn: ECCNetwork) -> (accuracy: Double, ledger: EventLedger, samples: Int) {
        ECCInference.cnn(cnn, data: test, microBatch: ConversionTask.microBatchSize(.cnn), executors: executors)
    }

    public func lambdas(_ cnn: ECCNetwork) -> [Float] {
        ECCConversion.lambdas(cnn, data: train, microBatch: ConversionTask.microBatchSize(.lambda), executors: executors)
    }

    public func use(_ snn: ConvertedSNN) {}

    public func closedForm(_ snn: ConvertedSNN, timesteps: Int, thresholding h: Float) -> ECCEvaluation {
        ECCInference.closedForm(snn, data: test, timesteps: timesteps, thresholding: h,
                                microBatch: ConversionTask.microBatchSize(.closedForm), executors: executors)
    }

    public func timeStepped(_ snn: ConvertedSNN, timesteps T: Int, thresholding h: Float, samples: Int?) -> (ECCEvaluation, ECCCountComparison) {
        let batches = ConversionTask(kind: .timeStepped, timesteps: T, samples: min(samples ?? test.count, test.count)).microBatches
        let lock = NSLock()
        nonisolated(unsafe) var parts = [(ECCEvaluation, ECCCountComparison)?](repeating: nil, count: batches.count)
        let test = self.test, executors = self.executors
        DispatchQueue.concurrentPerform(iterations: executors) { e in
            var s = e
            while s < batches.count {
                let r = ECCInference.timeStepped(snn, data: test, indices: batches[s], timesteps: T, thresholding: h)
                lock.lock(); parts[s] = r; lock.unlock()
                s += executors
            }
        }
        var total = ECCEvaluation(timesteps: T, samples: 0, correct: 0,
                                  spikesPerLayer: [Int64](repeating: 0, count: snn.network.layers.count + 1),
                                  ledger: EventLedger(layerNames: snn.network.names, timesteps: T))
        var comparison = ECCCountComparison()
        for p in parts { var e = p!.0; e.outputCounts = []; total.add(e); comparison.add(p!.1) }
        return (total, comparison)
    }
}

/// Sharded over cluster workers through a `ConversionServer` (started and stopped by the caller).
public final class ClusterECCEngine: ECCEngine {
    public let server: ConversionServer
    public let train: LabeledImages, test: LabeledImages

    public init(server: ConversionServer, train: LabeledImages, test: LabeledImages) {
        self.server = server; self.train = train; self.test = test
    }

    public var summary: String { "\(server.options.workers) worker(s) on \(server.localWorkersEndpoint)" }

    public func cnn(_ cnn: ECCNetwork) throws -> (accuracy: Double, ledger: EventLedger, samples: Int) {
        let r = try server.run(ConversionTask(kind: .cnn, samples: test.count))
        return (r.samples == 0 ? 0 : Double(r.correct) / Double(r.samples), ECCInference.cnnLedger(cnn, samples: r.samples), r.samples)
    }

    public func lambdas(_ cnn: ECCNetwork) throws -> [Float] {
        try server.run(ConversionTask(kind: .lambda, samples: train.count)).maxima
    }

    public func use(_ snn: ConvertedSNN) { server.useConverted(snn) }

    public func closedForm(_ snn: ConvertedSNN, timesteps T: Int, thresholding h: Float) throws -> ECCEvaluation {
        try evaluation(try server.run(ConversionTask(kind: .closedForm, timesteps: T, samples: test.count)), snn, T).0
    }

    public func timeStepped(_ snn: ConvertedSNN, timesteps T: Int, thresholding h: Float, samples: Int?) throws -> (ECCEvaluation, ECCCountComparison) {
        let r = try server.run(ConversionTask(kind: .timeStepped, timesteps: T, samples: min(samples ?? test.count, test.count)))
        let (e, rest) = try evaluation(r, snn, T)
        guard let c = ECCCountComparison(sums: rest, maxDifference: Int64(r.maxima.first ?? 0)) else {
            throw SetupError("time-stepped results at T = \(T) lack the count comparison")
        }
        return (e, c)
    }

    /// The evaluation in a combined inference result, and the counters after the ledger.
    func evaluation(_ r: ConversionContribution, _ snn: ConvertedSNN, _ T: Int) throws -> (ECCEvaluation, [Int64]) {
        let template = EventLedger(layerNames: snn.network.names, timesteps: T)
        let n = server.spec.ledgerValues(timesteps: T)
        guard r.counters.count >= n, let ledger = EventLedger(flatCounts: Array(r.counters[0..<n]), like: template) else {
            throw SetupError("inference results at T = \(T) have \(r.counters.count) counters, expected at least \(n)")
        }
        return (ECCEvaluation(timesteps: T, samples: r.samples, correct: r.correct, spikesPerLayer: r.spikes, ledger: ledger),
                Array(r.counters[n...]))
    }
}
