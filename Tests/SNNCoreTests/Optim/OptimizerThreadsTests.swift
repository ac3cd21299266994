import Foundation
import Testing
import SNNCore

/// The optimizer split over threads: PyTorch's update rules written out per element (the scalar reference),
/// compared bit for bit with every thread count on vectors long enough to be split.
@Suite struct OptimizerThreadsTests {
    /// One step of the rule for parameter `i` alone (torch.optim.SGD / Adam / AdamW).
    static func referenceStep(_ kind: OptimizerKind, lr: Float, step: Int, p: inout Float, g gradient: Float,
                              m: inout Float, v: inout Float, decay: Bool) {
        var g = gradient
        switch kind {
        case let .sgd(momentum, wd, nesterov):
            if wd != 0 && decay { g += wd * p }
            guard momentum != 0 else { p -= lr * g; return }
            m = step == 1 ? g : momentum * m + g
            p -= lr * (nesterov ? g + momentum * m : m)
        case let .adam(b1, b2, eps, wd, decoupled):
            if wd != 0 && decay { if decoupled { p *= 1 - lr * wd } else { g += wd * p } }
            m += (1 - b1) * (g - m)
            v = b2 * v + (1 - b2) * g * g
            let stepSize = lr / Float(1 - pow(Double(b1), Double(step)))
            let c2 = Float((1 - pow(Double(b2), Double(step))).squareRoot())
            p -= stepSize * (m / (v.squareRoot() / c2 + eps))
        }
    }

    static let kinds: [OptimizerKind] = [
        .sgd(momentum: 0, weightDecay: 1e-3, nesterov: false),
        .sgd(momentum: 0.9, weightDecay: 5e-4, nesterov: false),
        .sgd(momentum: 0.9, weightDecay: 0, nesterov: true),
        .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false),
        .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-2, decoupled: false),
        .adam(beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 1e-2, decoupled: true),
    ]

    @Test(arguments: kinds)
    func everyThreadCountGivesTheReferenceBits(kind: OptimizerKind) {
        // 100,003 elements: split into 2 or 3 ranges, the last one short and not a multiple of 64.
        let n = 100_003
        var lcg: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float { lcg = lcg &* 6364136223846793005 &+ 1442695040888963407; return Float(Int64(bitPattern: lcg >> 11) % 2001 - 1000) / 1000 }
        let start = (0..<n).map { _ in next() }
        let gradients = (0..<3).map { _ in (0..<n).map { _ in next() * 0.1 } }
        let mask = (0..<n).map { $0 % 7 != 0 }

        // The reference: element by element, three steps.
        var reference = start
        var m = [Float](repeating: 0, count: n), v = m
        for (s, g) in gradients.enumerated() {
            for i in 0..<n {
                Self.referenceStep(kind, lr: 0.01, step: s + 1, p: &reference[i], g: g[i], m: &m[i], v: &v[i], decay: mask[i])
            }
        }
        for threads in [1, 2, 3, 8] {
            var p = start
            var state = OptimizerState(kind: kind, parameterCount: n)
            for g in gradients {
                optimizerStep(kind, learningRate: 0.01, parameters: &p, gradients: g, state: &state, decayMask: mask, threads: threads)
            }
            #expect(state.step == 3)
            #expect(p.map(\.bitPattern) == reference.map(\.bitPattern), "threads \(threads)")
            if case .adam = kind { #expect(state.buffers[1].map(\.bitPattern) == v.map(\.bitPattern)) }
            if !state.buffers.isEmpty { #expect(state.buffers[0].map(\.bitPattern) == m.map(\.bitPattern)) }
        }
    }

    @Test func rangesCoverTheVectorInWholeCacheLines() {
        #expect(ParallelRanges.split(count: 1000, threads: 4) == [0..<1000])   // too short to split
        for (count, threads) in [(65_536, 2), (100_003, 3), (407_050, 2), (407_050, 8), (1 << 20, 5)] {
            let r = ParallelRanges.split(count: count, threads: threads)
            #expect(r.count <= threads && r.count >= 2)
            #expect(r.first?.lowerBound == 0 && r.last?.upperBound == count)
            for (a, b) in zip(r, r.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
            for x in r.dropLast() { #expect(x.count % 64 == 0 && x.count >= ParallelRanges.minimumPerThread / 2) }
        }
    }
}
