// Vector loops for the exact event counts of layers fed by spikes or average-pooled spikes.
//
// A pooled value v stands for round(|v|·m) binary spikes (m = the pool's window area); a layer's synaptic operations
// are those spikes times their fan-out. The per-value loops with a branch per value took about 8 % of W2's
// inference; these sum 16 values at a time. Sums of small integers in Float are exact, so the counts equal the
// scalar references exactly.

extension Events {
    /// Σ round(|p[i]|·multiplicity) over `p[0..<count]` (rounding half away from zero, as `Float.rounded()`).
    public static func constituents(_ p: UnsafePointer<Float>, count: Int, multiplicity: Float) -> Int64 {
        let m = SIMD16<Float>(repeating: multiplicity)
        var total: Int64 = 0
        var i = 0
        while i + 16 <= count {
            // Per block of 16: at most 16 · 2^24 before Float stops being exact; blocks of ≤ 1024 values keep it so.
            var acc = SIMD16<Float>(repeating: 0)
            let end = min(count - 15, i + 1024)
            while i < end {
                acc += (abs16(load16(p + i)) * m).rounded(.toNearestOrAwayFromZero)
                i += 16
            }
            total += Int64(acc.sum())
        }
        while i < count { total += Int64((abs(p[i]) * multiplicity).rounded()); i += 1 }
        return total
    }

    /// Reference of `constituents`, one value at a time.
    public static func constituentsReference(_ p: UnsafePointer<Float>, count: Int, multiplicity: Float) -> Int64 {
        var total: Int64 = 0
        for i in 0..<count where p[i] != 0 { total += Int64((abs(p[i]) * multiplicity).rounded()) }
        return total
    }

    /// Σ over pixels of `fanOut[pixel]` × (constituent spikes of the pixel's `channels` values), for one image
    /// `[pixels, channels]`: a convolution's synaptic operations per output channel.
    public static func fannedConstituents(_ p: UnsafePointer<Float>, pixels: Int, channels: Int, multiplicity: Float,
                                          fanOut: UnsafePointer<Int32>) -> Int64 {
        var total: Int64 = 0
        for pix in 0..<pixels {
            let f = Int64(fanOut[pix])
            if f == 0 { continue }
            total += f * constituents(p + pix * channels, count: channels, multiplicity: multiplicity)
        }
        return total
    }
}
