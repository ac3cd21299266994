// Input encoders that turn pixel values into spikes.

/// BNTT's Poisson (Bernoulli-per-step) encoder: `out = sign(x) · (rescale·r ≤ |x| ? 1 : 0)`, one fresh
/// `r = rng.nextUniform()` per element, drawn in element order.
///
/// Fires with probability `min(1, |x|/rescale)` and spike value ±1 (normalised images have negative pixels);
/// `x = 0` never fires. Drawing from the sample's own `RandomStream` keeps the spikes independent of batching.
/// Returns the number of (nonzero) spikes.
public func poissonEncode(_ x: UnsafePointer<Float>, count: Int, rescale: Float, rng: inout RandomStream,
                          output: UnsafeMutablePointer<Float>) -> Int {
    var spikes = 0
    var local = rng  // a local copy stays in registers (stores through `output` could alias `rng` otherwise)
    defer { rng = local }
    for i in 0..<count {
        let r = local.nextUniform()
        let v = x[i]
        let sign: Float = v > 0 ? 1 : (v < 0 ? -1 : 0)
        let fires = rescale * r <= v.magnitude
        output[i] = fires ? sign : 0
        spikes &+= fires && sign != 0 ? 1 : 0
    }
    return spikes
}

/// `poissonEncode` on arrays, written as the formula with an explicit `sign`.
public func poissonEncodeReference(_ x: [Float], rescale: Float, rng: inout RandomStream) -> [Float] {
    x.map { v in
        let r = rng.nextUniform()
        let sign: Float = v > 0 ? 1 : (v < 0 ? -1 : 0)
        return sign * (rescale * r <= abs(v) ? 1 : 0)
    }
}
