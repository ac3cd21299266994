import Foundation
import Testing
import SNNCore
import SNNModel
import SNNMethods
import SNNCluster

/// The standalone commit (`LocalExecutor.runTrainingLocal` + `TrainingSession.commit(local:)`: gradients kept as
/// floats, rounded, summed and decoded inside the optimizer pass) against the workers' path (each micro-batch
/// rounded to fixed point, `commit(contributions:)`): the same parameters and running state, bit for bit, for any
/// thread count; a gradient outside the fast range or a non-finite one behaves as on the workers' path.
@Suite struct LocalCommitTests {
    /// A dense spiking network like W1 (no statistics) and the conv + BN network of `tinySession` (statistics).
    static func denseSession(threads: Int) -> TrainingSession {
        let lif = LIFParameters(leak: 0.5, threshold: 1, reset: .soft, comparison: .greaterOrEqual)
        let net = Network(NetworkConfig(inputShape: [6, 6, 1], timesteps: 4,
                                        layers: [.flatten, .dense(units: 40, bias: true), .spiking(lif, .atan(alpha: 2)),
                                                 .dense(units: 3, bias: false), .spiking(lif, .atan(alpha: 2))],
                                        readout: .spikeCount, initializer: .xavierUniform(gain: 1)))
        let method = SurrogateBPTT(network: net, encoder: InputEncoder(kind: .direct, shape: [6, 6, 1]))
        let settings = TrainingSettings(epochs: 3, batchSize: 24, microBatch: 8, seed: 9,
                                        optimizer: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false),
                                        learningRate: 1e-2, schedule: .constant, evalMicroBatch: 16)
        let s = TrainingSession(method: method, settings: settings, trainCount: 48, testCount: 20)
        s.reductionThreads = threads
        return s
    }

    @Test(arguments: [false, true])
    func localCommitGivesTheWorkersPathBitsOnAnyThreadCount(convolutional: Bool) throws {
        let train = tinyImages(count: 48, seed: 1)
        func session(_ threads: Int) -> TrainingSession {
            convolutional ? { let s = tinySession(threads: threads); s.reductionThreads = threads; return s }() : Self.denseSession(threads: threads)
        }
        // The workers' path on one thread: the reference.
        let reference = session(1)
        let one = LocalExecutor(threads: 1)
        for _ in 0..<5 {
            let c = try one.runTraining(reference.nextStepWork(), method: reference.method, data: train,
                                        parameters: reference.parameters, state: reference.state)
            _ = try reference.commit(contributions: c)
            _ = reference.advanceEpochIfDone()
        }
        for threads in [1, 2, 3] {
            let s = session(threads)
            let exec = LocalExecutor(threads: threads)
            var losses: [Double] = []
            for _ in 0..<5 {
                let local = try exec.runTrainingLocal(s.nextStepWork(), method: s.method, data: train, parameters: s.parameters,
                                                      state: s.state)
                #expect(local.allSatisfy { !$0.unrounded.isEmpty && $0.contribution.gradient.isEmpty })
                losses.append(try s.commit(local: local).loss)
                _ = s.advanceEpochIfDone()
            }
            #expect(s.digest == reference.digest, "\(threads) threads")
            #expect(s.optimizer == reference.optimizer)
            let finite = losses.allSatisfy { $0.isFinite }
            #expect(finite)
        }
    }

    /// Hand-made micro-batch results: gradients in the fast range, one with a value beyond it (2^19 ≤ |g| < 2^30:
    /// rounded on the thread, the commit takes the fixed-point path), and a NaN (the same error as the workers' path).
    @Test func gradientsOutsideTheFastRangeAreRoundedAndInvalidOnesRefused() throws {
        func result(_ gradient: [Float], samples: Int = 8) -> MicroBatchResult {
            let s = Self.denseSession(threads: 1)
            return MicroBatchResult(gradient: gradient, statistics: [], lossSum: 1.5, correct: 3, samples: samples,
                                    ledger: s.network.makeLedger(), spikesPerLayer: [Int64](repeating: 0, count: s.network.layers.count),
                                    steps: 4, computeNanos: 10)
        }
        let n = Self.denseSession(threads: 1).parameters.count
        let small = randomGradient(n, seed: 3), other = randomGradient(n, seed: 4)
        var large = randomGradient(n, seed: 5); large[n / 2] = 600_000
        for (a, b) in [(small, other), (small, large), (large, other)] {
            let workers = Self.denseSession(threads: 1), local = Self.denseSession(threads: 2)
            _ = try workers.commit(contributions: [try StepContribution(microBatch: 0, result(a)),
                                                   try StepContribution(microBatch: 1, result(b))])
            let contributions = [try LocalContribution(microBatch: 1, result(b)), try LocalContribution(microBatch: 0, result(a))]
            #expect(contributions.map { $0.unrounded.isEmpty } == [b[n / 2] == 600_000, a[n / 2] == 600_000])
            _ = try local.commit(local: contributions)
            #expect(local.digest == workers.digest)
        }
        var bad = small; bad[7] = .nan
        var localError = "", workersError = ""
        do { _ = try LocalContribution(microBatch: 0, result(bad)) } catch { localError = error.description }
        do { _ = try StepContribution(microBatch: 0, result(bad)) } catch { workersError = error.description }
        #expect(!localError.isEmpty && localError == workersError)
        #expect(localError.contains("gradient[7]"))
    }

    func randomGradient(_ n: Int, seed: UInt64) -> [Float] {
        var s = seed
        return (0..<n).map { _ in
            s &+= 0x9E37_79B9_7F4A_7C15; var z = s; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; z ^= z >> 27
            return (Float(z >> 40) / Float(1 << 24) - 0.5) * 0.1
        }
    }
}
