/// The surrogates of `Surrogate` as SIMD16 functions, one concrete type per case so that the LIF backward kernel
/// is specialised for each (no per-element switch).
///
/// Triangular and ATan perform exactly the operations of `Surrogate.derivative`, in the same order, so they are
/// bit-identical to it; the sigmoid uses `exp16` and agrees to a few ulp.
protocol SurrogateSIMD {
    func callAsFunction(_ u: Vec16) -> Vec16
}

/// BNTT's triangle `scale·max(0, 1 − |U/θ − 1|)/θ`.
struct TriangularSIMD: SurrogateSIMD {
    let scale: Vec16, theta: Vec16
    init(scale: Float, threshold: Float) {
        self.scale = Vec16(repeating: scale)
        self.theta = Vec16(repeating: threshold)
    }
    @inline(__always) func callAsFunction(_ u: Vec16) -> Vec16 {
        let one = Vec16(repeating: 1)
        return scale * relu16(one - abs16(u / theta - one)) / theta
    }
}

/// snnTorch's ATan `(α/2) / (1 + (π/2·α·(U − θ))²)`.
struct ATanSIMD: SurrogateSIMD {
    let factor: Vec16, halfAlpha: Vec16, theta: Vec16
    init(alpha: Float, threshold: Float) {
        factor = Vec16(repeating: Float.pi / 2 * alpha)
        halfAlpha = Vec16(repeating: alpha / 2)
        theta = Vec16(repeating: threshold)
    }
    @inline(__always) func callAsFunction(_ u: Vec16) -> Vec16 {
        let z = factor * (u - theta)
        return halfAlpha / (Vec16(repeating: 1) + z * z)
    }
}

/// SpikingJelly's sigmoid `α·σ(α(U − θ))·(1 − σ(α(U − θ)))`.
struct SigmoidSIMD: SurrogateSIMD {
    let alpha: Vec16, negAlpha: Vec16, theta: Vec16
    init(alpha: Float, threshold: Float) {
        self.alpha = Vec16(repeating: alpha)
        negAlpha = Vec16(repeating: -alpha)
        theta = Vec16(repeating: threshold)
    }
    @inline(__always) func callAsFunction(_ u: Vec16) -> Vec16 {
        let one = Vec16(repeating: 1)
        let sg = one / (one + exp16(negAlpha * (u - theta)))
        return alpha * sg * (one - sg)
    }
}
