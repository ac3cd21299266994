import Testing
import SNNCore

/// A small deterministic generator for test data (independent of the product's RNG).
struct TestRNG {
    var s: UInt64
    mutating func next() -> UInt64 { s &+= 0x9E37_79B9_7F4A_7C15; var z = s; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB; return z ^ (z >> 31) }
    mutating func float(_ lo: Float = -1, _ hi: Float = 1) -> Float { lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24) }
    mutating func floats(_ n: Int, _ lo: Float = -1, _ hi: Float = 1) -> [Float] { (0..<n).map { _ in float(lo, hi) } }
}

@Suite struct LinearTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesTripleLoop(ta: Bool, tb: Bool) {
        var r = TestRNG(s: 1)
        let (m, n, k) = (7, 19, 13)
        let a = r.floats(m * k), b = r.floats(k * n)
        var c = r.floats(m * n), ref = c
        let lda = ta ? m : k, ldb = tb ? k : n
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            BLAS.gemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: ap.baseAddress!, lda: lda,
                      b: bp.baseAddress!, ldb: ldb, beta: 2, c: cp.baseAddress!, ldc: n)
        }}}
        BLAS.gemmReference(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 2, c: &ref, ldc: n)
        for i in c.indices { #expect(abs(c[i] - ref[i]) < 1e-4) }
    }

    @Test(arguments: [(3, 1, 1), (3, 2, 0), (1, 1, 0), (5, 1, 2)])
    func convForwardMatchesDirectLoops(kernel: Int, stride: Int, padding: Int) {
        var r = TestRNG(s: 2)
        let g = ConvGeometry(height: 9, width: 8, channels: 3, kernel: kernel, stride: stride, padding: padding, outChannels: 5)
        let images = 3
        let x = r.floats(images * g.inputSize), w = r.floats(g.weightCount), b = r.floats(5)
        var y = [Float](repeating: 0, count: images * g.outputSize)
        var scratch = [Float](repeating: 0, count: Conv2D.scratchCount(g, images: images))
        Conv2D.forward(g, input: x, images: images, weights: w, bias: b, output: &y, scratch: &scratch)
        let ref = Conv2D.forwardReference(g, input: x, images: images, weights: w, bias: b)
        for i in y.indices { #expect(abs(y[i] - ref[i]) < 1e-4) }
    }

    /// The backward pass is the adjoint of the forward: <conv(x), dy> differentiated by finite differences.
    @Test func convBackwardMatchesFiniteDifferences() {
        var r = TestRNG(s: 3)
        let g = ConvGeometry(height: 6, width: 5, channels: 2, kernel: 3, stride: 1, padding: 1, outChannels: 3)
        let images = 2
        let x = r.floats(images * g.inputSize), w = r.floats(g.weightCount), dy = r.floats(images * g.outputSize)
        func loss(_ x: [Float], _ w: [Float]) -> Double {
            let y = Conv2D.forwardReference(g, input: x, images: images, weights: w, bias: nil)
            return zip(y, dy).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        var gw = [Float](repeating: 0, count: w.count), gx = [Float](repeating: 0, count: x.count)
        var scratch = [Float](repeating: 0, count: Conv2D.scratchCount(g, images: images))
        Conv2D.backward(g, input: x, images: images, weights: w, gradOutput: dy, gradWeights: &gw, gradBias: nil,
                        gradInput: &gx, scratch: &scratch)
        let h: Float = 1e-2
        for i in stride(from: 0, to: w.count, by: 5) {
            var wp = w, wm = w; wp[i] += h; wm[i] -= h
            let fd = (loss(x, wp) - loss(x, wm)) / Double(2 * h)
            #expect(abs(fd - Double(gw[i])) < 2e-3 * max(1, abs(fd)))
        }
        for i in stride(from: 0, to: x.count, by: 7) {
            var xp = x, xm = x; xp[i] += h; xm[i] -= h
            let fd = (loss(xp, w) - loss(xm, w)) / Double(2 * h)
            #expect(abs(fd - Double(gx[i])) < 2e-3 * max(1, abs(fd)))
        }
    }

    @Test func fanOutCountsBorderTapsExactly() {
        // 3x3 input, 3x3 kernel, padding 1: the centre pixel is read by all 9 outputs, a corner by 4, an edge by 6.
        let g = ConvGeometry(height: 3, width: 3, channels: 1, kernel: 3, stride: 1, padding: 1, outChannels: 1)
        #expect(g.inputFanOut() == [4, 6, 4, 6, 9, 6, 4, 6, 4])
        #expect(g.validTaps() == 49)
    }
}

@Suite struct EventCountingTests {
    /// The SIMD non-zero count equals a plain loop, including sizes that are not a multiple of 16.
    @Test(arguments: [0, 1, 15, 16, 17, 255, 1000])
    func nonZerosMatchesAPlainCount(count: Int) {
        var r = TestRNG(s: UInt64(count) + 1)
        let x: [Float] = (0..<count).map { _ in
            let u = r.float(0, 1)
            return u < 0.6 ? 0 : (u < 0.8 ? 0.25 : -1)
        }
        let reference = x.filter { $0 != 0 }.count
        #expect(x.withUnsafeBufferPointer { Events.nonZeros($0.baseAddress ?? UnsafePointer(bitPattern: 16)!, count: count) } == reference)
    }
}
