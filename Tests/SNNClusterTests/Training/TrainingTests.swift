import Foundation
import Testing
import SNNCore
import SNNModel
import SNNMethods
import SNNCluster

func tinyImages(count: Int, seed: UInt64) -> LabeledImages {
    var s = seed
    func rnd() -> Float { s &+= 0x9E37_79B9_7F4A_7C15; var z = s; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; z ^= z >> 27; return Float(z >> 40) / Float(1 << 24) }
    var px = [Float](repeating: 0, count: count * 36), labels = [Int32](repeating: 0, count: count)
    for i in 0..<count {
        labels[i] = Int32(i % 3)
        for j in 0..<36 { px[i * 36 + j] = min(1, (j % 3 == i % 3 ? 0.7 : 0.1) + 0.3 * rnd()) }
    }
    return LabeledImages(count: count, rows: 6, columns: 6, pixels: px, labels: labels, fingerprint: "tiny")
}

func tinySession(threads: Int = 1, microBatch: Int = 8, epochs: Int = 2, lr: Float = 1e-2) -> TrainingSession {
    let lif = LIFParameters(leak: 0.5, threshold: 1, reset: .soft, comparison: .greaterOrEqual)
    let net = Network(NetworkConfig(inputShape: [6, 6, 1], timesteps: 3,
                                    layers: [.conv(channels: 4, kernel: 3, stride: 1, padding: 1, bias: false),
                                             .batchNorm(perStep: false, shift: true, epsilon: 1e-5, momentum: 0.1),
                                             .spiking(lif, .atan(alpha: 2)), .avgPool(size: 2), .flatten,
                                             .dense(units: 3, bias: false), .spiking(lif, .atan(alpha: 2))],
                                    readout: .spikeCount, initializer: .xavierUniform(gain: 1)))
    let method = SurrogateBPTT(network: net, encoder: InputEncoder(kind: .direct, shape: [6, 6, 1]))
    let settings = TrainingSettings(epochs: epochs, batchSize: 24, microBatch: microBatch, seed: 5,
                                    optimizer: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false),
                                    learningRate: lr, schedule: .constant, evalMicroBatch: 16)
    return TrainingSession(method: method, settings: settings, trainCount: 48, testCount: 20)
}

@Suite struct TrainingTests {
    @Test func exactSumIsIndependentOfOrderAndGrouping() throws {
        var r = SystemRandomNumberGenerator()
        let vectors = (0..<9).map { _ in (0..<257).map { _ in Float.random(in: -3...3, using: &r) * powf(10, Float.random(in: -6...0, using: &r)) } }
        var reference = ExactSum(count: 257)
        for v in vectors { try reference.add(v) }
        for _ in 0..<5 {
            // Random order, and partial sums grouped as if by three workers, then combined.
            let order = vectors.indices.shuffled(using: &r)
            var parts = [ExactSum(count: 257), ExactSum(count: 257), ExactSum(count: 257)]
            for (k, i) in order.enumerated() { try parts[k % 3].add(vectors[i]) }
            var total = ExactSum(count: 257)
            for p in parts { try total.add(encoded: p.totals) }
            #expect(total.totals == reference.totals)
        }
        // Naive float summation in two orders usually differs; the exact sum never does.
        let v = reference.value()
        for i in 0..<257 {
            let d = vectors.reduce(0.0) { $0 + Double($1[i]) }
            #expect(abs(Double(v[i]) - d) <= 9 * pow(2, -32) + abs(d) * 1e-7)
        }
    }

    @Test func exactSumRejectsNonFiniteAndHuge() {
        var s = ExactSum(count: 2)
        #expect(throws: ExactSumError.self) { try s.add([1, .nan]) }
        #expect(throws: ExactSumError.self) { try s.add([.infinity, 0]) }
        #expect(throws: ExactSumError.self) { try s.add([2e9, 0]) }
    }

    /// Same seed → bit-identical parameters whether micro-batches run on 1 or 2 threads, and whatever the order
    /// their results are committed in.
    @Test func trainingIsBitIdenticalAcrossThreadsAndResultOrder() throws {
        let train = tinyImages(count: 48, seed: 1), test = tinyImages(count: 20, seed: 2)
        var digests: [String] = []
        for (threads, reversed) in [(1, false), (2, false), (2, true)] {
            let s = tinySession()
            let exec = LocalExecutor(threads: threads)
            for _ in 0..<4 {
                var results = exec.run(s.nextStepWork(), method: s.method, data: train, parameters: s.parameters, state: s.state)
                if reversed { results.reverse() }
                _ = try s.commit(results)
                _ = s.advanceEpochIfDone()
            }
            digests.append(s.digest)
            _ = test
        }
        #expect(digests[0] == digests[1])
        #expect(digests[0] == digests[2])
        #expect(digests[0].count == 64)
    }

    @Test func trainingReducesLossOnALearnableTask() throws {
        let train = tinyImages(count: 48, seed: 1), test = tinyImages(count: 48, seed: 1)
        let s = tinySession(epochs: 15, lr: 0.05)
        let t = StandaloneTrainer(session: s, train: train, test: test, threads: 2, runID: "t", specJSON: "{}", checkpointPath: nil)
        let before = t.evaluate(epoch: 0)
        let after = try t.run(quiet: true)!
        #expect(after.loss < before.loss - 0.05)
        #expect(after.accuracy > 0.5)
    }

    @Test func checkpointRoundTripsAndResumesBitIdentically() throws {
        let train = tinyImages(count: 48, seed: 1)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/run.ckpt"
        // Uninterrupted: 3 steps.
        let a = tinySession()
        let exec = LocalExecutor(threads: 2)
        func step(_ s: TrainingSession) throws {
            _ = try s.commit(exec.run(s.nextStepWork(), method: s.method, data: train, parameters: s.parameters, state: s.state))
            _ = s.advanceEpochIfDone()
        }
        for _ in 0..<3 { try step(a) }
        // Interrupted after 2 steps, checkpointed, restored into a fresh session, one more step.
        let b = tinySession()
        for _ in 0..<2 { try step(b) }
        try b.checkpoint(runID: "r1", specJSON: "{\"x\":1}").write(to: path)
        let c = try Checkpoint.read(from: path)
        #expect(c.runID == "r1" && c.specJSON == "{\"x\":1}" && c.epoch == 1 && c.step == 0 && c.iteration == 2)
        let d = tinySession()
        try d.restore(c)
        try step(d)
        #expect(d.digest == a.digest)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp-\(getpid())"))
    }

    @Test func corruptCheckpointIsAClearError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).ckpt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        FileManager.default.createFile(atPath: path, contents: Data("not a checkpoint".utf8))
        #expect(throws: CheckpointError.self) { try Checkpoint.read(from: path) }
        do { _ = try Checkpoint.read(from: path) } catch { #expect(error.description.contains(path)) }
    }
}
