import Testing
import SNNCore

/// The vector fixed-point loops against their one-element-at-a-time references, bit for bit, including the values
/// at the edges of the fast range (ties, ±2^19, huge values that take the reference path) and overflow roll-back.
@Suite struct FixedPointKernelTests {
    /// Gradient-like values over many magnitudes, exact ties at 2^-33, and the fast range's edges.
    static func values() -> [Float] {
        var x = randomFloats(4000, in: -1...1, seed: 1)
        x += randomFloats(1000, in: -1...1, seed: 2).map { $0 * 1e-7 }            // below 2^-23: fraction bits matter
        x += [0, -0.0, 1, -1, 0x1p-33, -0x1p-33, 0x1.8p-32, -0x1.8p-32, 0x1.4p-31, 524_287.97, -524_287.97]
        return x
    }

    @Test func sumEqualsCheckedAdditionAndNamesTheFirstOverflow() {
        var a = (0..<101).map { Int64($0) * 1_000_003 - 50_000_000 }, b = a.reversed().map { $0 * 3 }
        var out = [Int64](repeating: 0, count: a.count)
        #expect(FixedPointKernels.sum(a, b, count: a.count, into: &out) == nil)
        #expect(out == zip(a, b).map { $0 + $1 })
        a[40] = .max - 1; b[40] = 2; a[70] = .min; b[70] = -1
        #expect(FixedPointKernels.sum(a, b, count: a.count, into: &out) == 40)
        var acc = a
        #expect(FixedPointKernels.addReference(into: &acc, b, count: a.count) == 40)
    }

    @Test func allFastRejectsEveryValueOutsideTheFastRangeInLanesAndTail() {
        // 37 values: two full 16-lane vectors and a 5-element tail; one offender at a time in each place.
        let base = randomFloats(37, in: -1000...1000, seed: 3)
        #expect(FixedPointKernels.allFast(base, count: base.count))
        for bad: Float in [.nan, .infinity, -.infinity, 524_288, -524_288, 1e30] {
            for i in [0, 15, 16, 31, 32, 36] {
                var x = base; x[i] = bad
                #expect(!FixedPointKernels.allFast(x, count: x.count), "\(bad) at \(i)")
                // The scalar definition: every |x| < 2^19.
                #expect(x.allSatisfy { $0.magnitude < 524_288 } == false)
            }
        }
        var edge = base; edge[20] = 524_287.97; edge[35] = -524_287.97
        #expect(FixedPointKernels.allFast(edge, count: edge.count))
    }

    @Test func encodeEqualsReferenceAndRoundsTiesToEven() {
        let x = Self.values()
        var fast = [Int64](repeating: 7, count: x.count), ref = fast
        FixedPointKernels.encode(x, count: x.count, into: &fast)
        FixedPointKernels.encodeReference(x, count: x.count, into: &ref)
        #expect(fast == ref)
        // Hand-worked: 2^-33 is half a unit: ties to even give 0; 1.5·2^-32 → 2 (even); 1.25·2^-31 = 2.5 units → 2.
        var q = [Int64](repeating: 0, count: 4)
        FixedPointKernels.encode([0x1p-33, 0x1.8p-32, 0x1.4p-31, -1], count: 4, into: &q)
        #expect(q == [0, 2, 2, -4_294_967_296])
    }

    @Test func largeValuesTakeTheExactPath() {
        let x: [Float] = [1_000_000.5, -3.25, 536_870_912]   // 1e6 is beyond the magic number's range
        var q = [Int64](repeating: 0, count: 3)
        FixedPointKernels.encode(x, count: 3, into: &q)
        #expect(q == [4_294_967_296 * 1_000_000 + 2_147_483_648, -13_958_643_712, 1 << 61])
    }

    @Test func decodeAndValueEqualReferences() {
        let x = Self.values()
        var q = [Int64](repeating: 0, count: x.count)
        FixedPointKernels.encode(x, count: x.count, into: &q)
        q += [(1 << 51) - 1, -(1 << 51), 1 << 51, Int64.max / 2]   // the last two: the reference path
        for denominator in [4_294_967_296.0, 4_294_967_296.0 * 128, 3 * 4_294_967_296.0] {
            var fast = [Float](repeating: .nan, count: q.count), ref = fast
            FixedPointKernels.decode(q, count: q.count, dividedBy: denominator, into: &fast)
            FixedPointKernels.decodeReference(q, count: q.count, dividedBy: denominator, into: &ref)
            #expect(fast.map(\.bitPattern) == ref.map(\.bitPattern))
            fast = [Float](repeating: .nan, count: q.count - 2)
            ref = fast
            FixedPointKernels.decode(q, count: q.count - 2, dividedBy: denominator, into: &fast)   // all in the fast range
            FixedPointKernels.decodeReference(q, count: q.count - 2, dividedBy: denominator, into: &ref)
            #expect(fast.map(\.bitPattern) == ref.map(\.bitPattern))
        }
        for factor in [1.0, 1.0 / 128, 1.0 / 3] {
            var fast = [Float](repeating: .nan, count: q.count - 2), ref = fast
            FixedPointKernels.value(q, count: q.count - 2, times: factor, into: &fast)
            FixedPointKernels.valueReference(q, count: q.count - 2, times: factor, into: &ref)
            #expect(fast.map(\.bitPattern) == ref.map(\.bitPattern))
        }
        // Round trip of a value with an exact fixed-point form.
        var back = [Float](repeating: 0, count: 1)
        FixedPointKernels.decode([-13_958_643_712], count: 1, dividedBy: 4_294_967_296, into: &back)
        #expect(back == [-3.25])
    }

    @Test func addIsExactAndRollsBackOnOverflow() {
        let a0: [Int64] = [1, -5, Int64.max - 10, 42, Int64.min + 3]
        let b: [Int64] = [2, 5, 10, -50, -3]
        var fast = a0, ref = a0
        #expect(FixedPointKernels.add(into: &fast, b, count: 5) == nil)
        #expect(FixedPointKernels.addReference(into: &ref, b, count: 5) == nil)
        #expect(fast == [3, 0, Int64.max, -8, Int64.min] && fast == ref)
        // Overflow at element 2 (Int64.max + 1) and 4: both report 2 and leave the accumulator as it was.
        let c: [Int64] = [1, 1, 1, 1, -1]
        var f2 = fast, r2 = fast
        #expect(FixedPointKernels.add(into: &f2, c, count: 5) == 2)
        #expect(FixedPointKernels.addReference(into: &r2, c, count: 5) == 2)
        #expect(f2 == fast && r2 == fast)
    }
}
