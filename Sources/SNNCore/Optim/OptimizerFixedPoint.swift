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
    let n = parameters.count
    checkOptimizerInputs(kind, gradients: q.count, parameters: n, state: state, decayMask: decayMask)
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
                q.withUnsafeBufferPointer { qb in
                    let whole = FixedPointStepPointers(parameters: pb.baseAddress!, gradients: qb.baseAddress!, first: first,
                                                       second: second, decayable: decayMask == nil ? nil : maskBuffer.baseAddress)
                    ParallelRanges.forEach(count: n, threads: threads) { range in
                        withUnsafeTemporaryAllocation(of: Float.self, capacity: block) { buffer in
                            let g = buffer.baseAddress!
                            var lo = range.lowerBound
                            while lo < range.upperBound {
                                let len = min(block, range.upperBound - lo)
                                FixedPointKernels.value(whole.gradients + lo, count: len, times: factor, into: g)
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
    let gradients: UnsafePointer<Int64>
    let first: UnsafeMutablePointer<Float>?
    let second: UnsafeMutablePointer<Float>?
    let decayable: UnsafePointer<Bool>?
}
