import Foundation
import Testing
import SNNCore
import SNNModel
import SNNMethods
import SNNCluster

/// A network whose second convolution reads spikes with 16 output channels, so training goes through the
/// event-driven kernels (`SpikeConv2D` forward and weight gradient), the LIF kernels' per-step counts and saved bits,
/// the fixed-point vector loops and chunked inference.
func spikeConvSession(evalMicroBatch: Int = 40, reset: ResetMode = .soft) -> TrainingSession {
    let lif = LIFParameters(leak: 0.5, threshold: 0.5, reset: reset, comparison: .greaterOrEqual)
    // A high threshold in front of the spike-fed conv: few spikes, below `ConvLayer.eventDrivenDensity`.
    let sparse = LIFParameters(leak: 0.5, threshold: 3, reset: reset, comparison: .greaterOrEqual)
    let net = Network(NetworkConfig(inputShape: [6, 6, 1], timesteps: 4,
                                    layers: [.conv(channels: 8, kernel: 3, stride: 1, padding: 1, bias: false),
                                             .batchNorm(perStep: false, shift: true, epsilon: 1e-5, momentum: 0.1),
                                             .spiking(sparse, .atan(alpha: 2)),
                                             .conv(channels: 16, kernel: 3, stride: 1, padding: 1, bias: true),
                                             .batchNorm(perStep: false, shift: true, epsilon: 1e-5, momentum: 0.1),
                                             .spiking(lif, .atan(alpha: 2)), .avgPool(size: 2), .flatten,
                                             .dense(units: 3, bias: false), .spiking(lif, .atan(alpha: 2))],
                                    readout: .spikeCount, initializer: .xavierUniform(gain: 1)))
    let method = SurrogateBPTT(network: net, encoder: InputEncoder(kind: .direct, shape: [6, 6, 1]))
    let settings = TrainingSettings(epochs: 2, batchSize: 24, microBatch: 8, seed: 7,
                                    optimizer: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false),
                                    learningRate: 1e-2, schedule: .constant, evalMicroBatch: evalMicroBatch)
    return TrainingSession(method: method, settings: settings, trainCount: 48, testCount: 80)
}

@Suite struct TrainingSpikeKernelTests {
    /// Same seed → the same parameters on 1 or 2 threads and in any commit order (as workers' results arrive), for
    /// both resets (the hard reset's backward reads the spikes saved as bits); evaluation agrees too.
    @Test(arguments: [ResetMode.soft, .hard])
    func eventDrivenTrainingIsBitIdenticalAcrossThreadsAndOrder(_ reset: ResetMode) throws {
        let train = tinyImages(count: 48, seed: 3), test = tinyImages(count: 80, seed: 4)
        var digests: [String] = [], evaluations: [EvaluationOutcome] = []
        var spikes: Int64 = 0
        for (threads, reversed) in [(1, false), (2, false), (2, true)] {
            let s = spikeConvSession(reset: reset)
            let exec = LocalExecutor(threads: threads)
            for _ in 0..<4 {
                var results = exec.run(s.nextStepWork(), method: s.method, data: train, parameters: s.parameters, state: s.state)
                spikes = results.reduce(0) { $0 + $1.spikesPerLayer[2] }
                // Every micro-batch's spike-fed conv input (6·6·8 values, 4 steps, 8 samples) is sparse enough for
                // the event-driven kernels: the test exercises them.
                for r in results {
                    #expect(Double(r.spikesPerLayer[2]) < ConvLayer.eventDrivenDensity * Double(6 * 6 * 8 * 4 * 8))
                }
                if reversed { results.reverse() }
                _ = try s.commit(results)
                _ = s.advanceEpochIfDone()
            }
            digests.append(s.digest)
            let r = exec.run(s.evaluationWork(epoch: 0), method: s.method, data: test, parameters: s.parameters, state: s.state)
            evaluations.append(s.summarizeEvaluation(r))
        }
        #expect(spikes > 0, "the spike-fed convolution must see spikes for the test to mean anything")
        #expect(digests[0] == digests[1] && digests[0] == digests[2])
        #expect(evaluations.map(\.accuracy) == [Double](repeating: evaluations[0].accuracy, count: 3))
        #expect(evaluations.map(\.loss) == [Double](repeating: evaluations[0].loss, count: 3))
        #expect(evaluations.map(\.spikesPerSample) == [[Double]](repeating: evaluations[0].spikesPerSample, count: 3))
    }

    /// Inference runs an evaluation micro-batch larger than the chunk (40 > 32) as several passes: every sample is
    /// treated alone, so the correct count and the event counts equal those of micro-batches below the chunk (20).
    @Test func chunkedInferenceEqualsUnchunked() throws {
        let train = tinyImages(count: 48, seed: 3), test = tinyImages(count: 80, seed: 4)
        var outcomes: [EvaluationOutcome] = []
        for eval in [40, 20] {
            let s = spikeConvSession(evalMicroBatch: eval)
            let exec = LocalExecutor(threads: 2)
            for _ in 0..<2 {
                let results = exec.run(s.nextStepWork(), method: s.method, data: train, parameters: s.parameters, state: s.state)
                _ = try s.commit(results)
            }
            let r = exec.run(s.evaluationWork(epoch: 0), method: s.method, data: test, parameters: s.parameters, state: s.state)
            #expect(r.count == 80 / eval)
            outcomes.append(s.summarizeEvaluation(r))
        }
        #expect(outcomes[0].samples == 80 && outcomes[1].samples == 80)
        #expect(outcomes[0].accuracy == outcomes[1].accuracy)
        #expect(outcomes[0].spikesPerSample == outcomes[1].spikesPerSample)
        #expect(abs(outcomes[0].loss - outcomes[1].loss) < 1e-9)
        #expect(outcomes[0].ledger.total(.inference).synapticOps == outcomes[1].ledger.total(.inference).synapticOps)
    }
}
