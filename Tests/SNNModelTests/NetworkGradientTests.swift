import Testing
import SNNCore
import SNNEnergy
import SNNModel

struct GradRNG {
    var s: UInt64
    mutating func next() -> UInt64 { s &+= 0x9E37_79B9_7F4A_7C15; var z = s; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB; return z ^ (z >> 31) }
    mutating func float(_ lo: Float = -1, _ hi: Float = 1) -> Float { lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24) }
}

/// Loss (sum over samples of softmax cross-entropy) and its gradient for a network, computed by the product's
/// forward/backward.
func lossAndGradient(_ net: Network, _ params: [Float], _ state: [Float], _ x: Activation, _ labels: [Int32],
                     mode: PassMode = .training) -> (Double, [Float]) {
    var grads = [Float](repeating: 0, count: net.parameterCount)
    var stats = [Float](repeating: 0, count: net.statisticsCount)
    var loss = 0.0
    params.withUnsafeBufferPointer { pp in state.withUnsafeBufferPointer { sp in
        grads.withUnsafeMutableBufferPointer { gp in stats.withUnsafeMutableBufferPointer { stp in
            var ctx = PassContext(mode: mode, steps: net.timesteps, parameters: pp.baseAddress!,
                                  state: sp.baseAddress ?? pp.baseAddress!, gradients: gp.baseAddress,
                                  statistics: stp.baseAddress, ledger: net.makeLedger())
            let caches = net.makeCaches()
            let (logits, last) = net.forward(x, context: &ctx, caches: caches)
            var d = [Float](repeating: 0, count: logits.count)
            let r = softmaxCrossEntropy(logits: logits, batch: labels.count, classes: net.classes, labels: labels, scale: 1, gradLogits: &d)
            loss = r.lossSum
            if mode == .training { net.backward(gradLogits: d, last: last, context: &ctx, caches: caches) }
        }}
    }}
    return (loss, grads)
}

/// Central differences on a spread of parameters, against the analytic gradient.
func checkGradient(_ net: Network, input: Activation, labels: [Int32], seed: UInt64 = 7, h: Float = 1e-2,
                   tolerance: Double = 3e-2, sampleEvery: Int = 1) {
    var (params, state) = net.initialValues(seed: seed)
    var r = GradRNG(s: seed)
    for i in params.indices { params[i] += 0.1 * r.float() }   // move γ off 1 etc.
    let (_, g) = lossAndGradient(net, params, state, input, labels)
    var checked = 0
    for i in stride(from: 0, to: params.count, by: sampleEvery) {
        var p = params, m = params
        p[i] += h; m[i] -= h
        let fd = (lossAndGradient(net, p, state, input, labels).0 - lossAndGradient(net, m, state, input, labels).0) / Double(2 * h)
        let err = abs(fd - Double(g[i]))
        #expect(err <= tolerance * max(0.05, abs(fd)), "parameter \(i): analytic \(g[i]) vs finite difference \(fd)")
        checked += 1
    }
    #expect(checked > 0)
    _ = state
    state = []
}

func randomInput(steps: Int, batch: Int, features: [Int], seed: UInt64) -> Activation {
    var r = GradRNG(s: seed)
    let n = steps * batch * features.reduce(1, *)
    return Activation(steps: steps, batch: batch, features: features, data: (0..<n).map { _ in r.float() })
}

@Suite struct NetworkGradientTests {
    let labels: [Int32] = [0, 2, 1, 2]

    @Test func denseLayerGradientMatchesFiniteDifferences() {
        let net = Network(NetworkConfig(inputShape: [6], timesteps: 3, layers: [.dense(units: 5, bias: true), .dense(units: 3, bias: true)],
                                        readout: .meanPotential, initializer: .xavierUniform(gain: 1)))
        checkGradient(net, input: randomInput(steps: 3, batch: 4, features: [6], seed: 1), labels: labels)
    }

    @Test func convLayerGradientMatchesFiniteDifferences() {
        let net = Network(NetworkConfig(inputShape: [5, 5, 2], timesteps: 2,
                                        layers: [.conv(channels: 3, kernel: 3, stride: 1, padding: 1, bias: true), .flatten, .dense(units: 3, bias: false)],
                                        readout: .meanPotential, initializer: .xavierUniform(gain: 1)))
        checkGradient(net, input: randomInput(steps: 2, batch: 4, features: [5, 5, 2], seed: 2), labels: labels, sampleEvery: 3)
    }

    @Test(arguments: [true, false])
    func batchNormGradientMatchesFiniteDifferences(perStep: Bool) {
        let net = Network(NetworkConfig(inputShape: [2, 2, 3], timesteps: 3,
                                        layers: [.conv(channels: 4, kernel: 1, stride: 1, padding: 0, bias: false),
                                                 .batchNorm(perStep: perStep, shift: !perStep, epsilon: 1e-4, momentum: 0.1),
                                                 .flatten, .dense(units: 3, bias: false)],
                                        readout: .meanPotential, initializer: .xavierUniform(gain: 1)))
        checkGradient(net, input: randomInput(steps: 3, batch: 4, features: [2, 2, 3], seed: 3), labels: labels)
    }

    /// A constant input (steps == 1) through stacked BN must give the same gradients as the input repeated T times.
    @Test func constantInputGradientEqualsRepeatedInput() {
        let cfg = NetworkConfig(inputShape: [3, 3, 1], timesteps: 4,
                                layers: [.conv(channels: 2, kernel: 3, stride: 1, padding: 1, bias: false),
                                         .batchNorm(perStep: false, shift: true, epsilon: 1e-5, momentum: 0.1),
                                         .spiking(LIFParameters(leak: 0.5, threshold: 0.5), .atan(alpha: 2)),
                                         .flatten, .dense(units: 3, bias: false)],
                                readout: .meanPotential, initializer: .xavierUniform(gain: 2))
        let net = Network(cfg)
        let once = randomInput(steps: 1, batch: 4, features: [3, 3, 1], seed: 4)
        let (p, s) = net.initialValues(seed: 1)
        let (l1, g1) = lossAndGradient(net, p, s, once, labels)
        let (l2, g2) = lossAndGradient(net, p, s, once.broadcast(to: 4), labels)
        #expect(abs(l1 - l2) < 1e-4)
        for i in g1.indices { #expect(abs(g1[i] - g2[i]) < 1e-4 * max(1, abs(g2[i]))) }
    }

    @Test(arguments: [false, true])
    func poolingGradientMatchesFiniteDifferences(maxPool: Bool) {
        let net = Network(NetworkConfig(inputShape: [4, 4, 2], timesteps: 2,
                                        layers: [.conv(channels: 2, kernel: 3, stride: 1, padding: 1, bias: true),
                                                 maxPool ? .maxPool(size: 2) : .avgPool(size: 2), .flatten, .dense(units: 3, bias: true)],
                                        readout: .meanPotential, initializer: .xavierUniform(gain: 1)))
        checkGradient(net, input: randomInput(steps: 2, batch: 4, features: [4, 4, 2], seed: 5), labels: labels, h: 1e-3)
    }

    /// A whole small network (conv → per-step BN → avg-pool → conv → stacked BN → flatten → dense → dense) end to end.
    @Test func wholeNetworkGradientMatchesFiniteDifferences() {
        let net = Network(NetworkConfig(inputShape: [6, 6, 1], timesteps: 3,
                                        layers: [.conv(channels: 3, kernel: 3, stride: 1, padding: 1, bias: false),
                                                 .batchNorm(perStep: true, shift: false, epsilon: 1e-4, momentum: 0.1),
                                                 .avgPool(size: 2),
                                                 .conv(channels: 4, kernel: 3, stride: 1, padding: 0, bias: true),
                                                 .batchNorm(perStep: false, shift: true, epsilon: 1e-5, momentum: 0.1),
                                                 .flatten, .dense(units: 5, bias: true), .dense(units: 3, bias: false)],
                                        readout: .meanPotential, initializer: .xavierUniform(gain: 1)))
        checkGradient(net, input: randomInput(steps: 1, batch: 4, features: [6, 6, 1], seed: 6), labels: labels, sampleEvery: 2)
    }
}
