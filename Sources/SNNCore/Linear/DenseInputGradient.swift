/// The input gradient of a dense layer with few outputs, `dx = dy · Wᵀ` (`dx[r, i] = Σₒ dy[r, o] · W[i, o]`,
/// W row-major `[inputs, outputs]`), without a GEMM call.
///
/// Why: on W1's output layer (512 → 10) this product has an inner dimension of 10 (2.6 M multiply-adds per
/// micro-batch), and OpenBLAS zeroes its 512×512 result, packs both operands and re-reads the result around a tiny
/// amount of arithmetic. Here W is transposed once (10×512, in cache) and every 16 outputs of a row are one register
/// accumulated over o and stored once (in the W1 profile: 2.9 % of samples for this kernel).
///
/// Summation order: each element is a fused multiply-add chain over o = 0, 1, …, k−1 starting from +0, the order of
/// OpenBLAS's sgemm micro-kernels for an inner dimension below their blocking (one register per element, one FMA
/// per k), so the bits equal the GEMM's where that holds; `dyWTransposeReference` is that chain written per element.
public enum DenseInputGradient {
    /// The kernel is used up to this many outputs (the inner dimension); above it a GEMM is the better tool.
    public static let maximumOutputs = 16

    /// `dx[r·inputs + i] = Σₒ dy[r·outputs + o] · w[i·outputs + o]` (FMA chain in o order) for r < rows, i < inputs.
    public static func dyWTranspose(rows: Int, inputs: Int, outputs k: Int, dy: UnsafePointer<Float>,
                                    w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        guard rows > 0, inputs > 0 else { return }
        guard k > 0 else { dx.update(repeating: 0, count: rows * inputs); return }
        // Wᵀ as [outputs, inputs]: lane i of a vector reads W[i, o] contiguously.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: k * inputs) { buffer in
            let wt = buffer.baseAddress!
            for i in 0..<inputs { for o in 0..<k { wt[o * inputs + i] = w[i * k + o] } }
            let vectorEnd = inputs / 16 * 16
            for r in 0..<rows {
                let d = dy + r * k, out = dx + r * inputs
                var i = 0
                while i < vectorEnd {
                    var acc = Vec16(repeating: 0)
                    for o in 0..<k { acc.addProduct(Vec16(repeating: d[o]), load16(wt + o * inputs + i)) }
                    store16(acc, out + i)
                    i += 16
                }
                while i < inputs {
                    var acc: Float = 0
                    for o in 0..<k { acc.addProduct(d[o], wt[o * inputs + i]) }
                    out[i] = acc
                    i += 1
                }
            }
        }
    }

    /// Reference of `dyWTranspose`: per element, `acc = fma(dy[r, o], W[i, o], acc)` for o in order from +0.
    public static func dyWTransposeReference(rows: Int, inputs: Int, outputs k: Int, dy: [Float], w: [Float]) -> [Float] {
        var dx = [Float](repeating: 0, count: rows * inputs)
        for r in 0..<rows {
            for i in 0..<inputs {
                var acc: Float = 0
                for o in 0..<k { acc = acc.addingProduct(dy[r * k + o], w[i * k + o]) }
                dx[r * inputs + i] = acc
            }
        }
        return dx
    }
}
