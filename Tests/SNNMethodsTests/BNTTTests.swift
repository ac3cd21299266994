import Testing
import SNNCore
import SNNModel
import SNNMethods

/// Small synthetic images (a bright square whose position encodes the class) so tests need no dataset.
func syntheticImages(count: Int, side: Int = 8, classes: Int = 3, seed: UInt64 = 1) -> LabeledImages {
    var s = seed
    func rnd() -> Float { s &+= 0x9E37_79B9_7F4A_7C15; var z = s; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; z ^= z >> 27; return Float(z >> 40) / Float(1 << 24) }
    var px = [Float](repeating: 0, count: count * side * side)
    var labels = [Int32](repeating: 0, count: count)
    for i in 0..<count {
        let c = i % classes
        labels[i] = Int32(c)
        for y in 0..<side { for x in 0..<side {
            let inSquare = x / (side / classes + 1) == c && y < side / 2
            px[i * side * side + y * side + x] = min(1, (inSquare ? 0.8 : 0.1) + 0.2 * rnd())
        }}
    }
    return LabeledImages(count: count, rows: side, columns: side, pixels: px, labels: labels, fingerprint: "synthetic")
}

func smallBNTT(timesteps: Int = 4, earlyExit: EarlyExitRule? = nil) throws -> BNTT {
    let lif = LIFParameters(leak: 0.95, threshold: 1, reset: .soft, comparison: .greater)
    let net = Network(NetworkConfig(inputShape: [8, 8, 1], timesteps: timesteps,
                                    layers: [.conv(channels: 4, kernel: 3, stride: 1, padding: 1, bias: false),
                                             .batchNorm(perStep: true, shift: false, epsilon: 1e-4, momentum: 0.1),
                                             .spiking(lif, .triangular(scale: 0.3)), .avgPool(size: 2), .flatten,
                                             .dense(units: 3, bias: false)],
                                    readout: .meanPotential, initializer: .xavierUniform(gain: 2)))
    return try BNTT(network: net, encoder: InputEncoder(kind: .poisson(scale: 2), shape: [8, 8, 1]), earlyExit: earlyExit)
}

@Suite struct BNTTTests {
    /// METHODS §3.7 oracle 5: γ̄ = [0.95, 0.75, 0.45, 0.15, 0.05], η = 0.2 → first t with γ̄ < η is 4 → run 3 steps.
    @Test func earlyExitOracle() {
        let g: [Float] = [0.95, 0.75, 0.45, 0.15, 0.05]
        #expect(EarlyExitRule(threshold: 0.2, convention: .before).exitSteps(meanGamma: g) == 3)
        #expect(EarlyExitRule(threshold: 0.2, convention: .at).exitSteps(meanGamma: g) == 4)
        #expect(EarlyExitRule(threshold: 0.01).exitSteps(meanGamma: g) == 5)
        #expect(EarlyExitRule(threshold: 2).exitSteps(meanGamma: g) == 1)
    }

    /// γ̄ is the mean over layers of the mean over channels; with the oracle's two layers the rule exits at 3.
    @Test func meanGammaDrivesInferenceSteps() throws {
        let m = try smallBNTT(timesteps: 5, earlyExit: EarlyExitRule(threshold: 0.2))
        var (p, _) = m.network.initialValues(seed: 0)
        let bn = m.network.layers[1] as! BatchNormLayer
        let layerMeans: [Float] = [0.95, 0.75, 0.45, 0.15, 0.05]   // the oracle's γ̄
        for t in 0..<5 { for c in 0..<bn.channels { p[bn.gammaOffset + t * bn.channels + c] = layerMeans[t] + (c % 2 == 0 ? 0.01 : -0.01) } }
        let g = m.meanGamma(parameters: p)
        for t in 0..<5 { #expect(abs(g[t] - layerMeans[t]) < 1e-6) }
        #expect(m.inferenceSteps(parameters: p) == 3)
    }

    @Test func rejectsStackedBatchNorm() {
        let net = Network(NetworkConfig(inputShape: [4], timesteps: 2,
                                        layers: [.dense(units: 3, bias: false), .batchNorm(perStep: false, shift: true, epsilon: 1e-4, momentum: 0.1),
                                                 .spiking(LIFParameters(), .triangular(scale: 0.3)), .dense(units: 2, bias: false)],
                                        readout: .meanPotential, initializer: .xavierUniform(gain: 1)))
        #expect(throws: MethodError.self) { try BNTT(network: net, encoder: InputEncoder(kind: .direct, shape: [4]), earlyExit: nil) }
    }

    /// BNTT's early exit reads a γ_t per step, which a shared-affine batch norm does not have.
    @Test func rejectsSharedAffineBatchNorm() {
        let net = Network(NetworkConfig(inputShape: [4], timesteps: 2,
                                        layers: [.dense(units: 3, bias: false),
                                                 .batchNorm(perStep: true, shift: false, epsilon: 1e-4, momentum: 0.1, sharedAffine: true),
                                                 .spiking(LIFParameters(), .triangular(scale: 0.3)), .dense(units: 2, bias: false)],
                                        readout: .meanPotential, initializer: .xavierUniform(gain: 1)))
        do {
            _ = try BNTT(network: net, encoder: InputEncoder(kind: .direct, shape: [4]), earlyExit: nil)
            Issue.record("BNTT accepted a shared-affine batch norm")
        } catch {
            #expect(error.description == "BNTT needs a scale γ_t per step: remove \"sharedAffine\" from bntt1")
        }
    }

    /// The unit of work is a deterministic function of (parameters, samples, seed): computing it again, or on
    /// another thread at the same time as other work, gives bit-identical results.
    @Test func microBatchIsBitIdenticalAcrossThreads() async throws {
        let m = try smallBNTT()
        let data = syntheticImages(count: 64)
        let (p, s) = m.network.initialValues(seed: 3)
        let work = (0..<4).map { MicroBatch(epoch: 1, step: 0, index: $0, phase: .train, samples: (Int32($0 * 16)..<Int32($0 * 16 + 16)).map { $0 }, seed: 9) }
        let serial = work.map { m.run($0, data: data, parameters: p, state: s) }
        let parallel = await withTaskGroup(of: (Int, MicroBatchResult).self) { group in
            for (i, w) in work.enumerated() { group.addTask { (i, m.run(w, data: data, parameters: p, state: s)) } }
            var out = [MicroBatchResult?](repeating: nil, count: work.count)
            for await (i, r) in group { out[i] = r }
            return out.map { $0! }
        }
        for (a, b) in zip(serial, parallel) {
            #expect(a.gradient == b.gradient)
            #expect(a.statistics == b.statistics)
            #expect(a.lossSum == b.lossSum && a.correct == b.correct)
            #expect(a.ledger == b.ledger)
        }
        #expect(serial[0].gradient.contains { $0 != 0 })
    }

    /// Poisson draws depend on the sample, not on its micro-batch: sample 5 alone or among others gives the same
    /// forward spikes for it.
    @Test func poissonInputDependsOnSampleNotGrouping() {
        let enc = InputEncoder(kind: .poisson(scale: 2), shape: [8, 8, 1])
        let data = syntheticImages(count: 10)
        let a = enc.encode(MicroBatch(epoch: 2, step: 0, index: 0, phase: .train, samples: [5], seed: 1), data: data, steps: 3)
        let b = enc.encode(MicroBatch(epoch: 2, step: 0, index: 0, phase: .train, samples: [1, 5, 7], seed: 1), data: data, steps: 3)
        for t in 0..<3 { for j in 0..<64 { #expect(a.data[t * 64 + j] == b.data[(t * 3 + 1) * 64 + j]) } }
        let c = enc.encode(MicroBatch(epoch: 3, step: 0, index: 0, phase: .train, samples: [5], seed: 1), data: data, steps: 3)
        #expect(a.data != c.data)
    }
}
