import SNNCore
import SNNEnergy
import SNNModel
#if canImport(Glibc)
import Glibc
#endif

/// CPU nanoseconds of the calling thread, for compute-time accounting only (never for results): see
/// `ComputeClock`.
@inline(__always) func computeNanosNow() -> UInt64 { ComputeClock.threadCPUNanos() }

/// The micro-batch procedure shared by the BPTT-family methods: encode, forward over the steps, softmax
/// cross-entropy on the readout, and (training) backward through time.
struct SurrogateRunner: Sendable {
    let network: Network
    let encoder: InputEncoder

    /// Samples per inference pass. Inference treats every sample on its own (running statistics, no gradient), so
    /// an evaluation micro-batch (250 samples) runs as passes of this many: their activations (W2: 13 MiB the
    /// largest) stay in the heap and in cache instead of 100 MiB arrays mapped and faulted in per layer.
    static let inferenceChunk = 32

    func run(_ work: MicroBatch, data: LabeledImages, parameters: [Float], state: [Float], steps: Int) -> MicroBatchResult {
        guard work.phase.passMode == .inference, work.samples.count > Self.inferenceChunk else {
            return runPass(work, data: data, parameters: parameters, state: state, steps: steps)
        }
        let start = computeNanosNow()
        var total: MicroBatchResult? = nil
        var from = 0
        while from < work.samples.count {
            var part = work
            part.samples = Array(work.samples[from..<min(from + Self.inferenceChunk, work.samples.count)])
            let r = runPass(part, data: data, parameters: parameters, state: state, steps: steps)
            if var t = total {
                t.lossSum += r.lossSum; t.correct += r.correct; t.samples += r.samples
                t.ledger.add(r.ledger)
                for i in t.spikesPerLayer.indices { t.spikesPerLayer[i] += r.spikesPerLayer[i] }
                total = t
            } else {
                total = r
            }
            from += Self.inferenceChunk
        }
        total!.computeNanos = computeNanosNow() &- start
        return total!
    }

    /// One forward (and, training, backward) pass over all of `work`'s samples.
    private func runPass(_ work: MicroBatch, data: LabeledImages, parameters: [Float], state: [Float], steps: Int) -> MicroBatchResult {
        let start = computeNanosNow()
        let mode = work.phase.passMode, training = mode == .training
        let input = encoder.encode(work, data: data, steps: steps)
        var grads = [Float](repeating: 0, count: training ? network.parameterCount : 0)
        var stats = [Float](repeating: 0, count: training ? network.statisticsCount : 0)
        let caches = network.makeCaches()
        var lossSum = 0.0, correct = 0
        var ledger = network.makeLedger()
        let labels = work.samples.map { data.labels[Int($0)] }
        parameters.withUnsafeBufferPointer { pp in
            state.withUnsafeBufferPointer { sp in
                grads.withUnsafeMutableBufferPointer { gp in
                    stats.withUnsafeMutableBufferPointer { stp in
                        var ctx = PassContext(mode: mode, steps: steps,
                                              parameters: pp.baseAddress!, state: sp.baseAddress ?? pp.baseAddress!,
                                              gradients: gp.baseAddress, statistics: stp.baseAddress, ledger: ledger)
                        let (logits, last) = network.forward(input, context: &ctx, caches: caches)
                        var dLogits = [Float](repeating: 0, count: logits.count)
                        let r = logits.withUnsafeBufferPointer { lp in
                            labels.withUnsafeBufferPointer { lb in
                                dLogits.withUnsafeMutableBufferPointer { dp in
                                    softmaxCrossEntropy(logits: lp.baseAddress!, batch: labels.count, classes: network.classes,
                                                        labels: lb.baseAddress!, scale: 1, gradLogits: training ? dp.baseAddress : nil)
                                }
                            }
                        }
                        lossSum = r.lossSum; correct = r.correct
                        if training { network.backward(gradLogits: dLogits, last: last, context: &ctx, caches: caches) }
                        ledger = ctx.ledger
                    }
                }
            }
        }
        let spikes = (0..<network.layers.count).map { ledger.total(mode.forwardPhase, layer: $0).spikes }
        return MicroBatchResult(gradient: grads, statistics: stats, lossSum: lossSum, correct: correct,
                                samples: work.samples.count, ledger: ledger, spikesPerLayer: spikes, steps: steps,
                                computeNanos: computeNanosNow() &- start)
    }
}
