import Foundation
import Testing
import SNNCore

/// TK's gradients against central finite differences (in double) where TK is differentiable, and the batched kernel
/// against the scalar definition.
@Suite struct TTFSGradientTests {
    /// TK in double without quantisation (the epoch-0 training kernel), for finite differences.
    func tk(_ z: Double, tau: Double, delay: Double, window: Int, clip: Bool) -> Double {
        let t = max(0, delay - tau * log(max(z, 0) + 1e-30))
        let x = exp((delay - t) / tau)
        return clip && x < exp((delay - Double(window)) / tau) ? 0 : x
    }

    @Test(arguments: [0.05, 0.3, 0.7, 0.95, 1.5, 3.0])
    func gradientsMatchFiniteDifferences(z: Double) {
        let tau = 1.7, delay = 0.3, h = 1e-5
        let k = TemporalKernel(tau: Float(tau), delay: Float(delay), window: 8)
        var zz = Float(z), out = temporalKernelActivation(Float(z), k, quantizer: .none, clip: true), dy: Float = 1, dz: Float = 0
        let g = temporalKernelBackward(k, quantizer: .none, input: &zz, output: &out, gradOutput: &dy, count: 1, gradInput: &dz)
        let fz = (tk(z + h, tau: tau, delay: delay, window: 8, clip: true) - tk(z - h, tau: tau, delay: delay, window: 8, clip: true)) / (2 * h)
        let ft = (tk(z, tau: tau + h, delay: delay, window: 8, clip: true) - tk(z, tau: tau - h, delay: delay, window: 8, clip: true)) / (2 * h)
        let fd = (tk(z, tau: tau, delay: delay + h, window: 8, clip: true) - tk(z, tau: tau, delay: delay - h, window: 8, clip: true)) / (2 * h)
        #expect(abs(Double(dz) - fz) < 1e-3 * max(1, abs(fz)), "∂/∂z at \(z): \(dz) vs \(fz)")
        #expect(abs(g.tau - ft) < 1e-3 * max(1, abs(ft)), "∂/∂τ at \(z): \(g.tau) vs \(ft)")
        #expect(abs(g.delay - fd) < 1e-3 * max(1, abs(fd)), "∂/∂t_d at \(z): \(g.delay) vs \(fd)")
    }

    /// The TKBN gradients against finite differences of its polynomial.
    @Test(arguments: [(Float(1), Float(0)), (0.8, 0.4), (1.6, -0.7)])
    func tkbnGradients(gamma: Float, beta: Float) {
        let xT: Float = 0.05, h: Float = 1e-2
        let t = ttfsTKBNTerm(gamma: gamma, beta: beta, xT: xT)
        let fg = (ttfsTKBNTerm(gamma: gamma + h, beta: beta, xT: xT).value - ttfsTKBNTerm(gamma: gamma - h, beta: beta, xT: xT).value) / (2 * h)
        let fb = (ttfsTKBNTerm(gamma: gamma, beta: beta + h, xT: xT).value - ttfsTKBNTerm(gamma: gamma, beta: beta - h, xT: xT).value) / (2 * h)
        #expect(abs(t.dGamma - fg) < 2e-3)
        #expect(abs(t.dBeta - fb) < 2e-3)
    }

    /// The array kernel equals the scalar activation value by value, for every quantiser, clipped or not.
    @Test func batchedKernelMatchesScalarDefinition() {
        let k = TemporalKernel(tau: 2.3, delay: -0.2, window: 6)
        let z: [Float] = (0..<200).map { Float($0) * 0.013 - 0.4 }
        for q in [TKQuantizer.none, .round, .ceil] {
            for clip in [false, true] {
                var out = [Float](repeating: -1, count: z.count)
                temporalKernelForward(k, quantizer: q, clip: clip, input: z, count: z.count, output: &out)
                for i in z.indices {
                    let t = max(0, Double(k.delay) - Double(k.tau) * log(max(Double(z[i]), 0) + 1e-30))
                    let qt: Double = q == .none ? t : q == .round ? floor(t + 0.5) : ceil(t)
                    var x = exp((Double(k.delay) - qt) / Double(k.tau))
                    if clip && x < exp((Double(k.delay) - 6) / Double(k.tau)) { x = 0 }
                    #expect(abs(Double(out[i]) - x) < 1e-5 * max(1, x), "z \(z[i]) q \(q) clip \(clip)")
                }
            }
        }
    }

    /// The branch-free firing step equals stepping through the window, over a sweep of potentials and kernels.
    @Test func fireStepMatchesSteppedReference() {
        for (tau, delay, q) in [(Float(2), Float(0), Float(0.5)), (2, 0, 0), (3.1, 0.7, 0.5), (1.3, -0.4, 0)] {
            let k = TemporalKernel(tau: tau, delay: delay, window: 8)
            let th = k.thresholds(offset: q)
            for i in 0..<600 {
                let u = Float(i) * 0.005 - 0.5
                let fast = th.withUnsafeBufferPointer { ttfsFireStep(potential: u, thresholds: $0.baseAddress!, window: 8) }
                let ref = ttfsFireStepReference(potential: u, kernel: k, offset: q)
                // Float thresholds vs double reference may only differ exactly at a threshold.
                if fast != ref { #expect(th.contains { abs($0 - u) < 1e-6 }, "u \(u): \(fast) vs \(ref)") }
            }
        }
    }
}
