import Foundation
import Testing
import SNNCore

/// The optimizer step fed from fixed-point gradients (decoded block by block inside the update) against its
/// reference: `FixedPointKernels.valueReference` (one Double division and multiplication per element) into a float
/// vector, then `OptimizerThreadsTests.referenceStep` per element. Bit for bit, for every optimizer kind, with and
/// without a decay mask, on 1, 2 and 3 threads, over several steps, with integers beyond the decode's fast range.
@Suite struct OptimizerFixedPointTests {
    @Test(arguments: OptimizerThreadsTests.kinds)
    func fusedDecodeAndUpdateGiveTheReferenceBits(kind: OptimizerKind) {
        // 100,003 elements: ranges split over threads, blocks of 4,096 and a short last block not a multiple of 16.
        let n = 100_003
        var generator = TestGenerator(seed: 0x5EED_F1C5)
        func next() -> UInt64 { generator.next() }
        let start = (0..<n).map { _ in Float(Int64(next() >> 40) - (1 << 23)) / Float(1 << 23) }
        let mask = (0..<n).map { _ in next() & 3 != 0 }
        let factor = 1 / 128.0
        for useMask in [false, true] {
            for threads in [1, 2, 3] {
                var p = start
                var state = OptimizerState(kind: kind, parameterCount: n)
                var rp = start, rm = [Float](repeating: 0, count: n), rv = [Float](repeating: 0, count: n)
                for step in 1...3 {
                    // Gradient sums of about ±2^32 units (±1.0), a few beyond 2^51 (the exact path of the decode).
                    var q = (0..<n).map { _ in Int64(bitPattern: next()) >> 30 }
                    for i in stride(from: 7 + step, to: n, by: 9_973) { q[i] = Int64(bitPattern: next()) >> 8 }
                    optimizerStep(kind, learningRate: 1e-3, parameters: &p, fixedPointGradients: q, times: factor,
                                  state: &state, decayMask: useMask ? mask : nil, threads: threads)
                    var g = [Float](repeating: 0, count: n)
                    q.withUnsafeBufferPointer { qb in g.withUnsafeMutableBufferPointer { gb in
                        FixedPointKernels.valueReference(qb.baseAddress!, count: n, times: factor, into: gb.baseAddress!)
                    }}
                    for i in 0..<n {
                        OptimizerThreadsTests.referenceStep(kind, lr: 1e-3, step: step, p: &rp[i], g: g[i], m: &rm[i], v: &rv[i],
                                                            decay: useMask ? mask[i] : true)
                    }
                }
                #expect(state.step == 3)
                let firstDifference = p.indices.first { p[$0].bitPattern != rp[$0].bitPattern }
                #expect(firstDifference == nil, "\(kind), mask \(useMask), \(threads) threads: first difference at \(firstDifference ?? -1)")
                if case .adam = kind {
                    #expect(zip(state.buffers[0], rm).allSatisfy { $0.bitPattern == $1.bitPattern })
                    #expect(zip(state.buffers[1], rv).allSatisfy { $0.bitPattern == $1.bitPattern })
                } else if case .sgd(let momentum, _, _) = kind, momentum != 0 {
                    #expect(zip(state.buffers[0], rm).allSatisfy { $0.bitPattern == $1.bitPattern })
                }
            }
        }
    }
}
