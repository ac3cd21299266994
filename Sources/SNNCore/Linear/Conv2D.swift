/// Geometry of a 2-D convolution over channels-last images `[n, h, w, c]` with weights `[kh, kw, c, cout]`.
///
/// The weight layout makes im2col rows (`kh·kw·c` values per output position) multiply the weight matrix
/// directly, so forward, weight-gradient and input-gradient are each one GEMM per chunk of images.
public struct ConvGeometry: Sendable, Equatable {
    public let height: Int, width: Int, channels: Int
    public let kernel: Int, stride: Int, padding: Int, outChannels: Int
    public let outHeight: Int, outWidth: Int

    public init(height: Int, width: Int, channels: Int, kernel: Int, stride: Int, padding: Int, outChannels: Int) {
        self.height = height; self.width = width; self.channels = channels
        self.kernel = kernel; self.stride = stride; self.padding = padding; self.outChannels = outChannels
        self.outHeight = (height + 2 * padding - kernel) / stride + 1
        self.outWidth = (width + 2 * padding - kernel) / stride + 1
    }

    /// Length of one im2col row: the fan-in of one output value.
    @inlinable public var patch: Int { kernel * kernel * channels }
    @inlinable public var inputSize: Int { height * width * channels }
    @inlinable public var outputPositions: Int { outHeight * outWidth }
    @inlinable public var outputSize: Int { outHeight * outWidth * outChannels }
    @inlinable public var weightCount: Int { patch * outChannels }

    /// For every input pixel, how many output positions read it (× outChannels = its synaptic fan-out).
    /// Exact at the borders, so spike-driven operation counts are exact too.
    public func inputFanOut() -> [Int32] {
        var f = [Int32](repeating: 0, count: height * width)
        for oy in 0..<outHeight {
            for ox in 0..<outWidth {
                for ky in 0..<kernel {
                    let y = oy * stride - padding + ky
                    if y < 0 || y >= height { continue }
                    for kx in 0..<kernel {
                        let x = ox * stride - padding + kx
                        if x < 0 || x >= width { continue }
                        f[y * width + x] += 1
                    }
                }
            }
        }
        return f
    }

    /// Number of (output position, kernel tap) pairs that read a real (non-padding) pixel: the exact MAC count of
    /// one image per output channel.
    public func validTaps() -> Int { Int(inputFanOut().reduce(0) { $0 + Int($1) }) }
}

/// im2col, col2im and the three convolution GEMMs.
public enum Conv2D {
    /// Images per chunk so that one chunk's im2col matrix (~96 Ki floats, 384 KiB) stays in L2 while BLAS packs it.
    @inlinable public static func chunkImages(_ g: ConvGeometry) -> Int {
        max(1, (96 << 10) / max(1, g.outputPositions * g.patch))
    }

    /// Writes the im2col matrix `[images·outPositions, patch]` of `images` consecutive images.
    ///
    /// With stride 1 the `kernel` taps of one kernel row read adjacent pixels, so a row inside the image is one
    /// contiguous run of `kernel·channels` floats: copied with vector moves (a `memmove` call per tap of 16 or even
    /// 1 float cost more than the copy; on W2 the calls were a quarter of inference time). Same values as `im2colReference`.
    public static func im2col(_ g: ConvGeometry, input: UnsafePointer<Float>, images: Int, cols: UnsafeMutablePointer<Float>) {
        let c = g.channels, patch = g.patch, k = g.kernel, run = k * c
        for n in 0..<images {
            let img = input + n * g.inputSize
            for oy in 0..<g.outHeight {
                for ox in 0..<g.outWidth {
                    var row = cols + ((n * g.outHeight + oy) * g.outWidth + ox) * patch
                    let x0 = ox * g.stride - g.padding
                    let inside = x0 >= 0 && x0 + k <= g.width && g.stride == 1
                    for ky in 0..<k {
                        let y = oy * g.stride - g.padding + ky
                        if y < 0 || y >= g.height { fillZeros(row, count: run); row += run; continue }
                        if inside { copyFloats(row, img + (y * g.width + x0) * c, count: run); row += run; continue }
                        for kx in 0..<k {
                            let x = x0 + kx
                            if x < 0 || x >= g.width { fillZeros(row, count: c) } else { copyFloats(row, img + (y * g.width + x) * c, count: c) }
                            row += c
                        }
                    }
                }
            }
        }
    }

    /// The plain im2col (one copy per tap): the reference `im2col` is tested against.
    public static func im2colReference(_ g: ConvGeometry, input: UnsafePointer<Float>, images: Int, cols: UnsafeMutablePointer<Float>) {
        let c = g.channels, patch = g.patch
        for n in 0..<images {
            let img = input + n * g.inputSize
            for oy in 0..<g.outHeight {
                for ox in 0..<g.outWidth {
                    var row = cols + ((n * g.outHeight + oy) * g.outWidth + ox) * patch
                    for ky in 0..<g.kernel {
                        for kx in 0..<g.kernel {
                            let y = oy * g.stride - g.padding + ky, x = ox * g.stride - g.padding + kx
                            for i in 0..<c {
                                row[i] = y < 0 || y >= g.height || x < 0 || x >= g.width ? 0 : img[(y * g.width + x) * c + i]
                            }
                            row += c
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    static func copyFloats(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count { store16(load16(src + i), dst + i); i += 16 }
        while i < count { dst[i] = src[i]; i += 1 }
    }

    @inline(__always)
    static func fillZeros(_ dst: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count { store16(Vec16(repeating: 0), dst + i); i += 16 }
        while i < count { dst[i] = 0; i += 1 }
    }

    @inline(__always)
    static func addFloats(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count { store16(load16(dst + i) + load16(src + i), dst + i); i += 16 }
        while i < count { dst[i] += src[i]; i += 1 }
    }

    /// Adds the im2col-shaped gradient back onto the images (the adjoint of `im2col`). `gradInput` must be zeroed
    /// by the caller for these images. Each input value receives its taps' terms in the same order as one tap at a
    /// time would (output positions, then taps, row-major), so the sums are those of the plain loop bit for bit.
    public static func col2imAdd(_ g: ConvGeometry, cols: UnsafePointer<Float>, images: Int, gradInput: UnsafeMutablePointer<Float>) {
        let c = g.channels, patch = g.patch, k = g.kernel, run = k * c
        for n in 0..<images {
            let img = gradInput + n * g.inputSize
            for oy in 0..<g.outHeight {
                for ox in 0..<g.outWidth {
                    var row = cols + ((n * g.outHeight + oy) * g.outWidth + ox) * patch
                    let x0 = ox * g.stride - g.padding
                    let inside = x0 >= 0 && x0 + k <= g.width && g.stride == 1
                    for ky in 0..<k {
                        let y = oy * g.stride - g.padding + ky
                        if y < 0 || y >= g.height { row += run; continue }
                        if inside { addFloats(img + (y * g.width + x0) * c, row, count: run); row += run; continue }
                        for kx in 0..<k {
                            let x = x0 + kx
                            if x >= 0 && x < g.width { addFloats(img + (y * g.width + x) * c, row, count: c) }
                            row += c
                        }
                    }
                }
            }
        }
    }

    /// The plain adjoint (one element at a time, same order): the reference `col2imAdd` is tested against.
    public static func col2imAddReference(_ g: ConvGeometry, cols: UnsafePointer<Float>, images: Int, gradInput: UnsafeMutablePointer<Float>) {
        let c = g.channels, patch = g.patch
        for n in 0..<images {
            for oy in 0..<g.outHeight { for ox in 0..<g.outWidth {
                let row = cols + ((n * g.outHeight + oy) * g.outWidth + ox) * patch
                for ky in 0..<g.kernel { for kx in 0..<g.kernel {
                    let y = oy * g.stride - g.padding + ky, x = ox * g.stride - g.padding + kx
                    if y < 0 || y >= g.height || x < 0 || x >= g.width { continue }
                    for i in 0..<c { gradInput[n * g.inputSize + (y * g.width + x) * c + i] += row[(ky * g.kernel + kx) * c + i] }
                }}
            }}
        }
    }

    /// output[n, oy, ox, co] = Σ input·weight (+ bias). `scratch` must hold `chunkImages(g)·outPositions·patch` floats.
    public static func forward(_ g: ConvGeometry, input: UnsafePointer<Float>, images: Int, weights: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let chunk = chunkImages(g)
        var start = 0
        while start < images {
            let n = min(chunk, images - start)
            let rows = n * g.outputPositions
            let out = output + start * g.outputSize
            let direct = g.kernel == 1 && g.stride == 1 && g.padding == 0
            let a: UnsafePointer<Float>
            if direct { a = input + start * g.inputSize } else {
                im2col(g, input: input + start * g.inputSize, images: n, cols: scratch); a = UnsafePointer(scratch)
            }
            if let bias {
                for r in 0..<rows { (out + r * g.outChannels).update(from: bias, count: g.outChannels) }
            }
            BLAS.gemm(m: rows, n: g.outChannels, k: g.patch, a: a, lda: g.patch, b: weights, ldb: g.outChannels,
                      beta: bias == nil ? 0 : 1, c: out, ldc: g.outChannels)
            start += n
        }
    }

    /// Accumulates the weight (and bias) gradient and, when `gradInput` is given, writes the input gradient.
    public static func backward(_ g: ConvGeometry, input: UnsafePointer<Float>, images: Int, weights: UnsafePointer<Float>,
                                gradOutput: UnsafePointer<Float>, gradWeights: UnsafeMutablePointer<Float>,
                                gradBias: UnsafeMutablePointer<Float>?, gradInput: UnsafeMutablePointer<Float>?,
                                scratch: UnsafeMutablePointer<Float>) {
        let chunk = chunkImages(g)
        var start = 0
        if let gradInput { gradInput.update(repeating: 0, count: images * g.inputSize) }
        while start < images {
            let n = min(chunk, images - start)
            let rows = n * g.outputPositions
            let dy = gradOutput + start * g.outputSize
            im2col(g, input: input + start * g.inputSize, images: n, cols: scratch)
            // dW[patch, cout] += colsᵀ · dy
            BLAS.gemm(transA: true, m: g.patch, n: g.outChannels, k: rows, a: scratch, lda: g.patch,
                      b: dy, ldb: g.outChannels, beta: 1, c: gradWeights, ldc: g.outChannels)
            if let gradBias {
                for r in 0..<rows { for o in 0..<g.outChannels { gradBias[o] += dy[r * g.outChannels + o] } }
            }
            if let gradInput {
                // dcols[rows, patch] = dy · Wᵀ, then scatter back.
                BLAS.gemm(transB: true, m: rows, n: g.patch, k: g.outChannels, a: dy, lda: g.outChannels,
                          b: weights, ldb: g.outChannels, c: scratch, ldc: g.patch)
                col2imAdd(g, cols: scratch, images: n, gradInput: gradInput + start * g.inputSize)
            }
            start += n
        }
    }

    /// Writes only the input gradient (`dcols = dy·Wᵀ`, scattered back by `col2imAdd`), chunk by chunk as `backward`
    /// does: for layers whose weight gradient comes from elsewhere (`SpikeConv2D.weightGradient`).
    public static func inputGradient(_ g: ConvGeometry, images: Int, weights: UnsafePointer<Float>,
                                     gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
                                     scratch: UnsafeMutablePointer<Float>) {
        let chunk = chunkImages(g)
        var start = 0
        gradInput.update(repeating: 0, count: images * g.inputSize)
        while start < images {
            let n = min(chunk, images - start)
            let rows = n * g.outputPositions
            BLAS.gemm(transB: true, m: rows, n: g.patch, k: g.outChannels, a: gradOutput + start * g.outputSize,
                      lda: g.outChannels, b: weights, ldb: g.outChannels, c: scratch, ldc: g.patch)
            col2imAdd(g, cols: scratch, images: n, gradInput: gradInput + start * g.inputSize)
            start += n
        }
    }

    /// Scratch floats `forward`/`backward` need.
    public static func scratchCount(_ g: ConvGeometry, images: Int) -> Int {
        min(chunkImages(g), max(1, images)) * g.outputPositions * g.patch
    }

    /// Direct 7-loop convolution (Double accumulation): the reference for tests.
    public static func forwardReference(_ g: ConvGeometry, input: [Float], images: Int, weights: [Float], bias: [Float]?) -> [Float] {
        var out = [Float](repeating: 0, count: images * g.outputSize)
        for n in 0..<images {
            for oy in 0..<g.outHeight { for ox in 0..<g.outWidth { for co in 0..<g.outChannels {
                var s = Double(bias?[co] ?? 0)
                for ky in 0..<g.kernel { for kx in 0..<g.kernel {
                    let y = oy * g.stride - g.padding + ky, x = ox * g.stride - g.padding + kx
                    if y < 0 || y >= g.height || x < 0 || x >= g.width { continue }
                    for ci in 0..<g.channels {
                        s += Double(input[n * g.inputSize + (y * g.width + x) * g.channels + ci])
                           * Double(weights[((ky * g.kernel + kx) * g.channels + ci) * g.outChannels + co])
                    }
                }}
                out[n * g.outputSize + (oy * g.outWidth + ox) * g.outChannels + co] = Float(s)
            }}}
        }
        return out
    }
}
