import Testing
import SNNCore

/// The split of element-wise loops over threads, and the fixed-point kernels on vectors as long as W1's (407 k
/// parameters): the same bits as the references.
@Suite struct ParallelRangesTests {
    @Test(arguments: [1, 17, 32_767, 65_536, 131_072, 131_089, 407_050, 1_000_003])
    func rangesCoverInOrderOnCacheLines(count: Int) {
        for threads in [1, 2, 3, 8] {
            let parts = ParallelRanges.split(count: count, threads: threads)
            // Contiguous, in order, covering 0..<count, every inner boundary a multiple of 64.
            var next = 0
            for r in parts {
                #expect(r.lowerBound == next && !r.isEmpty)
                #expect(r.lowerBound % 64 == 0)
                next = r.upperBound
            }
            #expect(next == count)
            // As many ranges as the threads allow with at least minimumPerThread elements each (one for shorter vectors).
            #expect(parts.count == max(1, min(threads, count / ParallelRanges.minimumPerThread)))
        }
    }

    @Test func forEachVisitsEveryElementOnce() {
        let n = 300_001
        var hits = [UInt8](repeating: 0, count: n)
        hits.withUnsafeMutableBufferPointer { h in
            let p = Hits(h.baseAddress!)
            ParallelRanges.forEach(count: n, threads: 3) { r in for i in r { p.pointer[i] &+= 1 } }
        }
        let once = hits.allSatisfy { $0 == 1 }
        #expect(once)
    }

    /// W1-length vectors: every fixed-point kernel against its reference, bit for bit.
    @Test func fixedPointKernelsOnLongVectorsEqualReferences() {
        let n = 407_050
        var x = randomFloats(n, in: -1...1, seed: 11)
        for i in stride(from: 0, to: n, by: 997) { x[i] *= 1e-6 }
        var fast = [Int64](repeating: 3, count: n), ref = fast
        FixedPointKernels.encode(x, count: n, into: &fast)
        FixedPointKernels.encodeReference(x, count: n, into: &ref)
        let sameEncode = fast == ref
        #expect(sameEncode)
        // A huge value sends the vector through the reference path: still equal.
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
        // Overflow near the end only: reported at its index, and every element rolled back.
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

    @Test func allFastEqualsItsDefinition() {
        let n = 200_000
        let x = randomFloats(n, in: -1000...1000, seed: 5)
        for (value, at) in [(Float(0), 0), (Float.nan, 150_000), (Float.infinity, 3), (-Float.infinity, n - 1),
                            (Float(524_288), 199_000), (Float(-524_287.97), 70_000)] {
            var y = x; y[at] = value
            #expect(FixedPointKernels.allFast(y, count: n) == y.allSatisfy { $0.magnitude < 524_288 })
        }
        #expect(!FixedPointKernels.allFast([-Float.nan], count: 1))
        #expect(FixedPointKernels.allFast([Float](), count: 0))
    }
}

/// A buffer address shared by the ranges of one `forEach` (each touches its own elements).
private struct Hits: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt8>
    init(_ p: UnsafeMutablePointer<UInt8>) { pointer = p }
}
