import Foundation
import Testing
import SNNCore

/// The optimizer step fed from float contributions (rounded, summed and decoded block by block inside the update)
/// against its reference: each contribution through `FixedPointKernels.encodeReference`, the integers added with
/// `addReference` in order, `valueReference`, then `OptimizerThreadsTests.referenceStep` per element. Bit for bit,
/// for every optimizer kind, with and without a decay mask, on 1, 2 and 3 threads, 1 to 3 contributions, over
/// several steps.
@Suite struct OptimizerFixedPointSumTests {
    @Test(arguments: OptimizerThreadsTests.kinds)
    func fusedSumDecodeAndUpdateGiveTheReferenceBits(kind: OptimizerKind) {
        // 100,003 elements: ranges split over threads, blocks of 4,096 and a short last block not a multiple of 16.
        let n = 100_003
        var generator = TestGenerator(seed: 0x5EED_5A11)
        func next() -> UInt64 { generator.next() }
        func uniform() -> Float { Float(Int64(next() >> 40) - (1 << 23)) / Float(1 << 23) }
        let start = (0..<n).map { _ in uniform() }
        let mask = (0..<n).map { _ in next() & 3 != 0 }
        let factor = 1 / 128.0
        for contributions in 1...3 {
            for useMask in [false, true] {
                for threads in [1, 2, 3] {
                    var p = start
                    var state = OptimizerState(kind: kind, parameterCount: n)
                    var rp = start, rm = [Float](repeating: 0, count: n), rv = [Float](repeating: 0, count: n)
                    for step in 1...3 {
                        // Gradient-like floats over many magnitudes, a few near the fast range's edge (2^19).
                        var gradients: [[Float]] = []
                        for _ in 0..<contributions {
                            var g = (0..<n).map { _ in uniform() * Float(1 << (next() % 8)) * 1e-3 }
                            for i in stride(from: Int(next() % 97), to: n, by: 9_973) { g[i] = uniform() * 524_287 }
                            gradients.append(g)
                        }
                        optimizerStep(kind, learningRate: 1e-3, parameters: &p, fixedPointSumOf: gradients, times: factor,
                                      state: &state, decayMask: useMask ? mask : nil, threads: threads)
                        var total = [Int64](repeating: 0, count: n), q = total
                        for g in gradients {
                            FixedPointKernels.encodeReference(g, count: n, into: &q)
                            #expect(FixedPointKernels.addReference(into: &total, q, count: n) == nil)
                        }
                        var g = [Float](repeating: 0, count: n)
                        FixedPointKernels.valueReference(total, count: n, times: factor, into: &g)
                        for i in 0..<n {
                            OptimizerThreadsTests.referenceStep(kind, lr: 1e-3, step: step, p: &rp[i], g: g[i], m: &rm[i], v: &rv[i],
                                                                decay: useMask ? mask[i] : true)
                        }
                    }
                    #expect(state.step == 3)
                    let firstDifference = p.indices.first { p[$0].bitPattern != rp[$0].bitPattern }
                    #expect(firstDifference == nil,
                            "\(kind), \(contributions) contributions, mask \(useMask), \(threads) threads: first difference at \(firstDifference ?? -1)")
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
}
