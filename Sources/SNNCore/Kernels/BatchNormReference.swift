// Plain scalar batch norm on arrays, in double precision, written as the textbook formulas. The SIMD kernels in
// `BatchNorm.swift` must agree with these to float rounding.

/// Training-mode forward on `[groups, rows, channels]`: returns y and the per-(group, channel) mean, biased
/// variance and `1/√(variance + epsilon)`.
public func batchNormForwardTrainingReference(x: [Float], groups: Int, rows: Int, channels: Int, gamma: [Float],
                                              beta: [Float]?, epsilon: Float)
    -> (y: [Float], mean: [Float], variance: [Float], invStd: [Float]) {
    precondition(x.count == groups * rows * channels && gamma.count == groups * channels)
    var y = [Float](repeating: 0, count: x.count)
    var mean = [Float](repeating: 0, count: groups * channels)
    var variance = mean, invStd = mean
    for g in 0..<groups {
        for c in 0..<channels {
            let s = g * channels + c
            func at(_ r: Int) -> Int { (g * rows + r) * channels + c }
            var sum = 0.0
            for r in 0..<rows { sum += Double(x[at(r)]) }
            let mu = sum / Double(rows)
            var squares = 0.0
            for r in 0..<rows { squares += (Double(x[at(r)]) - mu) * (Double(x[at(r)]) - mu) }
            let v = squares / Double(rows)
            let istd = 1 / (v + Double(epsilon)).squareRoot()
            for r in 0..<rows {
                let xhat = (Double(x[at(r)]) - mu) * istd
                y[at(r)] = Float(Double(gamma[s]) * xhat + Double(beta?[s] ?? 0))
            }
            mean[s] = Float(mu)
            variance[s] = Float(v)
            invStd[s] = Float(istd)
        }
    }
    return (y, mean, variance, invStd)
}

/// Inference-mode forward: `gamma·(x − runningMean)/√(runningVariance + epsilon) + beta`.
public func batchNormForwardInferenceReference(x: [Float], groups: Int, rows: Int, channels: Int, gamma: [Float],
                                               beta: [Float]?, runningMean: [Float], runningVariance: [Float],
                                               epsilon: Float) -> [Float] {
    precondition(x.count == groups * rows * channels)
    var y = [Float](repeating: 0, count: x.count)
    for g in 0..<groups {
        for r in 0..<rows {
            for c in 0..<channels {
                let s = g * channels + c, i = (g * rows + r) * channels + c
                let xhat = (Double(x[i]) - Double(runningMean[s])) / (Double(runningVariance[s]) + Double(epsilon)).squareRoot()
                y[i] = Float(Double(gamma[s]) * xhat + Double(beta?[s] ?? 0))
            }
        }
    }
    return y
}

/// Backward of the training-mode forward: returns dx and this call's dγ, dβ (not accumulated into anything).
/// `dx = γ·invStd/n · (n·dy − Σdy − x̂·Σ(dy·x̂))`, statistics recomputed from x in double precision.
public func batchNormBackwardReference(x: [Float], gradOutput: [Float], groups: Int, rows: Int, channels: Int,
                                       gamma: [Float], epsilon: Float)
    -> (gradInput: [Float], gradGamma: [Float], gradBeta: [Float]) {
    precondition(x.count == groups * rows * channels && gradOutput.count == x.count)
    var dx = [Float](repeating: 0, count: x.count)
    var dgamma = [Float](repeating: 0, count: groups * channels), dbeta = dgamma
    let n = Double(rows)
    for g in 0..<groups {
        for c in 0..<channels {
            let s = g * channels + c
            func at(_ r: Int) -> Int { (g * rows + r) * channels + c }
            var sum = 0.0
            for r in 0..<rows { sum += Double(x[at(r)]) }
            let mu = sum / n
            var squares = 0.0
            for r in 0..<rows { squares += (Double(x[at(r)]) - mu) * (Double(x[at(r)]) - mu) }
            let istd = 1 / (squares / n + Double(epsilon)).squareRoot()
            var sumDy = 0.0, sumDyXhat = 0.0
            for r in 0..<rows {
                sumDy += Double(gradOutput[at(r)])
                sumDyXhat += Double(gradOutput[at(r)]) * (Double(x[at(r)]) - mu) * istd
            }
            for r in 0..<rows {
                let xhat = (Double(x[at(r)]) - mu) * istd
                dx[at(r)] = Float(Double(gamma[s]) * istd / n * (n * Double(gradOutput[at(r)]) - sumDy - xhat * sumDyXhat))
            }
            dgamma[s] = Float(sumDyXhat)
            dbeta[s] = Float(sumDy)
        }
    }
    return (dx, dgamma, dbeta)
}
