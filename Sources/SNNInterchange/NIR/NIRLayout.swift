/// Index maps between our channels-last layouts and NIR's channels-first (PyTorch) ones.
enum NIRLayout {
    /// Our per-sample shape `[H, W, C]` or `[N]` as NIR's `(C, H, W)` or `(N)`.
    static func nirShape(_ ours: [Int]) -> [Int] { ours.count == 3 ? [ours[2], ours[0], ours[1]] : ours }

    /// NIR's `(C, H, W)` or `(N)` as our `[H, W, C]` or `[N]`.
    static func ourShape(_ nir: [Int]) -> [Int] { nir.count == 3 ? [nir[1], nir[2], nir[0]] : nir }

    /// For a flattened `[H, W, C]` map: `perm[nirIndex] = ourIndex`, where NIR flattens (c, h, w) and we flatten
    /// (h, w, c).
    static func flattenPermutation(height h: Int, width w: Int, channels c: Int) -> [Int] {
        var perm = [Int](repeating: 0, count: h * w * c)
        for ci in 0..<c { for y in 0..<h { for x in 0..<w { perm[(ci * h + y) * w + x] = (y * w + x) * c + ci } } }
        return perm
    }

    /// Our dense weight `[in, out]` (row-major) as NIR's `[out, in]`, with NIR input `i` reading our input `perm[i]`.
    static func denseToNIR(_ w: ArraySlice<Float>, inputs: Int, outputs: Int, perm: [Int]?) -> [Float] {
        let base = w.startIndex
        var out = [Float](repeating: 0, count: inputs * outputs)
        for o in 0..<outputs {
            for i in 0..<inputs { out[o * inputs + i] = w[base + (perm?[i] ?? i) * outputs + o] }
        }
        return out
    }

    /// NIR's `[out, in]` as our dense weight `[in, out]`, with NIR input `i` being our input `perm[i]`.
    static func denseFromNIR(_ w: [Float], inputs: Int, outputs: Int, perm: [Int]?) -> [Float] {
        var out = [Float](repeating: 0, count: inputs * outputs)
        for o in 0..<outputs {
            for i in 0..<inputs { out[(perm?[i] ?? i) * outputs + o] = w[o * inputs + i] }
        }
        return out
    }

    /// Our conv weight `[kh, kw, c, cout]` as NIR's `[cout, c, kh, kw]`.
    static func convToNIR(_ w: ArraySlice<Float>, kernel k: Int, channels c: Int, outChannels co: Int) -> [Float] {
        let base = w.startIndex
        var out = [Float](repeating: 0, count: k * k * c * co)
        for o in 0..<co { for ci in 0..<c { for y in 0..<k { for x in 0..<k {
            out[((o * c + ci) * k + y) * k + x] = w[base + ((y * k + x) * c + ci) * co + o]
        } } } }
        return out
    }

    /// NIR's `[cout, c, kh, kw]` as our `[kh, kw, c, cout]`.
    static func convFromNIR(_ w: [Float], kernel k: Int, channels c: Int, outChannels co: Int) -> [Float] {
        var out = [Float](repeating: 0, count: k * k * c * co)
        for o in 0..<co { for ci in 0..<c { for y in 0..<k { for x in 0..<k {
            out[((y * k + x) * c + ci) * co + o] = w[((o * c + ci) * k + y) * k + x]
        } } } }
        return out
    }
}
