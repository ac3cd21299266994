import Testing
import SNNCore

/// The split of element-wise loops over the cores, and the kernels that use it on vectors long enough to be split
/// (W1's 407 k parameters): the same bits as the one-range references.
@Suite struct ParallelRangesTests {
    @Test(arguments: [0, 1, 17, 65_535, 65_536, 131_072, 131_089, 407_050, 1_000_003])
    func rangesCoverInOrderOnVectorBoundaries(count: Int) {
        for cores in [1, 2, 3, 8] {
            let parts = ParallelRanges.ranges(count: count, cores: cores, minimumPerRange: 65_536)
            // Contiguous, in order, covering 0..<count, every inner boundary a multiple of 16.
            var next = 0
            for r in parts {
                #expect(r.lowerBound == next && !r.isEmpty)
                #expect(r.lowerBound % 16 == 0)
                next = r.upperBound
            }
            #expect(next == count)
            // As many ranges as the cores allow with at least 65,536 elements each (one for shorter vectors).
            let expected = count == 0 ? 0 : max(1, min(cores, count / 65_536))
            #expect(parts.count == expected)
        }
    }

    @Test func runVisitsEveryElementOnce() {
        let n = 300_001
        var hits = [UInt8](repeating: 0, count: n)
        hits.withUnsafeMutableBufferPointer { h in
            let p = h.baseAddress!
            ParallelRanges.run(count: n) { r in for i in r { p[i] &+= 1 } }
        }
        let once = hits.allSatisfy { $0 == 1 }
        #expect(once)
    }

    /// Long enough for several ranges: every split kernel against its reference, bit for bit.
    @Test func fixedPointKernelsOnLongVectorsEqualReferences() {
        let n = 407_050
        var x = randomFloats(n, in: -1...1, seed: 11)
        for i in stride(from: 0, to: n, by: 997) { x[i] *= 1e-6 }
        var fast = [Int64](repeating: 3, count: n), ref = fast
        FixedPointKernels.encode(x, count: n, into: &fast)
        FixedPointKernels.encodeReference(x, count: n, into: &ref)
        let sameEncode = fast == ref
        #expect(sameEncode)
        // A huge value in the last range sends that range through the reference path: still equal.
        var y = x; y[n - 5] = 600_000
        FixedPointKernels.encode(y, count: n, into: &fast)
        FixedPointKernels.encodeReference(y, count: n, into: &ref)
        let sameEncode2 = fast == ref
        #expect(sameEncode2)

        var sumFast = fast, sumRef = fast
        #expect(FixedPointKernels.add(into: &sumFast, ref, count: n) == nil)
        #expect(FixedPointKernels.addReference(into: &sumRef, ref, count: n) == nil)
        let sameSum = sumFast == sumRef
        #expect(sameSum)
        // Overflow in the last range only: reported at its index, and every element of every range rolled back.
        var big = [Int64](repeating: 1, count: n); big[n - 100] = Int64.max
        var acc = sumFast; acc[n - 100] = 5
        let saved = acc
        #expect(FixedPointKernels.add(into: &acc, big, count: n) == n - 100)
        let rolledBack = acc == saved
        #expect(rolledBack)

        var d1 = [Float](repeating: .nan, count: n), d2 = d1
        FixedPointKernels.decode(sumFast, count: n, dividedBy: 4_294_967_296 * 3, into: &d1)
        FixedPointKernels.decodeReference(sumFast, count: n, dividedBy: 4_294_967_296 * 3, into: &d2)
        do { let same = d1.map(\.bitPattern) == d2.map(\.bitPattern); #expect(same) }
        FixedPointKernels.value(sumFast, count: n, times: 1.0 / 128, into: &d1)
        FixedPointKernels.valueReference(sumFast, count: n, times: 1.0 / 128, into: &d2)
        do { let same = d1.map(\.bitPattern) == d2.map(\.bitPattern); #expect(same) }
    }

    @Test func allBelowEqualsReference() {
        let n = 200_000
        let x = randomFloats(n, in: -1000...1000, seed: 5)
        for (value, at) in [(Float(0), 0), (Float.nan, 150_000), (Float.infinity, 3), (-Float.infinity, n - 1),
                            (Float(1024), 199_000), (Float(-1023.9999), 70_000)] {
            var y = x; y[at] = value
            let fast = FixedPointKernels.allBelow(y, count: n, limit: 1024)
            #expect(fast == FixedPointKernels.allBelowReference(y, count: n, limit: 1024))
        }
        #expect(FixedPointKernels.allBelow(x, count: n, limit: 1000.5))
        #expect(!FixedPointKernels.allBelow([-Float.nan], count: 1, limit: 1))
        #expect(FixedPointKernels.allBelow([Float](), count: 0, limit: 1))
    }
}
