import Foundation
import SNNCore

extension ECCNetwork {
    /// `y = x·W + b` (dense) or the convolution, for `batch` samples of this layer's input, with the bias scaled by
    /// `biasScale` (1 for the CNN; T for the SNN's accumulated current, §4.2).
    func linear(_ index: Int, _ x: [Float], batch: Int, biasScale: Float) -> [Float] {
        switch layers[index] {
        case let .conv(g, w, b):
            var y = [Float](repeating: 0, count: batch * g.outputSize)
            let bias = b.map { $0 * biasScale }
            var scratch = [Float](repeating: 0, count: Conv2D.scratchCount(g, images: batch))
            x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in bias.withUnsafeBufferPointer { bp in
                y.withUnsafeMutableBufferPointer { yp in scratch.withUnsafeMutableBufferPointer { sp in
                    Conv2D.forward(g, input: xp.baseAddress!, images: batch, weights: wp.baseAddress!, bias: bp.baseAddress!,
                                   output: yp.baseAddress!, scratch: sp.baseAddress!)
                }}
            }}}
            return y
        case let .dense(i, o, w, b):
            var y = [Float](repeating: 0, count: batch * o)
            for r in 0..<batch { for k in 0..<o { y[r * o + k] = b[k] * biasScale } }
            x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in y.withUnsafeMutableBufferPointer { yp in
                BLAS.gemm(m: batch, n: o, k: i, a: xp.baseAddress!, lda: i, b: wp.baseAddress!, ldb: o, beta: 1,
                          c: yp.baseAddress!, ldc: o)
            }}}
            return y
        case let .avgPool(size, s):
            var y = [Float](repeating: 0, count: batch * layers[index].outputCount)
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                avgPoolForward(input: xp.baseAddress!, images: batch, height: s[0], width: s[1], channels: s[2], size: size,
                               output: yp.baseAddress!)
            }}
            return y
        case .flatten:
            return x
        }
    }

    /// The CNN's forward pass (ReLU after every weighted layer but the last) for `batch` images; returns the logits
    /// and, per activation point, the largest value seen: `[max input, max after layer 0, …]` (§4.3 step 3: the
    /// ReLU output of conv/dense layers, the pooled output of pools, the logits of the last layer; a flatten repeats
    /// its input's). Max is exact, so maxima of shards combine to the maximum of the whole set in any order.
    public func cnnForward(_ images: [Float], batch: Int) -> (logits: [Float], maxima: [Float]) {
        var x = images
        var maxima = [x.withUnsafeBufferPointer { maxValue($0.baseAddress!, count: $0.count) }]
        let last = layers.count - 1
        for i in layers.indices {
            x = linear(i, x, batch: batch, biasScale: 1)
            if layers[i].isWeighted && i != last {
                x.withUnsafeMutableBufferPointer { p in relu(UnsafePointer(p.baseAddress!), p.baseAddress!, count: p.count) }
            }
            maxima.append(x.withUnsafeBufferPointer { maxValue($0.baseAddress!, count: $0.count) })
        }
        return (x, maxima)
    }
}

/// Index of the largest value in each row (ties → lowest index, Keras/NumPy argmax).
public func argmaxRows(_ x: [Float], rows: Int, columns: Int) -> [Int] {
    (0..<rows).map { r in
        var best = 0
        for c in 1..<columns where x[r * columns + c] > x[r * columns + best] { best = c }
        return best
    }
}
