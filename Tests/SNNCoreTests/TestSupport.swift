import SNNCore

/// A small seeded generator for test data (SplitMix64), independent of the RandomStream under test.
struct TestGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `count` uniform floats in `range`, reproducible from `seed`.
func randomFloats(_ count: Int, in range: ClosedRange<Float>, seed: UInt64) -> [Float] {
    var g = TestGenerator(seed: seed)
    return (0..<count).map { _ in Float.random(in: range, using: &g) }
}

/// The largest |a − b| / (atol/rtol-weighted) violation; ≤ 1 means every element is within
/// `atol + rtol·max(|a|, |b|)`.
func worstViolation(_ a: [Float], _ b: [Float], rtol: Float, atol: Float) -> Float {
    precondition(a.count == b.count, "lengths differ: \(a.count) vs \(b.count)")
    var worst: Float = 0
    for (x, y) in zip(a, b) {
        let allowed = atol + rtol * max(abs(x), abs(y))
        worst = max(worst, abs(x - y) / allowed)
    }
    return worst
}

/// Whether two arrays agree element-wise within `atol + rtol·max(|a|, |b|)`.
func allClose(_ a: [Float], _ b: [Float], rtol: Float = 1e-5, atol: Float = 1e-6) -> Bool {
    a.count == b.count && worstViolation(a, b, rtol: rtol, atol: atol) <= 1
}

/// Element counts around the SIMD width, so both the vector body and the scalar tail run.
let awkwardCounts = [1, 7, 15, 16, 17, 33, 100, 257]

/// The values of neuron `n` at every step of a time-major `[steps, count]` array.
func series(_ a: [Float], neuron n: Int, count: Int) -> [Float] {
    stride(from: n, to: a.count, by: count).map { a[$0] }
}

/// 1-based steps at which neuron `n` spiked.
func spikeSteps(_ spikes: [Float], neuron n: Int, count: Int) -> [Int] {
    series(spikes, neuron: n, count: count).enumerated().filter { $0.element != 0 }.map { $0.offset + 1 }
}
