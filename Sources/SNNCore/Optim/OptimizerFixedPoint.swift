/// `optimizerStep` fed straight from the exact fixed-point gradient sum: the decode (`FixedPointKernels.value`)
/// runs block by block into a small buffer that stays in the first-level cache, and the update rule reads it there.
///
/// Why: the commit used to decode the whole gradient into a float vector (W1: 1.6 MB written) and then read it back
/// in the optimizer pass. Every element is decoded and updated by exactly the same operations as
/// `FixedPointKernels.value` followed by `optimizerStep` (both are element-wise, and the blocks are multiples of the
/// update's 16 lanes), so the parameters and state come out bit for bit the same.
public func optimizerStep(_ kind: OptimizerKind, learningRate: Float, parameters: inout [Float],
                          fixedPointGradients q: [Int64], times factor: Double,
                          state: inout OptimizerState, decayMask: [Bool]? = nil, threads: Int = 1) {
    checkOptimizerInputs(kind, gradients: q.count, parameters: parameters.count, state: state, decayMask: decayMask)
    guard !q.isEmpty else { state.step += 1; return }
    q.withUnsafeBufferPointer { qb in
        let source = FixedPointSources(integers: qb.baseAddress!)
        blockwiseOptimizerStep(kind, learningRate: learningRate, parameters: &parameters, state: &state,
                               decayMask: decayMask, threads: threads) { lo, len, g, _ in
            FixedPointKernels.value(source.integers + lo, count: len, times: factor, into: g)
        }
    }
}

/// `optimizerStep` fed from the float gradients of several micro-batches whose fixed-point sum has not been formed:
/// block by block, each contribution is rounded to fixed point, the integers are added and the sum is decoded
/// (`FixedPointKernels.valueOfSum`), then the update reads the block. The same bits as `ExactSum`'s encode and total
/// followed by the `fixedPointGradients:` form, without writing or reading any 8-byte vector.
///
/// Why: the standalone trainer computes every micro-batch of a step in one process; W1's commit used to write and
/// read about 13 MB of integers per step (two encoded micro-batches, their sum) around a 4.8 MB optimizer pass.
/// Requires: every gradient passed `FixedPointKernels.allFast` (|g| < 2^19, finite; checked by the caller, on the
/// thread that computed it) and there are 1 to `FixedPointKernels.maximumFastContributions` of them, in the
/// reduction's order (any order gives the same integers: the sum is exact).
public func optimizerStep(_ kind: OptimizerKind, learningRate: Float, parameters: inout [Float],
                          fixedPointSumOf gradients: [[Float]], times factor: Double,
                          state: inout OptimizerState, decayMask: [Bool]? = nil, threads: Int = 1) {
    precondition(!gradients.isEmpty && gradients.count <= FixedPointKernels.maximumFastContributions,
                 "\(gradients.count) contributions for the fused fixed-point step")
    for g in gradients {
        checkOptimizerInputs(kind, gradients: g.count, parameters: parameters.count, state: state, decayMask: decayMask)
    }
    guard !parameters.isEmpty else { state.step += 1; return }
    withBaseAddresses(gradients[...]) { bases in
        bases.withUnsafeBufferPointer { list in
            let pointers = FixedPointSources.List(base: list.baseAddress!, count: list.count)
            blockwiseOptimizerStep(kind, learningRate: learningRate, parameters: &parameters, state: &state,
                                   decayMask: decayMask, threads: threads) { lo, len, g, scratch in
                FixedPointKernels.valueOfSum(pointers.base, contributionCount: pointers.count, offset: lo, count: len,
                                             times: factor, scratch: scratch, into: g)
            }
        }
    }
}

/// Calls `body` with the base addresses of every array (valid during the call).
private func withBaseAddresses<R>(_ arrays: ArraySlice<[Float]>, _ done: [UnsafePointer<Float>] = [],
                                  _ body: ([UnsafePointer<Float>]) -> R) -> R {
    guard let head = arrays.first else { return body(done) }
    return head.withUnsafeBufferPointer { withBaseAddresses(arrays.dropFirst(), done + [$0.baseAddress!], body) }
}

/// The shared loop of the fused steps: `state.step` advanced, the vector split over `threads`, each range decoded
/// block by block into a small buffer by `decode(lo, len, into, scratch)` (gradient of elements `lo..<lo+len`) and
/// updated from it there. Every element is decoded and updated by the same operations as a whole-vector decode
/// followed by `optimizerStep` (both element-wise, blocks are multiples of the update's 16 lanes): same bits.
private func blockwiseOptimizerStep(_ kind: OptimizerKind, learningRate: Float, parameters: inout [Float],
                                    state: inout OptimizerState, decayMask: [Bool]?, threads: Int,
                                    decode: @Sendable (Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Int64>) -> Void) {
    let n = parameters.count
    state.step += 1
    guard n > 0 else { return }
    let update = OptimizerUpdate(kind: kind, learningRate: learningRate, step: state.step)
    // Take the state buffers out so they are uniquely referenced while written (no copy-on-write copy).
    var buffers = state.buffers
    state.buffers = []
    let mask: [Bool] = decayMask ?? []
    let block = OptimizerFixedPointBlock.elements
    func run(_ first: UnsafeMutablePointer<Float>?, _ second: UnsafeMutablePointer<Float>?) {
        mask.withUnsafeBufferPointer { maskBuffer in
            parameters.withUnsafeMutableBufferPointer { pb in
                let whole = FixedPointStepPointers(parameters: pb.baseAddress!, first: first, second: second,
                                                   decayable: decayMask == nil ? nil : maskBuffer.baseAddress)
                ParallelRanges.forEach(count: n, threads: threads) { range in
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: block) { buffer in
                        withUnsafeTemporaryAllocation(of: Int64.self, capacity: block) { scratch in
                            let g = buffer.baseAddress!
                            var lo = range.lowerBound
                            while lo < range.upperBound {
                                let len = min(block, range.upperBound - lo)
                                decode(lo, len, g, scratch.baseAddress!)
                                let part = OptimizerUpdate.Pointers(parameters: whole.parameters + lo, gradients: g,
                                                                    first: whole.first.map { $0 + lo },
                                                                    second: whole.second.map { $0 + lo },
                                                                    decayable: whole.decayable.map { $0 + lo })
                                update.apply(part, range: 0..<len)
                                lo += len
                            }
                        }
                    }
                }
            }
        }
    }
    switch buffers.count {
    case 0: run(nil, nil)
    case 1: buffers[0].withUnsafeMutableBufferPointer { run($0.baseAddress, nil) }
    default:
        var second = buffers[1]
        buffers[1] = []
        buffers[0].withUnsafeMutableBufferPointer { f in second.withUnsafeMutableBufferPointer { run(f.baseAddress, $0.baseAddress) } }
        buffers[1] = second
    }
    state.buffers = buffers
}

/// The decode buffer's size: 4,096 floats (16 KiB, well inside a first-level cache), a multiple of the update's
/// 16 lanes so each block splits into vector lanes and tail exactly as the whole range would.
public enum OptimizerFixedPointBlock {
    public static let elements = 4096
}

/// The flat buffers of one fused step, handed to the threads of `ParallelRanges.forEach` (each writes its own range).
private struct FixedPointStepPointers: @unchecked Sendable {
    let parameters: UnsafeMutablePointer<Float>
    let first: UnsafeMutablePointer<Float>?
    let second: UnsafeMutablePointer<Float>?
    let decayable: UnsafePointer<Bool>?
}

/// The read-only gradient sources of one fused step, handed to the threads: the fixed-point sum, or the float
/// contributions (`List`: their base addresses as one C array).
private struct FixedPointSources: @unchecked Sendable {
    let integers: UnsafePointer<Int64>
    struct List: @unchecked Sendable { let base: UnsafePointer<UnsafePointer<Float>>; let count: Int }
}
