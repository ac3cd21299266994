import Foundation
import SNNCore
import SNNModel

/// A converted SNN (METHODS §4.3): scaled weights and biases, one threshold per layer, and how it was made.
public struct ConvertedSNN: Sendable, Equatable {
    /// The layers with W' = κ·W·λ_{l−1}/λ_l and b' = κ·b/λ_l (pools and flatten unchanged).
    public var network: ECCNetwork
    /// θ_l: κ for conv/dense, r_pool = λ_pool/λ_{l−1} for average pools, unused (0) for flatten.
    public var thresholds: [Float]
    /// λ_0 (input) then λ after every layer, as collected (before the ≤ 0 guard).
    public var lambdas: [Float]
    public var kappa: Float
    /// Signed-bit weight quantisation (0 = float weights).
    public var bits: Int

    public init(network: ECCNetwork, thresholds: [Float], lambdas: [Float], kappa: Float, bits: Int) {
        self.network = network; self.thresholds = thresholds; self.lambdas = lambdas; self.kappa = kappa; self.bits = bits
    }
}

public enum ECCConversion {
    /// λ: the exact maximum of every activation point over `samples` images of `data` (§4.3 step 3), computed in
    /// micro-batches of `microBatch` run by `executors` threads, each shard's maxima combined with an exact MAX. The
    /// result is the same for any `microBatch` and `executors` (max is associative and commutative, and each
    /// sample's activations do not depend on the others': the CNN runs in inference mode).
    public static func lambdas(_ cnn: ECCNetwork, data: LabeledImages, samples: Int? = nil, microBatch: Int = 100,
                               executors: Int = 1) -> [Float] {
        let n = min(samples ?? data.count, data.count), per = data.pixelsPerImage
        let shards = (n + microBatch - 1) / microBatch
        let lock = NSLock()
        let width = cnn.layers.count + 1
        nonisolated(unsafe) var result = [Float](repeating: -.infinity, count: width)
        DispatchQueue.concurrentPerform(iterations: max(1, executors)) { e in
            var local = [Float](repeating: -.infinity, count: width)
            var s = e
            while s < shards {
                let lo = s * microBatch, hi = min(n, lo + microBatch)
                let m = cnn.cnnForward(Array(data.pixels[(lo * per)..<(hi * per)]), batch: hi - lo).maxima
                local = combineMax(local, m)
                s += max(1, executors)
            }
            lock.lock(); result = combineMax(result, local); lock.unlock()
        }
        return result
    }

    /// Element-wise exact maximum (the all-reduce of λ, §5).
    public static func combineMax(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { $1 > $0 ? $1 : $0 } }

    /// Current normalisation with amplification κ (§4.3 step 3) and optional signed-bit quantisation (step 5).
    ///
    /// A λ ≤ 0 (a layer that never activates on the training set) is taken as 1: its outputs are 0 either way.
    /// Quantisation keeps the scaled weights on a signed `bits`-bit grid relative to `norm = max|W'|`:
    /// `W_q = trunc(W'·2^{k−1}/norm)·norm/2^{k−1}`; this is METHODS §4.3's `trunc(W·2^{k−1}/norm)/2^{k−1}` with
    /// θ = κ·norm and b'/norm, all multiplied by norm (the spike counts are the same).
    public static func convert(_ cnn: ECCNetwork, lambdas raw: [Float], kappa: Float = 100, bits: Int = 0) -> ConvertedSNN {
        let lam = raw.map { $0 > 0 && $0.isFinite ? $0 : 1 }
        var layers: [ECCLayer] = [], thresholds: [Float] = []
        for (i, l) in cnn.layers.enumerated() {
            let lin = lam[i], lout = lam[i + 1]
            switch l {
            case let .conv(g, w, b):
                layers.append(.conv(g, weights: quantise(w.map { kappa * $0 * lin / lout }, bits: bits), bias: b.map { kappa * $0 / lout }))
                thresholds.append(kappa)
            case let .dense(inp, out, w, b):
                layers.append(.dense(inputs: inp, outputs: out, weights: quantise(w.map { kappa * $0 * lin / lout }, bits: bits),
                                     bias: b.map { kappa * $0 / lout }))
                thresholds.append(kappa)
            case .avgPool:
                layers.append(l); thresholds.append(lout / lin)
            case .flatten:
                layers.append(l); thresholds.append(0)
            }
        }
        return ConvertedSNN(network: ECCNetwork(inputShape: cnn.inputShape, layers: layers, names: cnn.names),
                            thresholds: thresholds, lambdas: raw, kappa: kappa, bits: bits)
    }

    /// Signed `bits`-bit truncation toward zero relative to max|w| (identity for bits ≤ 0).
    public static func quantise(_ w: [Float], bits: Int) -> [Float] {
        guard bits > 0 else { return w }
        let norm = w.reduce(0) { max($0, abs($1)) }
        guard norm > 0 else { return w }
        let levels = Float(1 << (bits - 1))
        return w.map { ($0 * levels / norm).rounded(.towardZero) * norm / levels }
    }
}
