import Foundation
import Testing
import SNNCore

/// Block rounding of gradients and updates (run spec `training.communication`) against their definitions, worked out
/// here with exact rational arithmetic on the values (a float times a power of two, compared as `Double`): the quantum
/// of each block of 256 from its largest magnitude, every value the nearest multiple (ties to even), at most `bits` + 1
/// significant bits, and for updates the carried error that makes old + applied + residual exactly the intended value.
/// The kernels run in `Float` lanes where that is exact and fall back to the `Double` form elsewhere (a block of zeros, a
/// non-finite value); the per-element checks below cover both.
@Suite struct QuantizationTests {
    /// Values whose magnitudes differ by up to 2^40 between blocks and by 2^12 inside one, a zero block, a block mixing
    /// 2^90 with subnormals, and a short last block.
    static func gradient(count: Int, seed: UInt64) -> [Float] {
        var g = TestGenerator(seed: seed)
        return (0..<count).map { i in
            let block = i / 256
            if block == 2 { return 0 }
            let u = Float(Int64(g.next() >> 40) - (1 << 23)) / Float(1 << 23)
            // Block 5 mixes 2^90 and subnormal magnitudes: scaling the small ones by 2^−e underflows.
            if block == 5 { return u * Float(sign: .plus, exponent: i % 2 == 0 ? 90 : -140, significand: 1) }
            let scale = Float(sign: .plus, exponent: -((block * 7) % 40) - Int(g.next() % 12), significand: 1)
            return u * scale
        }
    }

    /// The quantum exponent of the block holding `values`, by the definition (exponent of the largest magnitude + 1 − bits).
    static func quantumExponent(_ values: ArraySlice<Float>, bits: Int, floor: Int) -> Int {
        let m = values.map(\.magnitude).max() ?? 0
        return m == 0 ? floor : max(Int(m.exponent) + 1 - bits, floor)
    }

    @Test(arguments: [2, 8, 12, 24])
    func gradientsAreTheNearestMultipleOfTheirBlocksQuantum(bits: Int) throws {
        let n = 256 * 9 + 37
        let g = Self.gradient(count: n, seed: UInt64(bits))
        var rounded = g
        GradientQuantization.round(&rounded, bits: bits)
        #expect(rounded == GradientQuantization.reference(g, bits: bits))
        for start in stride(from: 0, to: n, by: 256) {
            let block = g[start..<min(start + 256, n)]
            let e = Self.quantumExponent(block, bits: bits, floor: -32)
            let quantum = Double(sign: .plus, exponent: e, significand: 1)
            for i in block.indices {
                let q = Double(rounded[i]) / quantum
                #expect(q == q.rounded(), "value \(i) is not a multiple of 2^\(e)")
                #expect(q.magnitude <= Double(1 << bits), "value \(i) needs more than \(bits) + 1 bits")
                // Nearest: within half a quantum of the original, and exactly half only on an even multiple.
                let error = (Double(rounded[i]) - Double(g[i])).magnitude
                #expect(error <= quantum / 2 && (error < quantum / 2 || Int64(q) % 2 == 0), "value \(i): error \(error), quantum \(quantum)")
            }
        }
        // In fixed point (2^-32) each rounded value is an integer with at least e + 32 trailing zero bits (block 5's
        // 2^90 is beyond fixed point's ±2^30 and is skipped: `FixedPoint` refuses it).
        let fixed = rounded.map { $0.magnitude < 1_073_741_824 ? Int64((Double($0) * 4_294_967_296).rounded()) : 0 }
        for start in stride(from: 0, to: n, by: 256) {
            let e = Self.quantumExponent(g[start..<min(start + 256, n)], bits: bits, floor: -32)
            #expect(fixed[start..<min(start + 256, n)].allSatisfy { $0 == 0 || $0.trailingZeroBitCount >= e + 32 })
        }
    }

    @Test func aBlockWithANaNIsLeftForFixedPointToRefuse() {
        var g = Self.gradient(count: 600, seed: 9)
        g[300] = .nan
        let before = g
        GradientQuantization.round(&g, bits: 8)
        #expect(g[300].isNaN)
        #expect(zip(g[256..<512], before[256..<512]).allSatisfy { $0.bitPattern == $1.bitPattern })   // untouched
        #expect(g[0..<256] != before[0..<256])                                                          // others rounded
    }

    @Test(arguments: [4, 8, 16])
    func updatesAreRoundedPerBlockAndTheErrorIsCarried(bits: Int) {
        let n = 256 * 5 + 11
        let old = Self.gradient(count: n, seed: 41).map { $0 * 1000 }
        let step = Self.gradient(count: n, seed: 42)
        let optimizer = zip(old, step).map { $0 - $1 * 0.01 }
        let carried = Self.gradient(count: n, seed: 43).map { $0 * 1e-4 }
        var parameters = optimizer, residual = carried
        let u = UpdateQuantization.apply(old: old, parameters: &parameters, residual: &residual, bits: bits)
        #expect(u.codes.count == n && u.exponents.count == 6)
        for b in 0..<6 {
            let range = (b * 256)..<min(b * 256 + 256, n)
            let intended = range.map { (optimizer[$0] - old[$0]) + carried[$0] }   // the float d of the definition
            let e = Self.quantumExponent(intended[...], bits: bits, floor: -149)
            #expect(Int(u.exponents[b]) == e + 149)
            let quantum = Double(sign: .plus, exponent: e, significand: 1)
            for (k, i) in range.enumerated() {
                let z = u.codes[i]
                let q = Int64(Int32(bitPattern: (z >> 1) ^ (0 &- (z & 1))))
                #expect(Double(q) == (Double(intended[k]) / quantum).rounded(.toNearestOrEven))
                #expect(q.magnitude <= UInt64(1) << bits)
                #expect(parameters[i] == old[i] + Float(Double(q) * quantum))
                // Nothing of the intended update is lost: applied + new residual == intended, exactly.
                #expect(Double(q) * quantum + Double(residual[i]) == Double(intended[k]))
            }
        }
        // The worker's rebuild from the integers gives the same bits.
        var rebuilt = old
        rebuilt.withUnsafeMutableBufferPointer { u.rebuilt(from: $0.baseAddress!, count: n) }
        #expect(zip(rebuilt, parameters).allSatisfy { $0.bitPattern == $1.bitPattern })
    }

    /// Blocks are independent: any number of threads gives the same bits (a vector long enough to be split).
    @Test func updateRoundingIsTheSameOnOneAndThreeThreads() {
        let n = 256 * 400 + 99
        let old = Self.gradient(count: n, seed: 51), step = Self.gradient(count: n, seed: 52)
        let optimizer = zip(old, step).map { $0 - $1 * 0.05 }
        var p1 = optimizer, r1 = [Float](repeating: 0, count: n), p3 = optimizer, r3 = r1
        let one = UpdateQuantization.apply(old: old, parameters: &p1, residual: &r1, bits: 7, threads: 1)
        let three = UpdateQuantization.apply(old: old, parameters: &p3, residual: &r3, bits: 7, threads: 3)
        #expect(one == three)
        #expect(p1.map(\.bitPattern) == p3.map(\.bitPattern) && r1.map(\.bitPattern) == r3.map(\.bitPattern))
    }

    @Test func aNonFiniteUpdateKeepsTheOptimizersValueUnrounded() {
        let old: [Float] = Array(repeating: 1, count: 300)
        var parameters = old.map { $0 + 0.001 }
        parameters[5] = .infinity
        var residual = [Float](repeating: 0.5, count: 300)
        let u = UpdateQuantization.apply(old: old, parameters: &parameters, residual: &residual, bits: 8)
        #expect(parameters[5] == .infinity && residual[5] == 0 && u.codes[5] == 0)
        // The block's quantum comes from the finite values: d = 0.001 + 0.5 (exponent −1) → 2^(−1 + 1 − 8).
        #expect(Int(u.exponents[0]) == -8 + 149)
    }

    /// Error feedback: an update far below the block's quantum (next to a large one) is not lost; over many steps the
    /// parameter moves by the intended total within one quantum.
    @Test func smallUpdatesAccumulateThroughTheResidual() {
        var parameters: [Float] = [0, 0], residual: [Float] = [0, 0]
        for _ in 0..<1000 {
            let old = parameters
            parameters[0] += 1          // sets the quantum: 2^(0 + 1 − 4) = 1/8
            parameters[1] += 0.001      // 1/125 of a quantum: rounds to 0 on its own
            _ = UpdateQuantization.apply(old: old, parameters: &parameters, residual: &residual, bits: 4)
        }
        #expect(parameters[0] == 1000)
        #expect((Double(parameters[1]) - 1.0).magnitude <= 0.125, "\(parameters[1])")
        #expect(parameters[1] > 0.8)
    }
}
