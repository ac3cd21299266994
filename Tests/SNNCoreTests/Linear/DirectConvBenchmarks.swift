import Foundation
import Testing
import SNNCore

/// W2's convolutions, direct 3×3 kernels against im2col + sgemm, one micro-batch (T = 8 × 64 images; the first
/// conv's constant input once, 64 images). Not a correctness test: run with
/// `OPENBLAS_CORETYPE=SkylakeX SNN_KERNEL_BENCH=1 swift test -c release --no-parallel --filter DirectConvBenchmarks`
/// (a test process does not re-execute itself onto the core the binaries choose, see `BLAS.selectCoreForThisCPU`:
/// without the variable OpenBLAS may run its generic SSE3 kernels, several times slower).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SNN_KERNEL_BENCH"] != nil))
struct DirectConvBenchmarks {
    static func time(_ name: String, flops: Double, reps: Int = 5, _ body: () -> Void) -> Double {
        let s = bestTime(reps: reps, body)
        print(String(format: "bench %-36@ %8.3f ms  %6.1f GFLOP/s", name as NSString, s * 1e3, flops / s / 1e9))
        return s
    }

    @Test(arguments: [(14, 14, 16, 32, 512), (28, 28, 1, 16, 64)])
    func w2Conv(_ s: (Int, Int, Int, Int, Int)) {
        let g = ConvGeometry(height: s.0, width: s.1, channels: s.2, kernel: 3, stride: 1, padding: 1, outChannels: s.3)
        let images = s.4
        let x = DirectConvTests.pooledSpikes(images * g.inputSize, seed: 1)
        let w = randomFloats(g.weightCount, in: -0.5...0.5, seed: 2)
        let dy = randomFloats(images * g.outputSize, in: -1...1, seed: 3)
        var y = [Float](repeating: 0, count: images * g.outputSize)
        var dx = [Float](repeating: 0, count: images * g.inputSize)
        var gw = [Float](repeating: 0, count: g.weightCount)
        var scratch = [Float](repeating: 0, count: Conv2D.scratchCount(g, images: images))
        let flops = 2.0 * Double(images * g.outputPositions * g.patch * g.outChannels)
        let tag = "\(s.0)x\(s.1)x\(s.2)->\(s.3) n\(images)"
        _ = Self.time("im2col forward \(tag)", flops: flops) {
            Conv2D.forward(g, input: x, images: images, weights: w, bias: nil, output: &y, scratch: &scratch)
        }
        for b in DirectConv3x3.Blocking.allCases {
            _ = Self.time("direct forward \(tag) \(b)", flops: flops) {
                DirectConv3x3.forward(g, input: x, images: images, weights: w, bias: nil, output: &y, blocking: b)
            }
        }
        _ = Self.time("im2col weightGrad \(tag)", flops: flops) {
            Conv2D.backward(g, input: x, images: images, weights: w, gradOutput: dy, gradWeights: &gw, gradBias: nil,
                            gradInput: nil, scratch: &scratch)
        }
        if DirectConv3x3.supportsWeightGradient(g) {
            for b in DirectConv3x3.Blocking.allCases {
                _ = Self.time("direct weightGrad \(tag) \(b)", flops: flops) {
                    DirectConv3x3.weightGradient(g, input: x, images: images, gradOutput: dy, gradWeights: &gw, blocking: b)
                }
            }
        }
        _ = Self.time("im2col inputGrad \(tag)", flops: flops) {
            Conv2D.inputGradient(g, images: images, weights: w, gradOutput: dy, gradInput: &dx, scratch: &scratch)
        }
        if DirectConv3x3.supportsInputGradient(g) {
            for b in DirectConv3x3.Blocking.allCases {
                _ = Self.time("direct inputGrad \(tag) \(b)", flops: flops) {
                    DirectConv3x3.inputGradient(g, images: images, weights: w, gradOutput: dy, gradInput: &dx, blocking: b)
                }
            }
        }
    }
}

extension DirectConvBenchmarks {
    /// The event-driven kernels (`SpikeConv2D`) on W2's second conv at low densities, against the direct ones.
    @Test(arguments: [0.01, 0.03, 0.1])
    func eventDrivenAgainstDirect(_ density: Double) {
        let g = ConvGeometry(height: 14, width: 14, channels: 16, kernel: 3, stride: 1, padding: 1, outChannels: 32)
        let images = 512
        var gen = TestGenerator(seed: 9)
        let x: [Float] = (0..<(images * g.inputSize)).map { _ in
            Double.random(in: 0..<1, using: &gen) < density ? Float(Int.random(in: 1...4, using: &gen)) / 4 : 0
        }
        let w = randomFloats(g.weightCount, in: -0.5...0.5, seed: 2)
        let dy = randomFloats(images * g.outputSize, in: -1...1, seed: 3)
        var y = [Float](repeating: 0, count: images * g.outputSize)
        var gw = [Float](repeating: 0, count: g.weightCount)
        var values = [Float](repeating: 0, count: SpikeConv2D.scratchCount(g))
        var rows = [Int32](repeating: 0, count: SpikeConv2D.scratchCount(g) + g.height * g.width)
        let flops = 2.0 * Double(images * g.outputPositions * g.patch * g.outChannels)
        rows.withUnsafeMutableBufferPointer { r in
            _ = Self.time("event forward d=\(density)", flops: flops) {
                SpikeConv2D.forward(g, input: x, images: images, weights: w, bias: nil, output: &y, values: &values,
                                    rows: r.baseAddress!, counts: r.baseAddress! + SpikeConv2D.scratchCount(g))
            }
            _ = Self.time("event weightGrad d=\(density)", flops: flops) {
                SpikeConv2D.weightGradient(g, input: x, images: images, gradOutput: dy, gradWeights: &gw, values: &values,
                                           rows: r.baseAddress!, counts: r.baseAddress! + SpikeConv2D.scratchCount(g))
            }
        }
        _ = Self.time("direct forward d=\(density)", flops: flops) {
            DirectConv3x3.forward(g, input: x, images: images, weights: w, bias: nil, output: &y)
        }
        _ = Self.time("direct weightGrad d=\(density)", flops: flops) {
            DirectConv3x3.weightGradient(g, input: x, images: images, gradOutput: dy, gradWeights: &gw)
        }
    }
}
