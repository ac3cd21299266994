import Foundation
import Testing
import SNNCore

/// Best wall time of `reps` runs of `body`, in seconds.
func bestTime(reps: Int = 7, _ body: () -> Void) -> Double {
    body()  // warm-up
    var best = Double.infinity
    for _ in 0..<reps {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return best
}

func report(_ name: String, seconds: Double, elements: Int, bytes: Int) {
    print(String(format: "bench %-34@ %8.3f ms  %6.3f ns/elem  %6.1f GB/s", name as NSString, seconds * 1e3,
                 seconds * 1e9 / Double(elements), Double(bytes) / seconds / 1e9))
}

/// Throughput of the element-wise kernels on a BNTT-like layer (T = 25, 16 images of 16×16×64). Not a
/// correctness test: run with `SNN_KERNEL_BENCH=1 swift test -c release --filter KernelBenchmarks`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SNN_KERNEL_BENCH"] != nil))
struct KernelBenchmarks {
    let steps = 25, images = 16, side = 16, channels = 64
    var count: Int { images * side * side * channels }

    @Test func lif() {
        let n = count, total = steps * n
        let input = randomFloats(total, in: -0.2...0.6, seed: 1)
        var spikes = [Float](repeating: 0, count: total), u = spikes, grad = spikes
        let g = randomFloats(total, in: -1...1, seed: 2)
        for p in [LIFParameters(leak: 0.95), LIFParameters(leak: 0.95, reset: .hard)] {
            let f = bestTime { _ = lifForward(p, input: input, inputSteps: steps, steps: steps, count: n, spikes: &spikes, potentials: &u) }
            report("lifForward \(p.reset)", seconds: f, elements: total, bytes: total * 12)
            for sg in [Surrogate.triangular(scale: 0.3), .atan(alpha: 2), .sigmoid(alpha: 4)] {
                let b = bestTime {
                    lifBackward(p, surrogate: sg, gradSpikes: g, potentials: u, spikes: spikes, steps: steps, count: n,
                                gradInput: &grad, inputSteps: steps)
                }
                report("lifBackward \(p.reset) \(sg)", seconds: b, elements: total, bytes: total * (p.reset == .hard ? 16 : 12))
            }
        }
    }

    @Test func batchNorm() {
        let rows = images * side * side, total = steps * rows * channels
        let x = randomFloats(total, in: -1...2, seed: 3), dy = randomFloats(total, in: -1...1, seed: 4)
        let gamma = [Float](repeating: 1, count: steps * channels)
        var y = [Float](repeating: 0, count: total), dx = y
        var mean = gamma, invStd = gamma, variance = gamma, dgamma = gamma
        let f = bestTime {
            batchNormForwardTraining(x: x, groups: steps, rows: rows, channels: channels, gamma: gamma, beta: nil,
                                     epsilon: 1e-4, y: &y, mean: &mean, invStd: &invStd, variance: &variance)
        }
        report("batchNormForwardTraining", seconds: f, elements: total, bytes: total * 16)
        let i = bestTime {
            batchNormForwardInference(x: x, groups: steps, rows: rows, channels: channels, gamma: gamma, beta: nil,
                                      runningMean: mean, runningVariance: variance, epsilon: 1e-4, y: &y)
        }
        report("batchNormForwardInference", seconds: i, elements: total, bytes: total * 8)
        let b = bestTime {
            batchNormBackward(x: x, gradOutput: dy, groups: steps, rows: rows, channels: channels, gamma: gamma,
                              mean: mean, invStd: invStd, gradInput: &dx, gradGamma: &dgamma, gradBeta: nil)
        }
        report("batchNormBackward", seconds: b, elements: total, bytes: total * 20)
    }

    @Test func poolingAndPacking() {
        let n = steps * images, total = n * side * side * channels, outTotal = total / 4
        let x = randomFloats(total, in: 0...1, seed: 5).map { $0 < 0.2 ? Float(1) : 0 }
        var y = [Float](repeating: 0, count: outTotal), dx = [Float](repeating: 0, count: total)
        var argmax = [Int32](repeating: 0, count: outTotal)
        let a = bestTime { avgPoolForward(input: x, images: n, height: side, width: side, channels: channels, size: 2, output: &y) }
        report("avgPoolForward", seconds: a, elements: total, bytes: total * 4 + outTotal * 4)
        let ab = bestTime { avgPoolBackward(gradOutput: y, images: n, height: side, width: side, channels: channels, size: 2, gradInput: &dx) }
        report("avgPoolBackward", seconds: ab, elements: total, bytes: total * 4 + outTotal * 4)
        let m = bestTime { maxPoolForward(input: x, images: n, height: side, width: side, channels: channels, size: 2, output: &y, argmax: &argmax) }
        report("maxPoolForward", seconds: m, elements: total, bytes: total * 4 + outTotal * 8)
        var bytes: [UInt8] = []
        let p = bestTime { bytes = packSpikes(x, count: total) }
        report("packSpikes", seconds: p, elements: total, bytes: total * 4)
        var back: [Float] = []
        let u = bestTime { back = unpackSpikes(bytes, count: total) }
        report("unpackSpikes", seconds: u, elements: total, bytes: total * 4)
        #expect(back == x)
        var rng = RandomStream(seed: 1, epoch: 0, sample: 0)
        let e = bestTime { _ = poissonEncode(x, count: total, rescale: 2, rng: &rng, output: &dx) }
        report("poissonEncode", seconds: e, elements: total, bytes: total * 8)
    }
    /// The fused batch norm → LIF → 2×2 pool forward on W2's two blocks (one micro-batch of 64, T = 8): the first
    /// block's constant input (28×28×16), the second's per-step input (14×14×32), potentials dropped (inference,
    /// and training, which recomputes them) or kept.
    @Test func fusedBatchNormLIFPool() {
        let p = LIFParameters(leak: 0.5, threshold: 1, reset: .soft, comparison: .greaterOrEqual)
        for (side, ch, inputSteps) in [(28, 16, 1), (14, 32, 8)] {
            let t = 8, n = 64, count = n * side * side * ch
            let x = randomFloats(inputSteps * count, in: -1...2, seed: 7)
            let center = [Float](repeating: 0.3, count: ch), scale = [Float](repeating: 0.9, count: ch)
            let shift = [Float](repeating: 0.1, count: ch)
            var out = [Float](repeating: 0, count: t * count / 4), counts = [Int](repeating: 0, count: t)
            var v = [Float](repeating: 0, count: t * count)
            for keep in [false, true] {
                let f = bestTime {
                    center.withUnsafeBufferPointer { cp in scale.withUnsafeBufferPointer { sp in shift.withUnsafeBufferPointer { hp in
                        let a = ChannelAffine(center: cp.baseAddress!, scale: sp.baseAddress!,
                                              shift: inputSteps == 1 ? nil : hp.baseAddress!, perStep: false)
                        v.withUnsafeMutableBufferPointer { vp in
                            _ = batchNormLIFAvgPoolForward(p, affine: a, input: x, inputSteps: inputSteps, steps: t, images: n,
                                                           height: side, width: side, channels: ch, poolSize: 2,
                                                           potentials: keep ? vp.baseAddress! : nil, output: &out, stepSpikes: &counts)
                        }
                    } } }
                }
                report("fused \(side)x\(side)x\(ch) in \(inputSteps) keep \(keep)", seconds: f, elements: t * count,
                       bytes: (inputSteps * count + t * count / 4 + (keep ? t * count : 0)) * 4)
            }
        }
    }
}
