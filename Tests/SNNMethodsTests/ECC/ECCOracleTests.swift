import Testing
import SNNCore
import SNNModel
import SNNMethods

/// METHODS §4.7 oracles 1–4, worked out by hand there.
@Suite struct ECCOracleTests {
    /// The toy net of oracles 1–2. METHODS writes W as [out][in]; our dense weights are [in, out] (transposed).
    func toyCNN() -> ECCNetwork {
        ECCNetwork(inputShape: [2], layers: [
            .dense(inputs: 2, outputs: 2, weights: [1, -1, 2, 1], bias: [0.5, 0]),
            .dense(inputs: 2, outputs: 2, weights: [1, 0.5, -1, 2], bias: [0, 1]),
        ], names: ["fc1", "fc2"])
    }

    func images(_ x: [Float], labels: [Int32]) -> LabeledImages {
        LabeledImages(count: labels.count, rows: 1, columns: x.count / labels.count, pixels: x, labels: labels, fingerprint: "toy")
    }

    /// Oracle 1: λ = [1, 4, 10], κ = 100 → W1' = [[25, 50], [−25, 25]], b1' = [12.5, 0], W2' = [[40, −40], [20, 80]],
    /// b2' = [0, 10], θ = 100.
    @Test func oracle1NormalisationFactors() {
        let snn = ECCConversion.convert(toyCNN(), lambdas: [1, 4, 10], kappa: 100)
        guard case let .dense(_, _, w1, b1) = snn.network.layers[0], case let .dense(_, _, w2, b2) = snn.network.layers[1] else {
            Issue.record("layers changed kind"); return
        }
        #expect(w1 == [25, -25, 50, 25])
        #expect(b1 == [12.5, 0])
        #expect(w2 == [40, 20, -40, 80])
        #expect(b2 == [0, 10])
        #expect(snn.thresholds == [100, 100])
    }

    /// Oracle 2: x = [0.5, 1], T = 256: n¹ = [192, 32], n² = [64, 90] (h = 0.5), [64, 89] (h = 0); class 1.
    @Test func oracle2ForwardCounts() {
        let snn = ECCConversion.convert(toyCNN(), lambdas: [1, 4, 10], kappa: 100)
        let data = images([0.5, 1.0], labels: [1])
        let half = ECCInference.closedForm(snn, data: data, timesteps: 256, thresholding: 0.5)
        #expect(half.outputCounts == [64, 90])
        #expect(half.spikesPerLayer == [384, 224, 154])   // n⁰ = 128 + 256, n¹ = 192 + 32, n² = 64 + 90
        #expect(half.correct == 1)
        let zero = ECCInference.closedForm(snn, data: data, timesteps: 256, thresholding: 0)
        #expect(zero.outputCounts == [64, 89])
        // The CNN itself: a1 = [3, 0.5], a2 = [2.5, 3.5].
        #expect(toyCNN().cnnForward([0.5, 1.0], batch: 1).logits == [2.5, 3.5])
        #expect(toyCNN().cnnForward([0.5, 1.0], batch: 1).maxima == [1, 3, 3.5])
    }

    /// Oracle 3: γ = 2, β = 0.1, μ = 0.5, σ² = 0.999, ε = 0.001 → scale 2, conv bias 1 → folded bias 1.1.
    @Test func oracle3BatchNormFold() throws {
        let g = ConvGeometry(height: 1, width: 1, channels: 1, kernel: 1, stride: 1, padding: 0, outChannels: 1)
        let folded = try ECCNetwork.fold([
            .conv(g, weights: [0.75], bias: [1], name: "conv1"),
            .batchNorm(gamma: [2], beta: [0.1], mean: [0.5], variance: [0.999], epsilon: 0.001, name: "bn1"),
            .relu(name: "relu1"), .flatten(name: "flatten1"),
            .dense(inputs: 1, outputs: 1, weights: [1], bias: nil, name: "fc1"),
        ], inputShape: [1, 1, 1])
        guard case let .conv(_, w, b) = folded.layers[0] else { Issue.record("not a conv"); return }
        #expect(w == [1.5])
        #expect(abs(b[0] - 1.1) < 1e-6)
    }

    /// Oracle 4: θ = 1, constant input 0.25 per step, T = 6: V₀ = 0.5 → spikes at steps 2 and 6 (count 2, residual 0);
    /// V₀ = 0 → one spike at step 4, residual 0.5.
    @Test func oracle4ResidualEliminationTimeStepped() {
        for (v0, expected, residual) in [(Float(0.5), [0, 1, 0, 0, 0, 1] as [Float], Float(0)), (0, [0, 0, 0, 1, 0, 0], 0.5)] {
            var v: [Float] = [v0]
            let spikes = (0..<6).map { _ in integrateAndFireReference(potential: &v, current: [0.25], threshold: 1)[0] }
            #expect(spikes == expected)
            #expect(v == [residual])
        }
        // The same through the network's time-stepped simulation: one dense neuron fed a constant bias current
        // of 0.25 per step (zero weights), θ = κ = 1.
        let snn = ConvertedSNN(network: ECCNetwork(inputShape: [1], layers: [.dense(inputs: 1, outputs: 1, weights: [0], bias: [0.25])],
                                                   names: ["fc1"]), thresholds: [1], lambdas: [1, 1], kappa: 1, bits: 0)
        let data = images([0], labels: [0])
        #expect(ECCInference.timeStepped(snn, data: data, timesteps: 6, thresholding: 0.5).outputCounts == [2])
        #expect(ECCInference.timeStepped(snn, data: data, timesteps: 6, thresholding: 0).outputCounts == [1])
        #expect(ECCInference.closedForm(snn, data: data, timesteps: 6, thresholding: 0.5).outputCounts == [2])
    }

    /// §4.3 step 5 (our equivalent form): signed 3-bit truncation toward zero relative to max|W|.
    @Test func quantisationTruncatesTowardZero() {
        // norm = 2, 2^(k−1) = 4: w·4/2 = [4, −1.5, 0.9, −4] → trunc [4, −1, 0, −4] → ·2/4 = [2, −0.5, 0, −2].
        #expect(ECCConversion.quantise([2, -0.75, 0.45, -2], bits: 3) == [2, -0.5, 0, -2])
        #expect(ECCConversion.quantise([2, -0.75], bits: 0) == [2, -0.75])
    }

    /// Structures ECC cannot convert are refused with a line naming the layer.
    @Test func unsupportedStructuresNameTheLayer() {
        let g = ConvGeometry(height: 4, width: 4, channels: 1, kernel: 3, stride: 1, padding: 1, outChannels: 2)
        let conv = CNNSourceLayer.conv(g, weights: [Float](repeating: 0.1, count: g.weightCount), bias: nil, name: "conv1")
        #expect(throws: ECCError.self) { try ECCNetwork.fold([conv, .relu(name: "r"), .maxPool(size: 2, name: "max_pool"), .flatten(name: "f"),
                                                              .dense(inputs: 8, outputs: 2, weights: [Float](repeating: 0, count: 16), bias: nil, name: "d")],
                                                             inputShape: [4, 4, 1]) }
        do {
            _ = try ECCNetwork.fold([conv, .relu(name: "r"), .maxPool(size: 2, name: "max_pool"), .flatten(name: "f")], inputShape: [4, 4, 1])
        } catch {
            #expect(error.description.hasPrefix("max_pool: max pooling cannot be converted"))
        }
    }
}
