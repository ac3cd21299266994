import Testing
import SNNCore

/// `DenseInputGradient.dyWTranspose` against its scalar reference (the FMA chain per element) bit for bit, and
/// against the Double-accumulating `BLAS.gemmReference` within float rounding, for inner dimensions 1…16 and
/// widths with and without a tail beyond the 16 lanes.
@Suite struct DenseInputGradientTests {
    static func values(_ n: Int, seed: UInt64) -> [Float] {
        var s = seed
        return (0..<n).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: s >> 11) % 20001 - 10000) / 7919
        }
    }

    @Test(arguments: [1, 3, 10, 16])
    func kernelEqualsTheFMAChainReference(outputs: Int) {
        for (rows, inputs) in [(1, 1), (7, 16), (5, 37), (64, 512)] {
            let dy = Self.values(rows * outputs, seed: UInt64(rows * 31 + outputs))
            let w = Self.values(inputs * outputs, seed: UInt64(inputs * 17 + outputs))
            var dx = [Float](repeating: .nan, count: rows * inputs)
            dy.withUnsafeBufferPointer { d in w.withUnsafeBufferPointer { wp in dx.withUnsafeMutableBufferPointer { o in
                DenseInputGradient.dyWTranspose(rows: rows, inputs: inputs, outputs: outputs, dy: d.baseAddress!, w: wp.baseAddress!,
                                                dx: o.baseAddress!)
            }}}
            let ref = DenseInputGradient.dyWTransposeReference(rows: rows, inputs: inputs, outputs: outputs, dy: dy, w: w)
            #expect(dx.map(\.bitPattern) == ref.map(\.bitPattern), "rows \(rows), inputs \(inputs), outputs \(outputs)")
            var exact = [Float](repeating: 0, count: rows * inputs)
            BLAS.gemmReference(transB: true, m: rows, n: inputs, k: outputs, a: dy, lda: outputs, b: w, ldb: outputs,
                               c: &exact, ldc: inputs)
            for (a, b) in zip(dx, exact) { #expect(abs(a - b) <= 1e-5 * Float(outputs) * max(1, abs(b)), "\(a) vs \(b)") }
        }
    }
}
