import SNNCore
import SNNModel

/// Turns images into the network's input activation.
///
/// Random draws depend only on (seed, epoch, sample id), never on how samples were grouped into micro-batches, so
/// a sample is encoded identically on every worker.
public struct InputEncoder: Sendable {
    public enum Kind: Sendable, Equatable {
        /// The (normalised) image as a constant current every step: computed once (steps == 1).
        case direct
        /// BNTT Poisson (METHODS §3.2): ±1 spikes with probability min(1, |x|/scale), fresh per pixel per step.
        case poisson(scale: Float)
    }
    public var kind: Kind
    public var mean: Float
    public var std: Float
    public var shape: [Int]

    public init(kind: Kind, mean: Float = 0, std: Float = 1, shape: [Int]) {
        self.kind = kind; self.mean = mean; self.std = std; self.shape = shape
    }

    /// Evaluation draws use a separate epoch key space so they never repeat training draws.
    static func streamEpoch(_ work: MicroBatch) -> UInt64 {
        UInt64(work.epoch) | (work.phase == .evaluate ? 1 << 40 : 0)
    }

    public func encode(_ work: MicroBatch, data: LabeledImages, steps: Int) -> Activation {
        let f = shape.reduce(1, *)
        precondition(f == data.rows * data.columns, "input shape \(shape) does not match \(data.rows)x\(data.columns) images")
        let b = work.samples.count
        let inv = 1 / std, mean = mean
        // Pointer loops (no per-element bounds check, vectorised); the sample ids were checked when the plan was made.
        let x = [Float](unsafeUninitializedCapacity: b * f) { out, n in
            data.pixels.withUnsafeBufferPointer { px in
                for (i, s) in work.samples.enumerated() {
                    precondition(Int(s) < data.count, "sample \(s) outside the \(data.count) images")
                    let src = px.baseAddress! + Int(s) * f, dst = out.baseAddress! + i * f
                    for j in 0..<f { dst[j] = (src[j] - mean) * inv }
                }
            }
            n = b * f
        }
        switch kind {
        case .direct:
            return Activation(steps: 1, batch: b, features: shape, data: x)
        case .poisson(let scale):
            var out = [Float](repeating: 0, count: steps * b * f)
            x.withUnsafeBufferPointer { xp in
                out.withUnsafeMutableBufferPointer { op in
                    for (i, s) in work.samples.enumerated() {
                        var rng = RandomStream(seed: work.seed, epoch: InputEncoder.streamEpoch(work), sample: UInt64(s))
                        for t in 0..<steps {
                            _ = poissonEncode(xp.baseAddress! + i * f, count: f, rescale: scale, rng: &rng,
                                              output: op.baseAddress! + (t * b + i) * f)
                        }
                    }
                }
            }
            return Activation(steps: steps, batch: b, features: shape, data: out, spikeLike: true)
        }
    }
}
