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
    ///
    /// With a multiple of 16 channels (W2, BNTT) the pixels' rounded values are weighted by their fan-out lane-wise
    /// in Float and summed to Int64 once per block of pixels, instead of one horizontal sum per pixel (3 – 4 % of
    /// W2's time). A block's lane sums stay below 2^24 (checked from the largest rounded value seen, else the block
    /// is counted pixel by pixel), so every sum is an exact integer and the count equals the reference exactly.
    public static func fannedConstituents(_ p: UnsafePointer<Float>, pixels: Int, channels: Int, multiplicity: Float,
                                          fanOut: UnsafePointer<Int32>) -> Int64 {
        guard channels > 0 && channels % 16 == 0 else {
            return fannedConstituentsPerPixel(p, pixels: pixels, channels: channels, multiplicity: multiplicity, fanOut: fanOut)
        }
        let m = SIMD16<Float>(repeating: multiplicity), zero = SIMD16<Float>(repeating: 0)
        let blockPixels = 256
        var total: Int64 = 0
        var start = 0
        while start < pixels {
            let end = min(pixels, start + blockPixels)
            var acc = zero, largest = zero
            var largestFan: Int32 = 0
            for pix in start..<end {
                let f = fanOut[pix]
                if f == 0 { continue }
                largestFan = Swift.max(largestFan, f)
                let q = p + pix * channels
                var sum = zero
                var c = 0
                while c < channels {
                    sum += (abs16(load16(q + c)) * m).rounded(.toNearestOrAwayFromZero)
                    c += 16
                }
                largest = largest.replacing(with: sum, where: sum .> largest)
                acc += SIMD16<Float>(repeating: Float(f)) * sum
            }
            // Every lane sum ≤ largest · largestFan · pixels of the block; exact when under 2^24 (NaN fails the test).
            if largest.max() * Float(largestFan) * Float(end - start) < 16_777_216 {
                total += Int64(acc.sum())
            } else {
                total += fannedConstituentsPerPixel(p + start * channels, pixels: end - start, channels: channels,
                                                    multiplicity: multiplicity, fanOut: fanOut + start)
            }
            start = end
        }
        return total
    }

    /// `fannedConstituents` one pixel at a time (`constituents` per pixel): any channel count and any values.
    public static func fannedConstituentsPerPixel(_ p: UnsafePointer<Float>, pixels: Int, channels: Int, multiplicity: Float,
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
