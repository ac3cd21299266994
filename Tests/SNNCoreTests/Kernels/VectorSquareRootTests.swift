import Testing
import SNNCore

/// `squareRoot16` (one vector instruction) against `Float.squareRoot()` lane by lane: the same bits for random values
/// over many magnitudes and for the special values (zeros, subnormals, the largest float, infinity; NaN for
/// negative inputs and NaN).
@Suite struct VectorSquareRootTests {
    @Test func everyLaneEqualsTheScalarSquareRoot() {
        var values = randomFloats(4096, in: 0...1, seed: 21)
        values += randomFloats(4096, in: 0...1, seed: 22).map { $0 * 1e-30 }
        values += randomFloats(4096, in: 0...1, seed: 23).map { $0 * 1e30 }
        values += [0, -0.0, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, .infinity,
                   1, 2, 4, 0.25, 1e-45, 3.4e38, -1, -.infinity, .nan, 0x1.fffffep-1, 0x1.000002p0, 0.5]
        while values.count % 16 != 0 { values.append(Float(values.count)) }
        for start in stride(from: 0, to: values.count, by: 16) {
            var v = SIMD16<Float>()
            for i in 0..<16 { v[i] = values[start + i] }
            let r = squareRoot16(v)
            for i in 0..<16 {
                let expected = values[start + i].squareRoot()
                #expect(expected.isNaN ? r[i].isNaN : r[i].bitPattern == expected.bitPattern, "sqrt(\(values[start + i]))")
            }
        }
    }
}
