import Testing
import SNNCore

// Helpers shared by the DSR tests: a seeded generator and array wrappers around the pointer kernels.

/// SplitMix64: small, seedable, reproducible across platforms (the system generator is not seedable).
struct DSRTestRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func floats(_ n: Int, in range: ClosedRange<Float>) -> [Float] {
        (0..<n).map { _ in Float.random(in: range, using: &self) }
    }
}

/// What the SIMD forward produced, flat `[steps, count]` / `[count]`.
struct DSRForwardRun {
    var outputs: [Float]
    var meanInput: [Float]
    var finalMembrane: [Float]
    var spikeCount: Int
}

/// Runs `dsrForward` (the overload that also returns `U[N]`) on arrays; `input` is `[inputSteps, count]` flat.
func dsrRunForward(_ p: DSRParameters, threshold: Float, input: [Float], inputSteps: Int, steps: Int, count: Int,
                   keepMembrane: Bool = true) -> DSRForwardRun {
    precondition(input.count == inputSteps * count)
    var out = [Float](repeating: .nan, count: steps * count)
    var mean = [Float](repeating: .nan, count: count)
    var final = [Float](repeating: .nan, count: count)
    let spikes = input.withUnsafeBufferPointer { ip in
        out.withUnsafeMutableBufferPointer { op in
            mean.withUnsafeMutableBufferPointer { mp in
                final.withUnsafeMutableBufferPointer { fp in
                    keepMembrane
                        ? dsrForward(p, threshold: threshold, input: ip.baseAddress!, inputSteps: inputSteps, steps: steps,
                                     count: count, output: op.baseAddress!, meanInput: mp.baseAddress!,
                                     finalMembrane: fp.baseAddress!)
                        : dsrForward(p, threshold: threshold, input: ip.baseAddress!, inputSteps: inputSteps, steps: steps,
                                     count: count, output: op.baseAddress!, meanInput: mp.baseAddress!)
                }
            }
        }
    }
    return DSRForwardRun(outputs: out, meanInput: mean, finalMembrane: final, spikeCount: spikes)
}

/// Runs `dsrBackward` on arrays; returns gradInput flat (`[inputSteps, count]`) and the threshold gradient.
func dsrRunBackward(_ p: DSRParameters, threshold: Float, gradOutput: [Float], meanInput: [Float], steps: Int, count: Int,
                    inputSteps: Int) -> (gradInput: [Float], threshold: Double) {
    var gin = [Float](repeating: .nan, count: inputSteps * count)
    let vg = gradOutput.withUnsafeBufferPointer { gp in
        meanInput.withUnsafeBufferPointer { mp in
            gin.withUnsafeMutableBufferPointer { ip in
                dsrBackward(p, threshold: threshold, gradOutput: gp.baseAddress!, meanInput: mp.baseAddress!, steps: steps,
                            count: count, gradInput: ip.baseAddress!, inputSteps: inputSteps)
            }
        }
    }
    return (gin, vg)
}

/// Runs `dsrRate` on arrays.
func dsrRunRate(_ p: DSRParameters, outputs: [Float], steps: Int, count: Int) -> [Float] {
    var rate = [Float](repeating: .nan, count: count)
    outputs.withUnsafeBufferPointer { op in
        rate.withUnsafeMutableBufferPointer { rp in
            dsrRate(p, outputs: op.baseAddress!, steps: steps, count: count, rate: rp.baseAddress!)
        }
    }
    return rate
}

/// Runs `dsrRateBackward` on arrays; returns `[steps, count]` flat.
func dsrRunRateBackward(_ p: DSRParameters, gradRate: [Float], steps: Int) -> [Float] {
    var g = [Float](repeating: .nan, count: steps * gradRate.count)
    gradRate.withUnsafeBufferPointer { rp in
        g.withUnsafeMutableBufferPointer { gp in
            dsrRateBackward(p, gradRate: rp.baseAddress!, steps: steps, count: gradRate.count, gradOutputs: gp.baseAddress!)
        }
    }
    return g
}

/// `[steps, count]` flat → `[step][neuron]`.
func dsrRows(_ flat: [Float], steps: Int, count: Int) -> [[Float]] {
    (0..<steps).map { Array(flat[($0 * count)..<(($0 + 1) * count)]) }
}

/// `[inputSteps, count]` flat → `[step][neuron]` for all `steps` (a constant input repeated).
func dsrExpand(_ flat: [Float], inputSteps: Int, steps: Int, count: Int) -> [[Float]] {
    inputSteps == 1 ? [[Float]](repeating: flat, count: steps) : dsrRows(flat, steps: steps, count: count)
}

/// `|a − b| ≤ abs + rel·max(|a|, |b|)`.
func dsrClose(_ a: Double, _ b: Double, abs: Double, rel: Double = 0) -> Bool {
    Swift.abs(a - b) <= abs + rel * Swift.max(Swift.abs(a), Swift.abs(b))
}

/// Largest `|a[i] − b[i]|`.
func dsrMaxDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
}

/// The parameter sets the tests use: the reference's IF and LIF defaults (METHODS §2.5), plus a LIF with τ ≠ 1
/// and a larger Δt so that τ and Δt cannot cancel unnoticed.
let dsrIFDefaults = DSRParameters(model: .integrateAndFire, alpha: 0.5, thresholdFloor: 0.01)
let dsrLIFDefaults = DSRParameters(model: .leakyIntegrateAndFire, alpha: 0.3, thresholdFloor: 5e-4, tau: 1, dt: 0.05)
let dsrLIFOther = DSRParameters(model: .leakyIntegrateAndFire, alpha: 0.5, thresholdFloor: 1e-3, tau: 2, dt: 0.1)

/// Neurons an oracle is replicated over: one full SIMD16 block plus a 3-wide scalar tail, so every oracle checks
/// both code paths of a kernel (a single neuron would only ever reach the scalar tail).
let dsrOracleWidth = 19

/// Runs a single-neuron oracle (`input` has `inputSteps` values) replicated over `dsrOracleWidth` neurons, checks
/// that every neuron gives the same result, and returns the first neuron's as a one-neuron run.
func dsrRunOracleForward(_ p: DSRParameters, threshold: Float, input: [Float], inputSteps: Int, steps: Int) -> DSRForwardRun {
    let w = dsrOracleWidth
    let wide = input.flatMap { [Float](repeating: $0, count: w) }
    let run = dsrRunForward(p, threshold: threshold, input: wide, inputSteps: inputSteps, steps: steps, count: w)
    let column = { (flat: [Float], k: Int) in stride(from: k, to: flat.count, by: w).map { flat[$0] } }
    for k in 1..<w {
        #expect(column(run.outputs, k) == column(run.outputs, 0), "neuron \(k) differs")
        #expect(run.meanInput[k] == run.meanInput[0] && run.finalMembrane[k] == run.finalMembrane[0])
    }
    #expect(run.spikeCount % w == 0)
    return DSRForwardRun(outputs: column(run.outputs, 0), meanInput: [run.meanInput[0]],
                         finalMembrane: [run.finalMembrane[0]], spikeCount: run.spikeCount / w)
}

/// Backward counterpart of `dsrRunOracleForward`: one neuron's `gradOutput` (`steps` values) and mean input,
/// replicated; returns the first neuron's input gradient and the threshold gradient divided by the width.
func dsrRunOracleBackward(_ p: DSRParameters, threshold: Float, gradOutput: [Float], meanInput: Float, steps: Int,
                          inputSteps: Int) -> (gradInput: [Float], threshold: Double) {
    let w = dsrOracleWidth
    let wide = gradOutput.flatMap { [Float](repeating: $0, count: w) }
    let (gin, vth) = dsrRunBackward(p, threshold: threshold, gradOutput: wide,
                                    meanInput: [Float](repeating: meanInput, count: w), steps: steps, count: w,
                                    inputSteps: inputSteps)
    let column = { (k: Int) in stride(from: k, to: gin.count, by: w).map { gin[$0] } }
    for k in 1..<w { #expect(column(k) == column(0), "neuron \(k) differs") }
    return (column(0), vth / Double(w))
}

/// Rate counterpart of `dsrRunOracleForward`: one neuron's outputs (`steps` values) replicated; returns `[a]`.
func dsrRunOracleRate(_ p: DSRParameters, outputs: [Float], steps: Int) -> [Float] {
    let w = dsrOracleWidth
    let rate = dsrRunRate(p, outputs: outputs.flatMap { [Float](repeating: $0, count: w) }, steps: steps, count: w)
    #expect(rate.allSatisfy { $0 == rate[0] }, "replicated neurons differ")
    return [rate[0]]
}
