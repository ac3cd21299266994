// The running (inference) statistics of batch norm, updated after each training forward.
//
// PyTorch convention (BNTT, DSR): `running ← (1 − momentum)·running + momentum·batch`, where the variance that
// enters is the UNBIASED batch variance `biased·n/(n − 1)` although the forward normalised with the biased one.
// Keras' `momentum` means the opposite factor; convert before calling.

/// Updates `count` running means and variances in place from a forward's batch mean and biased variance over
/// `rows` values each. With `rows == 1` the unbiased variance is undefined; the biased one (0) is used.
public func updateRunningStatistics(runningMean: UnsafeMutablePointer<Float>,
                                    runningVariance: UnsafeMutablePointer<Float>, batchMean: UnsafePointer<Float>,
                                    batchVariance: UnsafePointer<Float>, count: Int, rows: Int, momentum: Float) {
    let correction: Float = rows > 1 ? Float(Double(rows) / Double(rows - 1)) : 1
    let keep = 1 - momentum
    for i in 0..<count {
        runningMean[i] = keep * runningMean[i] + momentum * batchMean[i]
        runningVariance[i] = keep * runningVariance[i] + momentum * (batchVariance[i] * correction)
    }
}

/// `updateRunningStatistics` on arrays (all of equal length).
public func updateRunningStatistics(runningMean: inout [Float], runningVariance: inout [Float], batchMean: [Float],
                                    batchVariance: [Float], rows: Int, momentum: Float) {
    let count = runningMean.count
    precondition(runningVariance.count == count && batchMean.count == count && batchVariance.count == count)
    guard count > 0 else { return }
    runningMean.withUnsafeMutableBufferPointer { m in
        runningVariance.withUnsafeMutableBufferPointer { v in
            updateRunningStatistics(runningMean: m.baseAddress!, runningVariance: v.baseAddress!,
                                    batchMean: batchMean, batchVariance: batchVariance, count: count, rows: rows,
                                    momentum: momentum)
        }
    }
}
