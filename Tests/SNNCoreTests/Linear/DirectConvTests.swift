import Testing
import SNNCore

/// The direct 3×3 convolution kernels (`DirectConv3x3`) against their scalar references (bit for bit), against the
/// im2col + GEMM path (to rounding), and the gradients against finite differences of the convolution.
@Suite struct DirectConvTests {
    // (height, width, channels, padding, outChannels)
    static let geometries: [(Int, Int, Int, Int, Int)] = [
        (14, 14, 16, 1, 32),   // W2's second conv
        (28, 28, 1, 1, 16),    // W2's first conv (one input channel)
        (7, 9, 8, 1, 48),      // odd sizes; a block of 32 then one of 16 output channels
        (9, 7, 24, 1, 32),     // 24 input channels (not a multiple of 16)
        (5, 6, 16, 0, 32),     // no padding
        (4, 5, 32, 2, 64),     // padding 2, two blocks of 32
        (1, 1, 16, 1, 32),     // a single pixel: every tap but the centre is padding
        (3, 2, 16, 1, 16),     // smaller than one block of positions
        (5, 7, 12, 1, 16),     // 12 input channels: whole blocks of 4 (AVX2 blocking) but not of 8
        (6, 5, 6, 1, 32),      // 6 input channels: the per-channel weight-gradient blocks under both blockings
        (4, 7, 16, 1, 48),     // 7-wide rows: row-aligned blocks of 7 × 32 output channels, then flat ones of 16
        (3, 14, 32, 1, 16),    // 14-wide rows: row-aligned blocks of 14 × 16 (and the input gradient's 7 × 32)
    ]

    static func geometry(_ s: (Int, Int, Int, Int, Int)) -> ConvGeometry {
        ConvGeometry(height: s.0, width: s.1, channels: s.2, kernel: 3, stride: 1, padding: s.3, outChannels: s.4)
    }

    /// W2-like input: pooled-spike levels k/4, about 40 % non-zero.
    static func pooledSpikes(_ count: Int, seed: UInt64) -> [Float] {
        var g = TestGenerator(seed: seed)
        return (0..<count).map { _ in
            Double.random(in: 0..<1, using: &g) < 0.4 ? Float(Int.random(in: 1...4, using: &g)) / 4 : 0
        }
    }

    @Test(arguments: geometries, [1, 3])
    func forwardEqualsScalarReferenceAndIm2col(_ s: (Int, Int, Int, Int, Int), _ images: Int) {
        let g = Self.geometry(s)
        #expect(DirectConv3x3.supportsForward(g))
        let x = s.2 == 1 ? randomFloats(images * g.inputSize, in: 0...1, seed: 1) : Self.pooledSpikes(images * g.inputSize, seed: 1)
        let w = randomFloats(g.weightCount, in: -0.5...0.5, seed: 2)
        for b in [nil, randomFloats(g.outChannels, in: -0.2...0.2, seed: 3)] {
            var y = [Float](repeating: .nan, count: images * g.outputSize)
            DirectConv3x3.forward(g, input: x, images: images, weights: w, bias: b, output: &y)
            let ref = DirectConv3x3.forwardReference(g, input: x, images: images, weights: w, bias: b)
            #expect(y.map(\.bitPattern) == ref.map(\.bitPattern))
            // Every register blocking (AVX-512's and AVX2's; either runs on any CPU): the same bits.
            for blocking in DirectConv3x3.Blocking.allCases {
                var yb = [Float](repeating: .nan, count: images * g.outputSize)
                DirectConv3x3.forward(g, input: x, images: images, weights: w, bias: b, output: &yb, blocking: blocking)
                #expect(yb.map(\.bitPattern) == ref.map(\.bitPattern), "\(blocking)")
            }
            var gemm = [Float](repeating: .nan, count: images * g.outputSize)
            var scratch = [Float](repeating: 0, count: Conv2D.scratchCount(g, images: images))
            Conv2D.forward(g, input: x, images: images, weights: w, bias: b, output: &gemm, scratch: &scratch)
            #expect(worstViolation(y, gemm, rtol: 1e-5, atol: 1e-5) <= 1)
            // The exact convolution (Double-accumulated).
            let exact = Conv2D.forwardReference(g, input: x, images: images, weights: w, bias: b)
            #expect(worstViolation(y, exact, rtol: 1e-5, atol: 1e-5) <= 1)
        }
    }

    @Test(arguments: geometries.filter { DirectConv3x3.supportsInputGradient(geometry($0)) }, [1, 3])
    func inputGradientEqualsScalarReferenceAndIm2col(_ s: (Int, Int, Int, Int, Int), _ images: Int) {
        let g = Self.geometry(s)
        let w = randomFloats(g.weightCount, in: -0.5...0.5, seed: 4)
        let dy = randomFloats(images * g.outputSize, in: -1...1, seed: 5)
        var dx = [Float](repeating: .nan, count: images * g.inputSize)
        DirectConv3x3.inputGradient(g, images: images, weights: w, gradOutput: dy, gradInput: &dx)
        let ref = DirectConv3x3.inputGradientReference(g, images: images, weights: w, gradOutput: dy)
        #expect(dx.map(\.bitPattern) == ref.map(\.bitPattern))
        for blocking in DirectConv3x3.Blocking.allCases {
            var dxb = [Float](repeating: .nan, count: images * g.inputSize)
            DirectConv3x3.inputGradient(g, images: images, weights: w, gradOutput: dy, gradInput: &dxb, blocking: blocking)
            #expect(dxb.map(\.bitPattern) == ref.map(\.bitPattern), "\(blocking)")
        }
        var gemm = [Float](repeating: .nan, count: images * g.inputSize)
        var scratch = [Float](repeating: 0, count: Conv2D.scratchCount(g, images: images))
        Conv2D.inputGradient(g, images: images, weights: w, gradOutput: dy, gradInput: &gemm, scratch: &scratch)
        #expect(worstViolation(dx, gemm, rtol: 1e-4, atol: 1e-5) <= 1)
    }

    @Test(arguments: geometries.filter { DirectConv3x3.supportsWeightGradient(geometry($0)) }, [1, 3])
    func weightGradientEqualsScalarReferenceAndIm2col(_ s: (Int, Int, Int, Int, Int), _ images: Int) {
        let g = Self.geometry(s)
        let x = Self.pooledSpikes(images * g.inputSize, seed: 6)
        let dy = randomFloats(images * g.outputSize, in: -1...1, seed: 7)
        let start = randomFloats(g.weightCount, in: -0.1...0.1, seed: 8)   // accumulates onto what is there
        var gw = start
        DirectConv3x3.weightGradient(g, input: x, images: images, gradOutput: dy, gradWeights: &gw)
        var ref = start
        DirectConv3x3.weightGradientReference(g, input: x, images: images, gradOutput: dy, gradWeights: &ref)
        #expect(gw.map(\.bitPattern) == ref.map(\.bitPattern))
        for blocking in DirectConv3x3.Blocking.allCases {
            var gwb = start
            DirectConv3x3.weightGradient(g, input: x, images: images, gradOutput: dy, gradWeights: &gwb, blocking: blocking)
            #expect(gwb.map(\.bitPattern) == ref.map(\.bitPattern), "\(blocking)")
        }
        // Image by image (as another split of the work would run it): the same bits.
        var split = start
        for n in 0..<images {
            DirectConv3x3.weightGradient(g, input: Array(x[(n * g.inputSize)..<((n + 1) * g.inputSize)]), images: 1,
                                         gradOutput: Array(dy[(n * g.outputSize)..<((n + 1) * g.outputSize)]), gradWeights: &split)
        }
        #expect(split.map(\.bitPattern) == gw.map(\.bitPattern))
        var gemm = start
        var scratch = [Float](repeating: 0, count: Conv2D.scratchCount(g, images: images))
        Conv2D.backward(g, input: x, images: images, weights: start, gradOutput: dy, gradWeights: &gemm, gradBias: nil,
                        gradInput: nil, scratch: &scratch)
        #expect(worstViolation(gw, gemm, rtol: 1e-4, atol: 1e-4) <= 1)
    }

    /// Which geometries take which kernel: W2's second conv all three, its first conv (1 input channel) all but the
    /// input gradient (16 input channels at a time).
    @Test func supportRules() {
        let conv2 = ConvGeometry(height: 14, width: 14, channels: 16, kernel: 3, stride: 1, padding: 1, outChannels: 32)
        #expect(DirectConv3x3.supportsForward(conv2) && DirectConv3x3.supportsWeightGradient(conv2)
                && DirectConv3x3.supportsInputGradient(conv2))
        let conv1 = ConvGeometry(height: 28, width: 28, channels: 1, kernel: 3, stride: 1, padding: 1, outChannels: 16)
        #expect(DirectConv3x3.supportsForward(conv1) && DirectConv3x3.supportsWeightGradient(conv1)
                && !DirectConv3x3.supportsInputGradient(conv1))
        for g in [ConvGeometry(height: 8, width: 8, channels: 16, kernel: 3, stride: 2, padding: 1, outChannels: 32),
                  ConvGeometry(height: 8, width: 8, channels: 16, kernel: 5, stride: 1, padding: 2, outChannels: 32),
                  ConvGeometry(height: 8, width: 8, channels: 16, kernel: 3, stride: 1, padding: 1, outChannels: 24)] {
            #expect(!DirectConv3x3.supportsForward(g))
        }
    }

    /// Both gradients against central differences of L = Σ r·conv(x, w) (Double-accumulated convolution), at a
    /// spread of coordinates, on a small case with padding and odd sizes.
    @Test func gradientsMatchFiniteDifferences() {
        let g = ConvGeometry(height: 5, width: 3, channels: 16, kernel: 3, stride: 1, padding: 1, outChannels: 32)
        let x = randomFloats(g.inputSize, in: -1...1, seed: 31)
        let w = randomFloats(g.weightCount, in: -0.5...0.5, seed: 32)
        let r = randomFloats(g.outputSize, in: -1...1, seed: 33)   // dL/dy
        func loss(_ x: [Float], _ w: [Float]) -> Double {
            let y = Conv2D.forwardReference(g, input: x, images: 1, weights: w, bias: nil)
            return zip(y, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        var gw = [Float](repeating: 0, count: g.weightCount)
        DirectConv3x3.weightGradient(g, input: x, images: 1, gradOutput: r, gradWeights: &gw)
        var dx = [Float](repeating: 0, count: g.inputSize)
        DirectConv3x3.inputGradient(g, images: 1, weights: w, gradOutput: r, gradInput: &dx)
        let h: Float = 1.0 / 64   // exact in float, so x ± h is exact for |x| ≤ 1
        for i in stride(from: 0, to: g.weightCount, by: 97) {
            var p = w, m = w
            p[i] += h; m[i] -= h
            let fd = (loss(x, p) - loss(x, m)) / Double(2 * h)
            #expect(abs(fd - Double(gw[i])) <= 1e-3 * max(1, abs(fd)), "dW[\(i)]: \(gw[i]) vs \(fd)")
        }
        for i in stride(from: 0, to: g.inputSize, by: 7) {
            var p = x, m = x
            p[i] += h; m[i] -= h
            let fd = (loss(p, w) - loss(m, w)) / Double(2 * h)
            #expect(abs(fd - Double(dx[i])) <= 1e-3 * max(1, abs(fd)), "dx[\(i)]: \(dx[i]) vs \(fd)")
        }
    }
}
