import Testing
import SNNCore

/// The fused fixed-point kernels against the one-element-at-a-time references, bit for bit: `encodeChecked` against
/// `encodeReference` and the definition of the fast range (|x| < 2^19), `valueOfSum` against `encodeReference` per
/// contribution, `addReference` in order and `valueReference`.
@Suite struct FixedPointFusedKernelTests {
    @Test func encodeAddFastAddsTheRoundedValuesLikeTheReferences() {
        let x = FixedPointKernelTests.values()
        var acc = (0..<x.count).map { Int64($0) * 1_000_003 - 7_000_000 }, ref = acc
        FixedPointKernels.encodeAddFast(x, count: x.count, into: &acc)
        var rounded = [Int64](repeating: 0, count: x.count)
        FixedPointKernels.encodeReference(x, count: x.count, into: &rounded)
        #expect(FixedPointKernels.addReference(into: &ref, rounded, count: x.count) == nil)
        #expect(acc == ref)
    }

    @Test func encodeCheckedConvertsLikeTheReferenceAndFlagsEveryValueOutsideTheFastRange() {
        let x = FixedPointKernelTests.values()
        var out = [Int64](repeating: 7, count: x.count), ref = out
        #expect(FixedPointKernels.encodeChecked(x, count: x.count, into: &out))
        FixedPointKernels.encodeReference(x, count: x.count, into: &ref)
        #expect(out == ref)
        // One offender at a time, in vector lanes and in the tail: reported (the definition says not fast).
        let base = randomFloats(37, in: -1000...1000, seed: 3)
        for bad: Float in [.nan, -.nan, .infinity, -.infinity, 524_288, -524_288, 1e30, .greatestFiniteMagnitude] {
            for i in [0, 15, 16, 31, 36] {
                var y = base; y[i] = bad
                var q = [Int64](repeating: 0, count: y.count)
                #expect(!FixedPointKernels.encodeChecked(y, count: y.count, into: &q), "\(bad) at \(i)")
                #expect(!y.allSatisfy { $0.magnitude < 524_288 })
            }
        }
        // The largest values inside the range, subnormals and signed zeros are fast and convert exactly.
        let edge: [Float] = [524_287.97, -524_287.97, .leastNonzeroMagnitude, -.leastNormalMagnitude, -0.0, 0]
        var q = [Int64](repeating: 9, count: edge.count), r = q
        #expect(FixedPointKernels.encodeChecked(edge, count: edge.count, into: &q))
        FixedPointKernels.encodeReference(edge, count: edge.count, into: &r)
        #expect(q == r)
        #expect(FixedPointKernels.encodeChecked([Float](), count: 0, into: &q))
    }

    @Test(arguments: [1, 2, 3, 7])
    func valueOfSumEqualsEncodeAddAndValue(contributions k: Int) {
        // 4,133 elements: blocks at an offset, a length that is not a multiple of 16; magnitudes from 2^-30 to
        // just below 2^19 (sums of up to 7 such values reach beyond 2^51, past the magic decode's range).
        let n = 4_133
        var gradients: [[Float]] = []
        for c in 0..<k {
            var g = randomFloats(n, in: -1...1, seed: UInt64(40 + c))
            for i in stride(from: c, to: n, by: 7) { g[i] *= 1e-9 }
            for i in stride(from: 3 + c, to: n, by: 101) { g[i] = (c % 2 == 0 ? 1 : -1) * 524_287.97 }
            g[5] = 0x1p-33; g[6] = -0x1.8p-32                 // ties of the rounding
            gradients.append(g)
        }
        for factor in [1.0, 1.0 / 128, 1.0 / 3] {
            for (offset, count) in [(0, n), (17, 4_096), (n - 5, 5)] {
                var fused = [Float](repeating: .nan, count: count), ref = fused
                var scratch = [Int64](repeating: 0, count: count)
                withPointers(gradients) { bases in
                    FixedPointKernels.valueOfSum(bases, contributionCount: k, offset: offset, count: count, times: factor,
                                                 scratch: &scratch, into: &fused)
                    FixedPointKernels.valueOfSumReference(bases, offset: offset, count: count, times: factor, into: &ref)
                }
                #expect(fused.map(\.bitPattern) == ref.map(\.bitPattern), "\(k) contributions, factor \(factor), at \(offset)")
            }
        }
    }

    /// Calls `body` with the base addresses of the arrays.
    func withPointers(_ arrays: [[Float]], _ body: ([UnsafePointer<Float>]) -> Void) {
        func go(_ i: Int, _ done: [UnsafePointer<Float>]) {
            guard i < arrays.count else { body(done); return }
            arrays[i].withUnsafeBufferPointer { go(i + 1, done + [$0.baseAddress!]) }
        }
        go(0, [])
    }
}
