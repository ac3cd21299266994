// Event-driven convolution on sparse inputs: binary spikes, or average-pooled spikes (0, 1/k², …, 1).
//
// A spiking layer's output is mostly zeros (W2: about 10–20 % of neurons fire per step; after a 2×2 average pool
// about a third of the values are non-zero). im2col + GEMM multiplies every zero; here each image's non-zero
// inputs are listed once per pixel, and every output position accumulates only the weight rows of the non-zero
// inputs under its kernel taps: output-stationary, all output channels of a position in registers.
//
// Summation order (fixed, so results are identical for any thread or worker count, and equal to the scalar
// reference bit for bit): for each output value, taps in row-major (ky, kx) order and channels ascending, kernel
// rows of even ky into one partial sum and odd ky into another (two independent chains hide the add latency),
// then `even + odd`, then `+ bias`. Each term is `x·w` rounded, then added (no fused multiply-add). This differs
// from the GEMM's order, so parameters trained through it differ from the im2col path in the last bits.

/// Event-driven forward and weight gradient of `ConvGeometry` convolutions whose input is sparse.
public enum SpikeConv2D {
    /// Whether the kernels handle `g`: output channels in whole vectors of 16, at most 64.
    public static func supports(_ g: ConvGeometry) -> Bool {
        g.outChannels % 16 == 0 && g.outChannels <= 64 && g.channels > 0
    }

    /// Scratch floats (and as many 32-bit ints) `forward`/`weightGradient` need: one image's non-zero list.
    public static func scratchCount(_ g: ConvGeometry) -> Int { g.height * g.width * g.channels }

    /// Lists one image's non-zero inputs per pixel: `counts[p]` of them, channel `×outChannels` (the weight-row
    /// offset) in `rows[p·C ..]`, value in `values[p·C ..]`, channels ascending.
    @inline(__always)
    static func listNonZeros(_ g: ConvGeometry, image: UnsafePointer<Float>, counts: UnsafeMutablePointer<Int32>,
                             rows: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>) {
        let c = g.channels, co = Int32(g.outChannels)
        for p in 0..<(g.height * g.width) {
            let x = image + p * c
            var k = 0
            for ci in 0..<c where x[ci] != 0 {
                rows[p * c + k] = Int32(ci) * co
                values[p * c + k] = x[ci]
                k += 1
            }
            counts[p] = Int32(k)
        }
    }

    /// `output[n, oy, ox, co] = (even + odd) (+ bias[co])` over the non-zero inputs (see the file's comment).
    /// `values` and `rows` must each hold `scratchCount(g)` elements, `counts` `height·width`.
    public static func forward(_ g: ConvGeometry, input: UnsafePointer<Float>, images: Int, weights: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                               values: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Int32>,
                               counts: UnsafeMutablePointer<Int32>) {
        precondition(supports(g), "event-driven conv needs output channels in multiples of 16 (≤ 64), got \(g.outChannels)")
        let c = g.channels, cout = g.outChannels, kk = g.kernel
        for n in 0..<images {
            listNonZeros(g, image: input + n * g.inputSize, counts: counts, rows: rows, values: values)
            let out = output + n * g.outputSize
            for oy in 0..<g.outHeight {
                for ox in 0..<g.outWidth {
                    let o = out + (oy * g.outWidth + ox) * cout
                    var cb = 0
                    while cb < cout {
                        // Up to 32 output channels per pass: two vectors per partial sum.
                        let pair = cb + 32 <= cout
                        var e0 = Vec16(repeating: 0), e1 = e0, d0 = e0, d1 = e0
                        for ky in 0..<kk {
                            let y = oy * g.stride - g.padding + ky
                            if y < 0 || y >= g.height { continue }
                            for kx in 0..<kk {
                                let x = ox * g.stride - g.padding + kx
                                if x < 0 || x >= g.width { continue }
                                let p = y * g.width + x
                                let m = Int(counts[p])
                                if m == 0 { continue }
                                let w = weights + (ky * kk + kx) * c * cout + cb
                                let r = rows + p * c, v = values + p * c
                                if ky & 1 == 0 {
                                    if pair {
                                        for j in 0..<m {
                                            let s = Vec16(repeating: v[j]), wr = w + Int(r[j])
                                            e0 = e0 + s * load16(wr); e1 = e1 + s * load16(wr + 16)
                                        }
                                    } else {
                                        for j in 0..<m { e0 = e0 + Vec16(repeating: v[j]) * load16(w + Int(r[j])) }
                                    }
                                } else {
                                    if pair {
                                        for j in 0..<m {
                                            let s = Vec16(repeating: v[j]), wr = w + Int(r[j])
                                            d0 = d0 + s * load16(wr); d1 = d1 + s * load16(wr + 16)
                                        }
                                    } else {
                                        for j in 0..<m { d0 = d0 + Vec16(repeating: v[j]) * load16(w + Int(r[j])) }
                                    }
                                }
                            }
                        }
                        var s0 = e0 + d0
                        if let bias { s0 = s0 + load16(bias + cb) }
                        store16(s0, o + cb)
                        if pair {
                            var s1 = e1 + d1
                            if let bias { s1 = s1 + load16(bias + cb + 16) }
                            store16(s1, o + cb + 16)
                        }
                        cb += pair ? 32 : 16
                    }
                }
            }
        }
    }

    /// Scalar reference of `forward`, the same order and roundings one value at a time (tests compare bit for bit).
    public static func forwardReference(_ g: ConvGeometry, input: [Float], images: Int, weights: [Float], bias: [Float]?) -> [Float] {
        var out = [Float](repeating: 0, count: images * g.outputSize)
        for n in 0..<images {
            for oy in 0..<g.outHeight { for ox in 0..<g.outWidth { for co in 0..<g.outChannels {
                var even: Float = 0, odd: Float = 0
                for ky in 0..<g.kernel { for kx in 0..<g.kernel {
                    let y = oy * g.stride - g.padding + ky, x = ox * g.stride - g.padding + kx
                    if y < 0 || y >= g.height || x < 0 || x >= g.width { continue }
                    for ci in 0..<g.channels {
                        let v = input[n * g.inputSize + (y * g.width + x) * g.channels + ci]
                        if v == 0 { continue }
                        let term = v * weights[((ky * g.kernel + kx) * g.channels + ci) * g.outChannels + co]
                        if ky % 2 == 0 { even = even + term } else { odd = odd + term }
                    }
                }}
                var s = even + odd
                if let bias { s = s + bias[co] }
                out[n * g.outputSize + (oy * g.outWidth + ox) * g.outChannels + co] = s
            }}}
        }
        return out
    }

    /// Accumulates the weight gradient over the non-zero inputs: for each image, each non-zero input (pixel, then
    /// channel, ascending) and each kernel tap (row-major) that reads it into a valid output position,
    /// `gradWeights[tap, ci, :] += x·gradOutput[position, :]` (product rounded, then added). The bias gradient, if
    /// any, is the caller's (it does not depend on the input).
    public static func weightGradient(_ g: ConvGeometry, input: UnsafePointer<Float>, images: Int,
                                      gradOutput: UnsafePointer<Float>, gradWeights: UnsafeMutablePointer<Float>,
                                      values: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Int32>,
                                      counts: UnsafeMutablePointer<Int32>) {
        precondition(supports(g), "event-driven conv needs output channels in multiples of 16 (≤ 64), got \(g.outChannels)")
        let c = g.channels, cout = g.outChannels, kk = g.kernel, vectors = cout / 16
        for n in 0..<images {
            listNonZeros(g, image: input + n * g.inputSize, counts: counts, rows: rows, values: values)
            let dy = gradOutput + n * g.outputSize
            for y in 0..<g.height {
                for x in 0..<g.width {
                    let p = y * g.width + x
                    let m = Int(counts[p])
                    if m == 0 { continue }
                    let r = rows + p * c, v = values + p * c
                    for ky in 0..<kk {
                        let sy = y + g.padding - ky
                        if sy < 0 || sy % g.stride != 0 { continue }
                        let oy = sy / g.stride
                        if oy >= g.outHeight { continue }
                        for kx in 0..<kk {
                            let sx = x + g.padding - kx
                            if sx < 0 || sx % g.stride != 0 { continue }
                            let ox = sx / g.stride
                            if ox >= g.outWidth { continue }
                            let d = dy + (oy * g.outWidth + ox) * cout
                            let gw = gradWeights + (ky * kk + kx) * c * cout
                            for j in 0..<m {
                                let s = Vec16(repeating: v[j]), row = gw + Int(r[j])
                                for q in 0..<vectors { store16(load16(row + 16 * q) + s * load16(d + 16 * q), row + 16 * q) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Scalar reference of `weightGradient`, same order and roundings.
    public static func weightGradientReference(_ g: ConvGeometry, input: [Float], images: Int, gradOutput: [Float],
                                               gradWeights: inout [Float]) {
        for n in 0..<images {
            for y in 0..<g.height { for x in 0..<g.width { for ci in 0..<g.channels {
                let v = input[n * g.inputSize + (y * g.width + x) * g.channels + ci]
                if v == 0 { continue }
                for ky in 0..<g.kernel { for kx in 0..<g.kernel {
                    let sy = y + g.padding - ky, sx = x + g.padding - kx
                    if sy < 0 || sx < 0 || sy % g.stride != 0 || sx % g.stride != 0 { continue }
                    let oy = sy / g.stride, ox = sx / g.stride
                    if oy >= g.outHeight || ox >= g.outWidth { continue }
                    for co in 0..<g.outChannels {
                        let i = ((ky * g.kernel + kx) * g.channels + ci) * g.outChannels + co
                        gradWeights[i] = gradWeights[i] + v * gradOutput[n * g.outputSize + (oy * g.outWidth + ox) * g.outChannels + co]
                    }
                }}
            }}}
        }
    }
}
