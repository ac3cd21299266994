// Batch normalisation over channels-last data, in `groups` independent normalisations.
//
// `x` is `[groups, rows, channels]`. Each (group, channel) has its own statistics over the `rows` (BNTT: one group
// per time step, rows = batch·H·W; BN over a stacked `[T·B, …]` batch: one group). `gamma`, `beta` and all
// statistics have `groups·channels` entries. Training mode uses the batch mean and the biased variance (PyTorch
// and Keras both do); statistics are summed in float blocks into doubles (see `channelSums`). Element-wise passes
// are SIMD16 over channels.

/// Training-mode forward: normalises every (group, channel) with its batch mean and biased variance.
///
/// `y = gamma·(x − mean)·invStd + beta` with `invStd = 1/√(variance + epsilon)`; `beta == nil` means no shift
/// (BNTT). Writes `mean`, `invStd` and the biased `variance` (for the backward pass and the running statistics,
/// see `updateRunningStatistics`).
public func batchNormForwardTraining(x: UnsafePointer<Float>, groups: Int, rows: Int, channels: Int,
                                     gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>?, epsilon: Float,
                                     y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                                     invStd: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>) {
    precondition(rows > 0 && channels >= 0 && groups >= 0, "batch norm needs at least one row")
    guard channels > 0 else { return }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: groups * channels) { scaleBuffer in
        let scale = scaleBuffer.baseAddress!
        batchNormStatistics(x: x, groups: groups, rows: rows, channels: channels, gamma: gamma, epsilon: epsilon,
                            mean: mean, invStd: invStd, variance: variance, scale: scale)
        for g in 0..<groups {
            let s = g * channels
            applyAffine(x + g * rows * channels, rows: rows, channels: channels, center: mean + s, scale: scale + s,
                        shift: beta.map { $0 + s }, into: y + g * rows * channels)
        }
    }
}

/// The batch statistics of the training-mode forward without applying them: `mean`, `invStd`, the biased
/// `variance` and `scale = gamma·invStd` per (group, channel), so that `y = (x − mean)·scale + beta` (what
/// `batchNormForwardTraining` writes, and what `batchNormLIFAvgPoolForward` applies on the fly).
public func batchNormStatistics(x: UnsafePointer<Float>, groups: Int, rows: Int, channels: Int,
                                gamma: UnsafePointer<Float>, epsilon: Float, mean: UnsafeMutablePointer<Float>,
                                invStd: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>,
                                scale: UnsafeMutablePointer<Float>) {
    precondition(rows > 0 && channels >= 0 && groups >= 0, "batch norm needs at least one row")
    guard channels == 16 || channels == 32 || channels == 64 else {
        return batchNormStatisticsBlocked(x: x, groups: groups, rows: rows, channels: channels, gamma: gamma,
                                          epsilon: epsilon, mean: mean, invStd: invStd, variance: variance, scale: scale)
    }
    let n = Double(rows)
    withUnsafeTemporaryAllocation(of: Double.self, capacity: channels) { totalsBuffer in
        let totals = totalsBuffer.baseAddress!
        let sums: (UnsafePointer<Float>, UnsafePointer<Float>?) -> Void = { xg, mu in
            switch channels {
            case 16: registerChannelSums(xg, rows: rows, mean: mu, into: totals, ChannelBlocks1.self)
            case 32: registerChannelSums(xg, rows: rows, mean: mu, into: totals, ChannelBlocks2.self)
            default: registerChannelSums(xg, rows: rows, mean: mu, into: totals, ChannelBlocks4.self)
            }
        }
        for g in 0..<groups {
            let xg = x + g * rows * channels, s = g * channels
            sums(xg, nil)
            for c in 0..<channels { mean[s + c] = Float(totals[c] / n) }
            sums(xg, mean + s)
            finishStatistics(totals, count: n, group: s, channels: channels, gamma: gamma, epsilon: epsilon,
                             invStd: invStd, variance: variance, scale: scale)
        }
    }
}

/// Variance, 1/σ and γ/σ of one group from its summed squared deviations.
@inline(__always)
private func finishStatistics(_ totals: UnsafePointer<Double>, count n: Double, group s: Int, channels: Int,
                              gamma: UnsafePointer<Float>, epsilon: Float, invStd: UnsafeMutablePointer<Float>,
                              variance: UnsafeMutablePointer<Float>, scale: UnsafeMutablePointer<Float>) {
    for c in 0..<channels {
        let v = Float(totals[c] / n)
        variance[s + c] = v
        invStd[s + c] = 1 / (v + epsilon).squareRoot()
        scale[s + c] = gamma[s + c] * invStd[s + c]
    }
}

/// `batchNormStatistics` through the generic blocked sums (`channelSums`) for every channel count: the reference the
/// register path of 16, 32 and 64 channels is tested against bit for bit.
public func batchNormStatisticsBlocked(x: UnsafePointer<Float>, groups: Int, rows: Int, channels: Int,
                                       gamma: UnsafePointer<Float>, epsilon: Float, mean: UnsafeMutablePointer<Float>,
                                       invStd: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>,
                                       scale: UnsafeMutablePointer<Float>) {
    precondition(rows > 0 && channels >= 0 && groups >= 0, "batch norm needs at least one row")
    guard channels > 0 else { return }
    let n = Double(rows)
    withUnsafeTemporaryAllocation(of: Double.self, capacity: channels) { totalsBuffer in
        let totals = totalsBuffer.baseAddress!
        for g in 0..<groups {
            let xg = x + g * rows * channels, s = g * channels
            let mu = mean + s
            channelSums(rows: rows, channels: channels, into: totals, { o, _ in load16(xg + o) }, { o, _ in xg[o] })
            for c in 0..<channels { mu[c] = Float(totals[c] / n) }
            channelSums(rows: rows, channels: channels, into: totals,
                        { o, c in let d = load16(xg + o) - load16(mu + c); return d * d },
                        { o, c in let d = xg[o] - mu[c]; return d * d })
            finishStatistics(totals, count: n, group: s, channels: channels, gamma: gamma, epsilon: epsilon,
                             invStd: invStd, variance: variance, scale: scale)
        }
    }
}

/// Channel counts of the register path, as types (each count gets its own loop with its accumulators in registers).
protocol ChannelBlocks { static var count: Int { get } }
enum ChannelBlocks1: ChannelBlocks { static var count: Int { 1 } }
enum ChannelBlocks2: ChannelBlocks { static var count: Int { 2 } }
enum ChannelBlocks4: ChannelBlocks { static var count: Int { 4 } }

/// `channelSums` of x (`mean` nil) or of (x − mean)² over `rows` rows of `16·B.count` channels, with each block's
/// float partial sums in registers instead of a buffer: the same additions in the same order (rows in order within
/// blocks of `channelSumBlockRows`, each block's sum added to a double), so the same bits. Through the buffer every
/// row waited on the previous row's store; the squared pass also called its closure once per vector.
@inline(__always)
private func registerChannelSums<B: ChannelBlocks>(_ x: UnsafePointer<Float>, rows: Int, mean: UnsafePointer<Float>?,
                                                   into totals: UnsafeMutablePointer<Double>, _: B.Type) {
    let channels = 16 * B.count
    totals.initialize(repeating: 0, count: channels)
    let zero = Vec16(repeating: 0)
    let m0 = mean.map { load16($0) } ?? zero, m1 = B.count > 1 ? mean.map { load16($0 + 16) } ?? zero : zero
    let m2 = B.count > 2 ? mean.map { load16($0 + 32) } ?? zero : zero, m3 = B.count > 3 ? mean.map { load16($0 + 48) } ?? zero : zero
    let squared = mean != nil
    var r0 = 0
    while r0 < rows {
        let r1 = min(rows, r0 + channelSumBlockRows)
        var p0 = zero, p1 = zero, p2 = zero, p3 = zero
        if squared {
            for r in r0..<r1 {
                let q = x + r * channels
                var d = load16(q) - m0; p0 += d * d
                if B.count > 1 { d = load16(q + 16) - m1; p1 += d * d }
                if B.count > 2 { d = load16(q + 32) - m2; p2 += d * d }
                if B.count > 3 { d = load16(q + 48) - m3; p3 += d * d }
            }
        } else {
            for r in r0..<r1 {
                let q = x + r * channels
                p0 += load16(q)
                if B.count > 1 { p1 += load16(q + 16) }
                if B.count > 2 { p2 += load16(q + 32) }
                if B.count > 3 { p3 += load16(q + 48) }
            }
        }
        for i in 0..<16 {
            totals[i] += Double(p0[i])
            if B.count > 1 { totals[16 + i] += Double(p1[i]) }
            if B.count > 2 { totals[32 + i] += Double(p2[i]) }
            if B.count > 3 { totals[48 + i] += Double(p3[i]) }
        }
        r0 = r1
    }
}

/// The inference-mode scale per (group, channel), `gamma/√(runningVariance + epsilon)`: with `center =
/// runningMean` and `shift = beta`, `batchNormForwardInference`'s affine map.
public func batchNormInferenceScale(count: Int, gamma: UnsafePointer<Float>, runningVariance: UnsafePointer<Float>,
                                    epsilon: Float, scale: UnsafeMutablePointer<Float>) {
    for i in 0..<count { scale[i] = gamma[i] / (runningVariance[i] + epsilon).squareRoot() }
}

/// Inference-mode forward: normalises with stored running statistics, `y = gamma·(x − runningMean)/√(runningVariance
/// + epsilon) + beta`.
public func batchNormForwardInference(x: UnsafePointer<Float>, groups: Int, rows: Int, channels: Int,
                                      gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>?,
                                      runningMean: UnsafePointer<Float>, runningVariance: UnsafePointer<Float>,
                                      epsilon: Float, y: UnsafeMutablePointer<Float>) {
    precondition(rows >= 0 && channels >= 0 && groups >= 0)
    guard channels > 0 else { return }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: channels) { scaleBuffer in
        let scale = scaleBuffer.baseAddress!
        for g in 0..<groups {
            let s = g * channels
            for c in 0..<channels { scale[c] = gamma[s + c] / (runningVariance[s + c] + epsilon).squareRoot() }
            applyAffine(x + g * rows * channels, rows: rows, channels: channels, center: runningMean + s,
                        scale: scale, shift: beta.map { $0 + s }, into: y + g * rows * channels)
        }
    }
}

/// `y = (x − center[c])·scale[c] + shift[c]` (shift 0 when nil). Centring first keeps precision when |mean| ≫ std.
@inline(__always)
private func applyAffine(_ x: UnsafePointer<Float>, rows: Int, channels: Int, center: UnsafePointer<Float>,
                         scale: UnsafePointer<Float>, shift: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) {
    if let shift {
        channelMap(rows: rows, channels: channels, into: y,
                   { o, c in (load16(x + o) - load16(center + c)) * load16(scale + c) + load16(shift + c) },
                   { o, c in (x[o] - center[c]) * scale[c] + shift[c] })
    } else {
        channelMap(rows: rows, channels: channels, into: y,
                   { o, c in (load16(x + o) - load16(center + c)) * load16(scale + c) },
                   { o, c in (x[o] - center[c]) * scale[c] })
    }
}

/// Backward of the training-mode forward, through the batch statistics.
///
/// With `x̂ = (x − mean)·invStd`: `∂L/∂gamma += Σ dy·x̂`, `∂L/∂beta += Σ dy` (both ACCUMULATED, so several
/// micro-batches or steps can add into one gradient; `gradBeta` nil = no shift), and
/// `dx = gamma·invStd·(dy − mean(dy) − x̂·mean(dy·x̂))` (overwritten). `mean`/`invStd` are the forward's.
public func batchNormBackward(x: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, groups: Int, rows: Int,
                              channels: Int, gamma: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                              invStd: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
                              gradGamma: UnsafeMutablePointer<Float>, gradBeta: UnsafeMutablePointer<Float>?) {
    batchNormBackward(x: x, gradOutput: gradOutput, groups: groups, rows: rows, channels: channels, gamma: gamma,
                      mean: mean, invStd: invStd, gradInput: gradInput, gradGamma: gradGamma, gradBeta: gradBeta,
                      registers: channels == 16 || channels == 32 || channels == 64)
}

/// `batchNormBackward` with its sums through the generic blocked buffer (`channelSums2`) for every channel count:
/// the reference the register path of 16, 32 and 64 channels is tested against bit for bit.
public func batchNormBackwardBlocked(x: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, groups: Int, rows: Int,
                                     channels: Int, gamma: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                     invStd: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
                                     gradGamma: UnsafeMutablePointer<Float>, gradBeta: UnsafeMutablePointer<Float>?) {
    batchNormBackward(x: x, gradOutput: gradOutput, groups: groups, rows: rows, channels: channels, gamma: gamma,
                      mean: mean, invStd: invStd, gradInput: gradInput, gradGamma: gradGamma, gradBeta: gradBeta,
                      registers: false)
}

@inline(__always)
private func batchNormBackward(x: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, groups: Int, rows: Int,
                               channels: Int, gamma: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                               invStd: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
                               gradGamma: UnsafeMutablePointer<Float>, gradBeta: UnsafeMutablePointer<Float>?,
                               registers: Bool) {
    precondition(rows > 0 && channels >= 0 && groups >= 0, "batch norm needs at least one row")
    guard channels > 0 else { return }
    let n = Double(rows)
    withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * channels) { totalsBuffer in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * channels) { coefficientBuffer in
            let sumDy = totalsBuffer.baseAddress!, sumDyXc = sumDy + channels
            let a = coefficientBuffer.baseAddress!, b = a + channels, k = b + channels
            for g in 0..<groups {
                let off = g * rows * channels, s = g * channels
                let xg = x + off, dyg = gradOutput + off, mu = mean + s
                if registers {
                    switch channels {
                    case 16: registerChannelSums2(xg, dyg, rows: rows, mean: mu, into: sumDy, sumDyXc, ChannelBlocks1.self)
                    case 32: registerChannelSums2(xg, dyg, rows: rows, mean: mu, into: sumDy, sumDyXc, ChannelBlocks2.self)
                    default: registerChannelSums2(xg, dyg, rows: rows, mean: mu, into: sumDy, sumDyXc, ChannelBlocks4.self)
                    }
                } else {
                    channelSums2(rows: rows, channels: channels, into: sumDy, sumDyXc,
                                 { o, c in let dy = load16(dyg + o); return (dy, dy * (load16(xg + o) - load16(mu + c))) },
                                 { o, c in let dy = dyg[o]; return (dy, dy * (xg[o] - mu[c])) })
                }
                for c in 0..<channels {
                    let istd = Double(invStd[s + c])
                    gradGamma[s + c] += Float(sumDyXc[c] * istd)
                    gradBeta?[s + c] += Float(sumDy[c])
                    a[c] = gamma[s + c] * invStd[s + c]
                    b[c] = Float(sumDy[c] / n)
                    k[c] = Float(sumDyXc[c] * istd * istd / n)
                }
                // dx = a·(dy − b − (x − μ)·k)
                channelMap(rows: rows, channels: channels, into: gradInput + off,
                           { o, c in load16(a + c) * (load16(dyg + o) - load16(b + c) - (load16(xg + o) - load16(mu + c)) * load16(k + c)) },
                           { o, c in a[c] * (dyg[o] - b[c] - (xg[o] - mu[c]) * k[c]) })
            }
        }
    }
}

/// `channelSums2` of Σ dy and Σ dy·(x − mean) over `rows` rows of `16·B.count` channels, with each block's float
/// partial sums in registers instead of a buffer (as `registerChannelSums` for the statistics): the same additions in
/// the same order (rows in order within blocks of `channelSumBlockRows`, each block's sum added to a double; the
/// product rounded before it is added), so the same bits. Through the buffer every row waited on the previous row's
/// store.
@inline(__always)
private func registerChannelSums2<B: ChannelBlocks>(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, rows: Int,
                                                    mean: UnsafePointer<Float>, into first: UnsafeMutablePointer<Double>,
                                                    _ second: UnsafeMutablePointer<Double>, _: B.Type) {
    let channels = 16 * B.count
    first.initialize(repeating: 0, count: channels)
    second.initialize(repeating: 0, count: channels)
    let zero = Vec16(repeating: 0)
    let m0 = load16(mean), m1 = B.count > 1 ? load16(mean + 16) : zero
    let m2 = B.count > 2 ? load16(mean + 32) : zero, m3 = B.count > 3 ? load16(mean + 48) : zero
    var r0 = 0
    repeat {   // rows > 0
        let r1 = min(rows, r0 + channelSumBlockRows)
        var s0 = zero, s1 = zero, s2 = zero, s3 = zero, t0 = zero, t1 = zero, t2 = zero, t3 = zero
        var r = r0
        repeat {
            let o = r * channels
            var d = load16(dy + o); s0 += d; t0 += d * (load16(x + o) - m0)
            if B.count > 1 { d = load16(dy + o + 16); s1 += d; t1 += d * (load16(x + o + 16) - m1) }
            if B.count > 2 { d = load16(dy + o + 32); s2 += d; t2 += d * (load16(x + o + 32) - m2) }
            if B.count > 3 { d = load16(dy + o + 48); s3 += d; t3 += d * (load16(x + o + 48) - m3) }
            r += 1
        } while r < r1
        for i in 0..<16 {
            first[i] += Double(s0[i]); second[i] += Double(t0[i])
            if B.count > 1 { first[16 + i] += Double(s1[i]); second[16 + i] += Double(t1[i]) }
            if B.count > 2 { first[32 + i] += Double(s2[i]); second[32 + i] += Double(t2[i]) }
            if B.count > 3 { first[48 + i] += Double(s3[i]); second[48 + i] += Double(t3[i]) }
        }
        r0 = r1
    } while r0 < rows
}
