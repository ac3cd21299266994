import Testing
import SNNCore
import SNNModel
import SNNMethods

/// Closed form vs time-stepped, and the exact-MAX λ independent of sharding.
@Suite struct ECCInferenceTests {
    /// A small random conv net (conv → ReLU → avg pool → flatten → dense) and random images in [0, 1].
    static func randomCNN(seed: UInt64) -> ECCNetwork {
        var rng = RandomStream(seed: seed, epoch: 1, sample: 0)
        func r(_ n: Int, _ s: Float) -> [Float] { (0..<n).map { _ in (rng.nextUniform() * 2 - 1) * s } }
        let g = ConvGeometry(height: 8, width: 8, channels: 1, kernel: 3, stride: 1, padding: 1, outChannels: 4)
        return ECCNetwork(inputShape: [8, 8, 1], layers: [
            .conv(g, weights: r(g.weightCount, 0.5), bias: r(4, 0.1)),
            .avgPool(size: 2, inputShape: [8, 8, 4]),
            .flatten(count: 64),
            .dense(inputs: 64, outputs: 3, weights: r(192, 0.3), bias: r(3, 0.1)),
        ], names: ["conv1", "avgpool1", "flatten1", "fc1"])
    }

    static func randomImages(_ n: Int, seed: UInt64) -> LabeledImages {
        var rng = RandomStream(seed: seed, epoch: 2, sample: 0)
        let px = (0..<(n * 64)).map { _ in rng.nextUniform() }
        return LabeledImages(count: n, rows: 8, columns: 8, pixels: px, labels: (0..<n).map { Int32($0 % 3) }, fingerprint: "rand")
    }

    /// Constant per-step current (bias only, zero weights, T·c ≤ T·θ): the two modes give the same count, for every h.
    @Test(arguments: [0, 0.5, 0.6666667] as [Float])
    func constantCurrentCountsAreEqual(h: Float) {
        let biases: [Float] = [0, 0.01, 0.13, 0.25, 0.3333, 0.5, 0.77, 0.999, 1, 1.5, -0.2]
        let snn = ConvertedSNN(network: ECCNetwork(inputShape: [1], layers: [
            .dense(inputs: 1, outputs: biases.count, weights: [Float](repeating: 0, count: biases.count), bias: biases)],
            names: ["fc1"]), thresholds: [1], lambdas: [1, 1], kappa: 1, bits: 0)
        let data = LabeledImages(count: 1, rows: 1, columns: 1, pixels: [0.4], labels: [0], fingerprint: "c")
        for T in [1, 7, 16, 64, 256] {
            let closed = ECCInference.closedForm(snn, data: data, timesteps: T, thresholding: h)
            let stepped = ECCInference.timeStepped(snn, data: data, timesteps: T, thresholding: h)
            // Counts that land exactly on a threshold can differ by float rounding of the running sum; compare with
            // Double references of both formulas instead of relying on it.
            let reference = biases.map { b -> Float in
                Float(closedFormCountReference(charge: Double(T) * Double(b), threshold: 1, thresholding: Double(h), timesteps: T))
            }
            #expect(closed.outputCounts == reference, "T = \(T) closed")
            let diff = zip(stepped.outputCounts, reference).map { abs($0 - $1) }.max()!
            #expect(diff <= 1, "T = \(T) stepped \(stepped.outputCounts) vs \(reference)")
            let exact = zip(stepped.outputCounts, reference).filter { $0 == $1 }.count
            #expect(exact >= biases.count - 2, "T = \(T): only \(exact) equal")
        }
    }

    /// A real (random) net: the time-stepped counts stay within a few spikes of the closed form; printed for the report.
    @Test func timeSteppedIsCloseToClosedFormOnARandomNet() {
        let cnn = Self.randomCNN(seed: 5), data = Self.randomImages(24, seed: 6)
        let snn = ECCConversion.convert(cnn, lambdas: ECCConversion.lambdas(cnn, data: data), kappa: 100)
        let T = 64
        let closed = ECCInference.closedForm(snn, data: data, timesteps: T, thresholding: 0.5)
        let stepped = ECCInference.timeStepped(snn, data: data, timesteps: T, thresholding: 0.5)
        let diffs = zip(closed.outputCounts, stepped.outputCounts).map { abs($0 - $1) }
        let mean = diffs.reduce(0, +) / Float(diffs.count)
        print("ECC random net T=\(T): output count |closed − stepped| mean \(mean) max \(diffs.max()!); spikes/layer closed \(closed.spikesPerLayer) stepped \(stepped.spikesPerLayer)")
        #expect(closed.spikesPerLayer[0] == stepped.spikesPerLayer[0])   // the input encoders agree exactly
        #expect(mean <= 3)
        #expect(diffs.max()! <= Float(T) / 4)
    }

    /// λ is an exact MAX over shards: the same for 1, 2 and 3 executors and any micro-batch, so the conversion digest
    /// is too. Checked against an unsharded max of every activation.
    @Test func lambdaIsTheSameForAnySharding() {
        let cnn = Self.randomCNN(seed: 9), data = Self.randomImages(37, seed: 10)
        // Against one unsharded pass: equal up to BLAS rounding (a GEMM's rounding may depend on its row count).
        let whole = cnn.cnnForward(data.pixels, batch: data.count).maxima
        for micro in [1, 5, 100] {
            let one = ECCConversion.lambdas(cnn, data: data, microBatch: micro, executors: 1)
            for (x, y) in zip(one, whole) { #expect(abs(x - y) <= 1e-5 * max(1, abs(y))) }
            // For a given micro-batch, the number of executors changes nothing, bit for bit.
            for executors in [2, 3] {
                #expect(ECCConversion.lambdas(cnn, data: data, microBatch: micro, executors: executors) == one)
            }
        }
        let a = ECCConversion.convert(cnn, lambdas: ECCConversion.lambdas(cnn, data: data, microBatch: 4, executors: 1))
        let b = ECCConversion.convert(cnn, lambdas: ECCConversion.lambdas(cnn, data: data, microBatch: 4, executors: 3))
        #expect(a == b)
        // Sharded evaluation sums are also independent of executors.
        let e1 = ECCInference.timeStepped(a, data: data, timesteps: 16, thresholding: 0.5, microBatch: 4, executors: 1)
        let e3 = ECCInference.timeStepped(a, data: data, timesteps: 16, thresholding: 0.5, microBatch: 4, executors: 3)
        #expect(e1.outputCounts == e3.outputCounts && e1.ledger == e3.ledger)
    }

    /// With T large the SNN's counts approach T·a/λ: accuracy of the converted random net equals the CNN's.
    @Test func longWindowReproducesTheCNN() {
        let cnn = Self.randomCNN(seed: 11), data = Self.randomImages(40, seed: 12)
        let snn = ECCConversion.convert(cnn, lambdas: ECCConversion.lambdas(cnn, data: data))
        let logits = cnn.cnnForward(data.pixels, batch: data.count).logits
        let cnnClass = argmaxRows(logits, rows: data.count, columns: 3)
        let counts = ECCInference.closedForm(snn, data: data, timesteps: 4096, thresholding: 0.5).outputCounts
        let snnClass = argmaxRows(counts, rows: data.count, columns: 3)
        // Where the CNN's winning logit is positive and clear (a margin of 2 % of λ), the SNN picks the same class
        // (negative logits all clamp to 0 spikes, so a CNN that wins with a negative logit is not comparable).
        let lambda = snn.lambdas.last!
        var compared = 0, agree = 0
        for r in 0..<data.count {
            let row = Array(logits[(r * 3)..<(r * 3 + 3)]).sorted(by: >)
            guard row[0] > 0, row[0] - max(row[1], 0) > 0.02 * lambda else { continue }
            compared += 1
            if cnnClass[r] == snnClass[r] { agree += 1 }
        }
        #expect(compared >= 10)
        #expect(agree == compared, "agree \(agree)/\(compared)")
    }
}
