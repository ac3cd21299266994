// ReLU for the non-spiking source CNN of ECC conversion (METHODS §4.3).

/// `y[i] = max(x[i], 0)` (`x >= 0 ? x : 0`, so −0 and NaN map to 0 as in `reluReference`), 16 lanes at a time.
public func relu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 16 <= count { store16(relu16(load16(x + i)), y + i); i += 16 }
    while i < count { let v = x[i]; y[i] = v >= 0 ? v : 0; i += 1 }
}

/// The scalar definition `relu` is checked against.
public func reluReference(_ x: [Float]) -> [Float] { x.map { $0 >= 0 ? $0 : 0 } }

/// The largest value of `x[0..<count]` (−∞ for none), 16 lanes at a time. Max is exact and order-free, so the
/// result does not depend on the lane grouping (the λ statistic of ECC conversion, METHODS §4.3).
public func maxValue(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var m = Vec16(repeating: -.infinity)
    var i = 0
    while i + 16 <= count { let v = load16(x + i); m = m.replacing(with: v, where: v .> m); i += 16 }
    var r = m.max()
    while i < count { if x[i] > r { r = x[i] }; i += 1 }
    return r
}

/// The scalar definition `maxValue` is checked against.
public func maxValueReference(_ x: [Float]) -> Float { x.reduce(-Float.infinity) { $1 > $0 ? $1 : $0 } }
