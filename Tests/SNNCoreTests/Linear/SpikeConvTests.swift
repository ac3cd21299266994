import Testing
import SNNCore

/// The event-driven convolution (`SpikeConv2D`) against its scalar reference (bit for bit), and against the dense
/// Double-precision convolution and the im2col weight gradient (to rounding).
@Suite struct SpikeConvTests {
    /// Sparse input like W2's: about `density` of the values non-zero, each a pooled-spike level k/4 (or 1 when binary).
    static func sparseInput(_ count: Int, density: Double, binary: Bool, seed: UInt64) -> [Float] {
        var g = TestGenerator(seed: seed)
        return (0..<count).map { _ in
            guard Double.random(in: 0..<1, using: &g) < density else { return 0 }
            return binary ? 1 : Float(Int.random(in: 1...4, using: &g)) / 4
        }
    }

    // (height, width, channels, kernel, stride, padding, outChannels)
    static let geometries: [(Int, Int, Int, Int, Int, Int, Int)] = [
        (14, 14, 16, 3, 1, 1, 32),   // W2's second conv
        (7, 9, 3, 3, 1, 1, 16),      // one vector of output channels
        (8, 8, 5, 3, 2, 0, 48),      // a pair then a single vector; stride 2
        (6, 5, 4, 5, 1, 2, 64),      // two pairs; 5x5 (three even kernel rows)
        (5, 5, 2, 1, 1, 0, 16),      // 1x1
    ]

    @Test(arguments: geometries, [false, true])
    func forwardEqualsScalarReferenceBitForBit(_ s: (Int, Int, Int, Int, Int, Int, Int), _ withBias: Bool) {
        let g = ConvGeometry(height: s.0, width: s.1, channels: s.2, kernel: s.3, stride: s.4, padding: s.5, outChannels: s.6)
        #expect(SpikeConv2D.supports(g))
        let images = 3
        let x = Self.sparseInput(images * g.inputSize, density: 0.3, binary: false, seed: 11)
        let w = randomFloats(g.weightCount, in: -0.5...0.5, seed: 12)
        let b: [Float]? = withBias ? randomFloats(g.outChannels, in: -0.2...0.2, seed: 13) : nil
        let y = Self.runForward(g, x, images: images, w, b)
        let ref = SpikeConv2D.forwardReference(g, input: x, images: images, weights: w, bias: b)
        #expect(y.map(\.bitPattern) == ref.map(\.bitPattern))
        // And the convolution it computes is the convolution (Double-accumulated, every term).
        let dense = Conv2D.forwardReference(g, input: x, images: images, weights: w, bias: b)
        #expect(worstViolation(y, dense, rtol: 1e-5, atol: 1e-5) <= 1)
    }

    @Test func allZeroInputGivesTheBiasAndBinaryInputIsASumOfWeights() {
        let g = ConvGeometry(height: 4, width: 4, channels: 2, kernel: 3, stride: 1, padding: 1, outChannels: 16)
        let w = randomFloats(g.weightCount, in: -1...1, seed: 5)
        let b = randomFloats(16, in: -1...1, seed: 6)
        let zero = Self.runForward(g, [Float](repeating: 0, count: g.inputSize), images: 1, w, b)
        for p in 0..<g.outputPositions { #expect(Array(zero[(p * 16)..<(p * 16 + 16)]) == b) }
        // One spike at pixel (1, 2), channel 1: output (oy, ox) gets W[ky = 1 − oy + 1, kx = 2 − ox + 1, 1, :].
        var x = [Float](repeating: 0, count: g.inputSize)
        x[(1 * 4 + 2) * 2 + 1] = 1
        let y = Self.runForward(g, x, images: 1, w, nil)
        for oy in 0..<4 { for ox in 0..<4 {
            let ky = 1 - oy + 1, kx = 2 - ox + 1
            let o = Array(y[((oy * 4 + ox) * 16)..<((oy * 4 + ox) * 16 + 16)])
            if (0..<3).contains(ky) && (0..<3).contains(kx) {
                let base = ((ky * 3 + kx) * 2 + 1) * 16
                #expect(o == Array(w[base..<(base + 16)]))
            } else {
                #expect(o == [Float](repeating: 0, count: 16))
            }
        }}
    }

    @Test(arguments: geometries)
    func weightGradientEqualsScalarReferenceAndIm2colGemm(_ s: (Int, Int, Int, Int, Int, Int, Int)) {
        let g = ConvGeometry(height: s.0, width: s.1, channels: s.2, kernel: s.3, stride: s.4, padding: s.5, outChannels: s.6)
        let images = 3
        let x = Self.sparseInput(images * g.inputSize, density: 0.25, binary: true, seed: 21)
        let dy = randomFloats(images * g.outputSize, in: -1...1, seed: 22)
        let start = randomFloats(g.weightCount, in: -0.1...0.1, seed: 23)   // accumulates onto what is there
        var gw = start
        var values = [Float](repeating: 0, count: SpikeConv2D.scratchCount(g))
        var rows = [Int32](repeating: 0, count: SpikeConv2D.scratchCount(g) + g.height * g.width)
        rows.withUnsafeMutableBufferPointer { r in
            SpikeConv2D.weightGradient(g, input: x, images: images, gradOutput: dy, gradWeights: &gw, values: &values,
                                       rows: r.baseAddress!, counts: r.baseAddress! + SpikeConv2D.scratchCount(g))
        }
        var ref = start
        SpikeConv2D.weightGradientReference(g, input: x, images: images, gradOutput: dy, gradWeights: &ref)
        #expect(gw.map(\.bitPattern) == ref.map(\.bitPattern))
        // Against the im2col + GEMM weight gradient (a different summation order: to rounding).
        var gemm = start
        var dx = [Float](repeating: 0, count: images * g.inputSize)
        var scratch = [Float](repeating: 0, count: Conv2D.scratchCount(g, images: images))
        Conv2D.backward(g, input: x, images: images, weights: start, gradOutput: dy, gradWeights: &gemm, gradBias: nil,
                        gradInput: &dx, scratch: &scratch)
        #expect(worstViolation(gw, gemm, rtol: 1e-4, atol: 1e-4) <= 1)
        // The input-gradient-only path equals the full backward's input gradient bit for bit (same GEMM, same scatter).
        var dx2 = [Float](repeating: 7, count: images * g.inputSize)
        Conv2D.inputGradient(g, images: images, weights: start, gradOutput: dy, gradInput: &dx2, scratch: &scratch)
        #expect(dx2.map(\.bitPattern) == dx.map(\.bitPattern))
    }

    static func runForward(_ g: ConvGeometry, _ x: [Float], images: Int, _ w: [Float], _ b: [Float]?) -> [Float] {
        var y = [Float](repeating: .nan, count: images * g.outputSize)
        var values = [Float](repeating: 0, count: SpikeConv2D.scratchCount(g))
        var rows = [Int32](repeating: 0, count: SpikeConv2D.scratchCount(g) + g.height * g.width)
        rows.withUnsafeMutableBufferPointer { r in
            if let b {
                SpikeConv2D.forward(g, input: x, images: images, weights: w, bias: b, output: &y, values: &values,
                                    rows: r.baseAddress!, counts: r.baseAddress! + SpikeConv2D.scratchCount(g))
            } else {
                SpikeConv2D.forward(g, input: x, images: images, weights: w, bias: nil, output: &y, values: &values,
                                    rows: r.baseAddress!, counts: r.baseAddress! + SpikeConv2D.scratchCount(g))
            }
        }
        return y
    }
}
