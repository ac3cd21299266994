import CBLAS

/// The square root of every lane in one vector instruction (`snn_sqrt16`, CBLAS's vector_math.h), where
/// `SIMD16<Float>.squareRoot()` computes lane by lane. The same bits: IEEE square root is correctly rounded.
@inline(__always) public func squareRoot16(_ v: SIMD16<Float>) -> SIMD16<Float> { snn_sqrt16(v) }
