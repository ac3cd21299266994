import Foundation
import Testing
import SNNCore

/// Runs `steps` optimizer steps with the gradients from `gradient(step, parameters)`.
func optimize(_ kind: OptimizerKind, lr: Float, start: [Float], steps: Int, mask: [Bool]? = nil,
              gradient: (Int, [Float]) -> [Float]) -> [Float] {
    var p = start
    var state = OptimizerState(kind: kind, parameterCount: start.count)
    for s in 0..<steps {
        optimizerStep(kind, learningRate: lr, parameters: &p, gradients: gradient(s, p), state: &state, decayMask: mask)
    }
    #expect(state.step == steps)
    return p
}

@Suite struct OptimizerTests {
    @Test func stateShapes() {
        #expect(OptimizerState(kind: .sgd(momentum: 0.9, weightDecay: 0, nesterov: false), parameterCount: 5).buffers.map(\.count) == [5])
        #expect(OptimizerState(kind: .sgd(momentum: 0, weightDecay: 0, nesterov: false), parameterCount: 5).buffers.isEmpty)
        #expect(OptimizerState(kind: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false),
                               parameterCount: 3).buffers.map(\.count) == [3, 3])
    }

    @Test func plainSGD() {
        let p = optimize(.sgd(momentum: 0, weightDecay: 0, nesterov: false), lr: 0.5, start: [1, 2], steps: 1) { _, _ in [2, -4] }
        #expect(p == [0, 4])
    }

    @Test func sgdMomentumStartsFromTheFirstGradient() {
        // g = 1 each step: v = 1, 1.9, 2.71 → p = 1 − 0.1·(1 + 1.9 + 2.71) = 0.439 (PyTorch: v = g on step 1).
        let p = optimize(.sgd(momentum: 0.9, weightDecay: 0, nesterov: false), lr: 0.1, start: [1], steps: 3) { _, _ in [1] }
        #expect(abs(p[0] - 0.439) < 1e-6)
        // Nesterov: update g + m·v = 1.9, then v = 1.9, update 1 + 0.9·1.9 = 2.71.
        let q = optimize(.sgd(momentum: 0.9, weightDecay: 0, nesterov: true), lr: 0.1, start: [1], steps: 2) { _, _ in [1] }
        #expect(abs(q[0] - (1 - 0.1 * (1.9 + 2.71))) < 1e-6)
    }

    @Test func sgdWeightDecayAndMask() {
        // g_eff = g + wd·p = 0 + 0.5·2 = 1 for the decayed parameter, 0 for the masked one.
        let kind = OptimizerKind.sgd(momentum: 0.9, weightDecay: 0.5, nesterov: false)
        let p = optimize(kind, lr: 0.1, start: [2, 2], steps: 1, mask: [true, false]) { _, _ in [0, 0] }
        #expect(p == [1.9, 2])
    }

    @Test func adamWithAConstantGradientMovesByLearningRate() {
        // m̂ = g and √v̂ = |g| exactly in exact arithmetic, so every step moves p by lr·g/(|g| + ε).
        let kind = OptimizerKind.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false)
        let p = optimize(kind, lr: 0.01, start: [1, -1, 0], steps: 5) { _, _ in [0.3, -2, 1e-3] }
        #expect(allClose(p, [1 - 0.05, -1 + 0.05, -0.05], rtol: 0, atol: 2e-6), "\(p)")
    }

    @Test func adamWDecaysParametersMultiplicatively() {
        let kind = OptimizerKind.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, decoupled: true)
        let p = optimize(kind, lr: 0.01, start: [2, 2], steps: 3, mask: [true, false]) { _, _ in [0, 0] }
        #expect(abs(p[0] - 2 * pow(1 - 0.001, 3)) < 1e-6)
        #expect(p[1] == 2)
    }

    /// Against an independent double-precision transcription of `torch.optim.Adam` / `AdamW` on random gradients.
    @Test(arguments: [false, true])
    func adamMatchesPyTorchFormulas(decoupled: Bool) {
        let n = 37, steps = 6
        let (b1, b2, eps, wd, lr) = (0.9, 0.99, 1e-6, 0.01, 0.003)
        let start = randomFloats(n, in: -1...1, seed: 31)
        let grads = (0..<steps).map { randomFloats(n, in: -1...1, seed: 40 + UInt64($0)) }
        let kind = OptimizerKind.adam(beta1: Float(b1), beta2: Float(b2), epsilon: Float(eps), weightDecay: Float(wd),
                                      decoupled: decoupled)
        let fast = optimize(kind, lr: Float(lr), start: start, steps: steps) { s, _ in grads[s] }
        var p = start.map(Double.init), m = [Double](repeating: 0, count: n), v = m
        for s in 0..<steps {
            let t = Double(s + 1)
            for i in 0..<n {
                var g = Double(grads[s][i])
                if decoupled { p[i] *= 1 - lr * wd } else { g += wd * p[i] }
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                let mhat = m[i] / (1 - pow(b1, t)), vhat = v[i] / (1 - pow(b2, t))
                p[i] -= lr * mhat / (vhat.squareRoot() + eps)
            }
        }
        #expect(allClose(fast, p.map(Float.init), rtol: 1e-5, atol: 1e-6))
    }

    @Test func sgdMatchesPyTorchFormulasOnRandomGradients() {
        let n = 29, steps = 5
        let (m, wd, lr) = (0.9, 5e-4, 0.1)
        let start = randomFloats(n, in: -1...1, seed: 51)
        let grads = (0..<steps).map { randomFloats(n, in: -1...1, seed: 60 + UInt64($0)) }
        for nesterov in [false, true] {
            let fast = optimize(.sgd(momentum: Float(m), weightDecay: Float(wd), nesterov: nesterov), lr: Float(lr),
                                start: start, steps: steps) { s, _ in grads[s] }
            var p = start.map(Double.init), buf = [Double](repeating: 0, count: n)
            for s in 0..<steps {
                for i in 0..<n {
                    let g = Double(grads[s][i]) + wd * p[i]
                    buf[i] = s == 0 ? g : m * buf[i] + g
                    p[i] -= lr * (nesterov ? g + m * buf[i] : buf[i])
                }
            }
            #expect(allClose(fast, p.map(Float.init), rtol: 1e-5, atol: 1e-6))
        }
    }

    @Test func codableRoundTrip() throws {
        let kinds: [OptimizerKind] = [.sgd(momentum: 0.9, weightDecay: 1e-4, nesterov: true),
                                      .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: true)]
        for k in kinds { #expect(try JSONDecoder().decode(OptimizerKind.self, from: JSONEncoder().encode(k)) == k) }
        var state = OptimizerState(kind: kinds[1], parameterCount: 3)
        state.step = 4
        state.buffers[0][1] = 0.5
        #expect(try JSONDecoder().decode(OptimizerState.self, from: JSONEncoder().encode(state)) == state)
    }
}

@Suite struct LearningRateScheduleTests {
    @Test func constant() {
        #expect(LearningRateSchedule.constant.rate(base: 0.3, epoch: 77, totalEpochs: 100, iteration: 9999) == 0.3)
    }

    @Test func bnttStepSchedule() {
        let s = LearningRateSchedule.step(milestones: [0.5, 0.7, 0.9], factor: 0.1)
        let expected: [(Int, Float)] = [(0, 0.1), (49, 0.1), (50, 0.01), (69, 0.01), (70, 0.001), (89, 0.001), (90, 0.0001), (99, 0.0001)]
        for (epoch, rate) in expected {
            let r = s.rate(base: 0.1, epoch: epoch, totalEpochs: 100, iteration: 0)
            #expect(abs(r - rate) <= 1e-6 * rate, "epoch \(epoch): \(r)")
        }
        // 120 epochs (the reference default): milestones at 60, 84, 108.
        #expect(s.rate(base: 1, epoch: 59, totalEpochs: 120, iteration: 0) == 1)
        #expect(abs(s.rate(base: 1, epoch: 84, totalEpochs: 120, iteration: 0) - 0.01) < 1e-8)
    }

    @Test func dsrCosineWithWarmup() {
        let s = LearningRateSchedule.cosine(warmupIterations: 400)
        #expect(abs(s.rate(base: 0.1, epoch: 0, totalEpochs: 200, iteration: 0) - 0.1 / 400) < 1e-9)
        #expect(abs(s.rate(base: 0.1, epoch: 0, totalEpochs: 200, iteration: 199) - 0.05) < 1e-8)
        #expect(s.rate(base: 0.1, epoch: 1, totalEpochs: 200, iteration: 400) < 0.1)
        #expect(abs(s.rate(base: 0.1, epoch: 100, totalEpochs: 200, iteration: 40_000) - 0.05) < 1e-7)
        let e = 50.0
        #expect(abs(Double(s.rate(base: 0.1, epoch: 50, totalEpochs: 200, iteration: 20_000)) - 0.05 * (1 + cos(Double.pi * e / 200))) < 1e-7)
        #expect(LearningRateSchedule.cosine(warmupIterations: 0).rate(base: 0.1, epoch: 0, totalEpochs: 10, iteration: 0) == 0.1)
    }

    @Test func codableRoundTrip() throws {
        for s in [LearningRateSchedule.constant, .step(milestones: [0.5, 0.7, 0.9], factor: 0.1), .cosine(warmupIterations: 400)] {
            #expect(try JSONDecoder().decode(LearningRateSchedule.self, from: JSONEncoder().encode(s)) == s)
        }
    }
}

/// A long vector (vector lanes) updates every parameter exactly as a one-parameter vector does (the scalar tail).
@Suite struct OptimizerSplitTests {
    @Test(arguments: [
        OptimizerKind.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false),
        OptimizerKind.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-2, decoupled: true),
        OptimizerKind.sgd(momentum: 0.9, weightDecay: 5e-4, nesterov: true),
        OptimizerKind.sgd(momentum: 0, weightDecay: 0, nesterov: false),
    ])
    func longVectorEqualsElementByElement(kind: OptimizerKind) {
        let n = 150_001
        let start = randomFloats(n, in: -1...1, seed: 21)
        let grads = (0..<3).map { randomFloats(n, in: -0.1...0.1, seed: 30 + UInt64($0)) }
        // Without a mask the vector lanes run; with one, the per-element loop. Both equal the one-element update.
        for mask in [nil, (0..<n).map { $0 % 7 != 0 }] {
            let whole = optimize(kind, lr: 1e-3, start: start, steps: 3, mask: mask) { s, _ in grads[s] }
            for i in stride(from: 0, to: n, by: 1013) + [n - 1] {
                let one = optimize(kind, lr: 1e-3, start: [start[i]], steps: 3, mask: mask.map { [$0[i]] }) { s, _ in [grads[s][i]] }
                #expect(one[0].bitPattern == whole[i].bitPattern)
            }
        }
    }
}
