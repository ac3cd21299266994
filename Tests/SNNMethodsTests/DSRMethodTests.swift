import Testing
import SNNCore
import SNNModel
import SNNMethods

/// DSR end to end on a small network: thresholds are clamped, the V_th gradient flows, and training learns.
@Suite struct DSRMethodTests {
    func smallDSR(threshold: Float = 1, floor: Float = 0.01) throws -> DSR {
        let neuron = DSRParameters(model: .integrateAndFire, alpha: 0.5, thresholdFloor: floor)
        let net = Network(NetworkConfig(inputShape: [8, 8, 1], timesteps: 4,
                                        layers: [.conv(channels: 4, kernel: 3, stride: 1, padding: 1, bias: false),
                                                 .batchNorm(perStep: false, shift: true, epsilon: 1e-5, momentum: 0.1),
                                                 .dsrSpiking(neuron, threshold: threshold), .avgPool(size: 2), .flatten,
                                                 .dense(units: 3, bias: false),
                                                 .batchNorm(perStep: false, shift: true, epsilon: 1e-5, momentum: 0.1),
                                                 .dsrSpiking(neuron, threshold: threshold)],
                                        readout: .rate, initializer: .kaimingNormal(gain: 1)))
        return try DSR(network: net, encoder: InputEncoder(kind: .direct, shape: [8, 8, 1]))
    }

    /// METHODS §2.8 oracle 6 at the method level: a threshold below V_b is raised to V_b by `constrain`.
    @Test func constrainClampsEveryThresholdToTheFloor() throws {
        let m = try smallDSR(threshold: 0.0003, floor: 0.0005)
        var (p, _) = m.network.initialValues(seed: 1)
        #expect(m.thresholdValues(p) == [0.0003, 0.0003])
        m.constrain(parameters: &p)
        #expect(m.thresholdValues(p) == [0.0005, 0.0005])
    }

    @Test func thresholdGradientFlowsAndIsDeterministic() throws {
        let m = try smallDSR(threshold: 0.3)
        let data = syntheticImages(count: 32)
        let (p, s) = m.network.initialValues(seed: 2)
        let work = MicroBatch(epoch: 0, step: 0, index: 0, phase: .train, samples: (0..<16).map { Int32($0) }, seed: 1)
        let a = m.run(work, data: data, parameters: p, state: s), b = m.run(work, data: data, parameters: p, state: s)
        #expect(a.gradient == b.gradient)
        let offsets = m.network.layers.compactMap { $0 as? DSRSpikingLayer }.map(\.parameterOffset)
        // With V_th 0.3 many inputs exceed it: the threshold gradient is non-zero.
        #expect(offsets.contains { a.gradient[$0] != 0 })
    }

    @Test func rejectsBPTTSpikingLayers() {
        let net = Network(NetworkConfig(inputShape: [4], timesteps: 2,
                                        layers: [.dense(units: 3, bias: false), .spiking(LIFParameters(), .triangular(scale: 0.3))],
                                        readout: .rate, initializer: .xavierUniform(gain: 1)))
        #expect(throws: MethodError.self) { try DSR(network: net, encoder: InputEncoder(kind: .direct, shape: [4])) }
    }

    @Test func trainingLowersTheLoss() throws {
        let m = try smallDSR(threshold: 1)
        let data = syntheticImages(count: 48)
        var (p, s) = m.network.initialValues(seed: 3)
        m.constrain(parameters: &p)
        var opt = OptimizerState(kind: .sgd(momentum: 0.9, weightDecay: 0, nesterov: false), parameterCount: p.count)
        let all = MicroBatch(epoch: 0, step: 0, index: 0, phase: .evaluate, samples: (0..<48).map { Int32($0) }, seed: 1)
        let before = m.run(all, data: data, parameters: p, state: s).lossSum
        for step in 0..<40 {
            let w = MicroBatch(epoch: step, step: 0, index: 0, phase: .train, samples: (0..<48).map { Int32($0) }, seed: 1)
            let r = m.run(w, data: data, parameters: p, state: s)
            optimizerStep(.sgd(momentum: 0.9, weightDecay: 0, nesterov: false), learningRate: 0.05, parameters: &p,
                          gradients: r.gradient.map { $0 / 48 }, state: &opt)
            m.constrain(parameters: &p)
            m.network.applyStatistics(r.statistics, to: &s, microBatchSize: 48)
        }
        let after = m.run(all, data: data, parameters: p, state: s).lossSum
        #expect(after < 0.8 * before, "loss \(before) → \(after)")
    }
}
