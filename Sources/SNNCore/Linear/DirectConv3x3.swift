// Direct (implicit-GEMM) 3×3 convolution for small channel counts: forward, weight gradient and input gradient
// without im2col columns.
//
// im2col + sgemm copies every input value 9 times into a column matrix (W2's second conv: ~58 MB per micro-batch),
// and sgemm then packs that matrix again. Here each image is copied once into a zero-padded buffer (so the inner
// loops have no border branches), and register-blocked SIMD16 FMA micro-kernels read it in place: a block of
// output positions × a block of output channels in registers, the weights (9·C·Cout floats, 18 KB on W2) in L1.
//
// Padded coordinates: with `wp = width + 2·padding`, output position (oy, ox) reads padded pixel
// (oy + ky, ox + kx) for tap (ky, kx); in the flat index `q = oy·wp + ox` every tap is one constant offset, so a
// block of consecutive q runs the same loop whatever row it is on. The q with ox ≥ outWidth are junk (computed,
// never stored); the buffer has zero slack rows so the last block reads inside it.
//
// Measured on W2's convolutions (one thread, best of 5 in `DirectConvBenchmarks` with OpenBLAS on its SkylakeX core,
// two runs on the shared 2-core AVX-512 Xeon): second conv 14×14×16 → 32, 512 images: forward 8.0 – 15.8 ms against
// im2col + sgemm's 24.0 – 38.4, weight gradient 7.3 – 13.2 against 15.2 – 36.3, input gradient 11.2 – 19.4 against
// 13.8 – 33.4; first conv 28×28×1 → 16, 64 images: forward 0.26 – 0.28 against 1.5 – 1.9, weight gradient 0.14
// against 2.2 – 3.4. So every geometry the kernels support goes direct (`ConvLayer.directForward` etc.).
//
// Since then (second conv, 512 images, one thread, best of 9 in three interleaved runs on the same machine while
// another engineer's benchmark held it busy; a standalone harness compiling this file): with the row-aligned blocks and
// `repeat` loops, AVX-512 forward 5.95 – 8.3 ms against 7.1 – 8.8 before, input gradient 6.7 – 12.0 against
// 10.2 – 10.8, weight gradient 5.7 – 9.8 against 6.1 – 8.3 (best runs: 1.20x, 1.51x, 1.06x). Built for AVX2
// (`-target-cpu znver3`, no zmm), the AVX-512 blocking spilled its accumulators and ran at 12 – 30 GFLOP/s
// (forward 39 – 80 ms, weight gradient 31 – 41, input gradient 31 – 47); `Blocking.registers16` runs at
// 67 – 72 GFLOP/s (about 13 ms each), 45 % of the AVX-512 kernels' 131 – 162 on the same cores (the vectors are
// half as wide). First conv (64 images): AVX2 forward 0.39 ms against 0.93 – 1.53.
// `DirectConvBenchmarks` in the AVX2 build against im2col + OpenBLAS's Haswell sgemm (one run, same conditions):
// second conv forward 14.5 ms against 29.4, weight gradient 12.3 against 20.1, input gradient 13.5 against 18.1
// (the AVX-512 blocking compiled for AVX2: 22.3, 15.6, 18.6); in the AVX-512 build `registers16` runs at 59 – 89 %
// of `registers32`'s speed, so `native` picks by the vector width, not by what the CPU could run.
//
// Summation order (fixed, independent of threads, of how images are split and of the block sizes; each kernel's
// scalar reference below follows it one value at a time and tests compare bit for bit). Every term is one fused
// multiply-add (`addingProduct`, a single rounding); padding values are zeros that take part in the chain.
// - forward, per output value (n, oy, ox, co): s = +0; taps (ky, kx) row-major, channels ci ascending:
//   s = fma(x[oy+ky−p, ox+kx−p, ci], w[ky, kx, ci, co], s); then out = s (+ bias[co], one rounded add).
// - input gradient, per value (n, y, x, ci): s = +0; taps (ky, kx) in descending row-major order (that is, the
//   output rows and columns it reads ascending), output channels co ascending:
//   s = fma(dy[y+p−ky, x+p−kx, co], w[ky, kx, ci, co], s), dy = 0 outside the output; then dx = s.
// - weight gradient, per weight (ky, kx, ci, co): for each image n ascending, s = +0; output positions (oy, ox)
//   row-major: s = fma(x[oy+ky−p, ox+kx−p, ci], dy[n, oy, ox, co], s); then gw = gw + s (one rounded add).
//
// The loops inside the micro-kernels are `repeat … while` (each runs at least once: the geometries the kernels
// accept have at least one channel and one output position). Written as `for … in 0..<n`, LLVM guarded every inner
// loop against a zero trip count and, at the join, copied each accumulator from one register to another on every
// iteration (Swift 6.3, AVX-512: 90 `vmovaps` beside the 48 FMAs of the 8 × 32 block, 54 beside the 36 of the
// 12 × 16 one); as `repeat` loops there are none.
//
// These differ from sgemm's order, so parameters trained through them differ from the im2col path in the last
// bits (within float tolerance); `SNN_CONV_IM2COL=1` forces the im2col path (see `ConvLayer`).

import CBLAS

/// Direct 3×3, stride-1 convolution kernels (`ConvGeometry` layouts: images `[n, h, w, c]`, weights
/// `[3, 3, c, cout]`), single-threaded per call.
public enum DirectConv3x3 {
    /// Output positions per forward block with 32 output channels (2 vectors each: 16 accumulators; 6 positions,
    /// 12 accumulators, ran at 60 – 70 % of this speed on W2's second conv).
    static let positions2 = 8
    /// Output positions per forward block with 16 output channels (1 vector each: 12 accumulators).
    static let positions1 = 12
    /// Output positions per forward block of 16 output channels with `Blocking.registers16` (6 SIMD16 accumulators,
    /// 12 ymm registers, plus 2 for the weights and 1 for the broadcast input: all 16 without spills).
    static let positions16 = 6

    /// How the micro-kernels block their accumulators in registers. The summation order of every output value is
    /// the same whatever the blocking (see the file's comment), so both produce the same bits; they differ only in
    /// speed. `native` is chosen at compile time from the vector width the build targets (`SNN_VECTOR_REGISTER_BITS`,
    /// from the same `-target-cpu` as the Swift code): with AVX2 a `SIMD16<Float>` is two ymm registers and there
    /// are 16 of them, so the AVX-512 blocking's 16 SIMD16 accumulators (32 ymm) would live on the stack.
    public enum Blocking: Sendable, CaseIterable {
        /// 32 vector registers of 16 floats (AVX-512): forward 8 positions × 32 output channels (16 accumulators)
        /// or 12 × 16; weight gradient 8 input × 32 output channels, or 9 taps × 16 output channels.
        case registers32
        /// 16 vector registers of 8 floats (AVX2): forward 6 positions × 16 output channels (12 ymm accumulators);
        /// weight gradient 4 input × 16 output channels (8 ymm), or 9 taps × 8 output channels (9 ymm).
        case registers16

        /// The blocking for the registers of the CPU this build targets.
        public static let native: Blocking = SNN_VECTOR_REGISTER_BITS >= 512 ? .registers32 : .registers16
    }

    /// Whether `forward` handles `g`: 3×3, stride 1, padding 0…2, output channels in whole vectors of 16.
    public static func supportsForward(_ g: ConvGeometry) -> Bool {
        g.kernel == 3 && g.stride == 1 && (0...2).contains(g.padding) && g.outChannels % 16 == 0
            && g.outChannels > 0 && g.channels > 0 && g.outHeight > 0 && g.outWidth > 0
    }

    /// Whether `inputGradient` handles `g`: as `forward`, with input channels in whole vectors of 16 (they are the
    /// output channels of the transposed convolution).
    public static func supportsInputGradient(_ g: ConvGeometry) -> Bool {
        supportsForward(g) && g.channels % 16 == 0
    }

    /// Whether `weightGradient` handles `g`: as `forward`. (Blocks of 8 input × 32 output channels where the
    /// channel counts allow, else all 9 taps × 16 output channels of one input channel.)
    public static func supportsWeightGradient(_ g: ConvGeometry) -> Bool {
        supportsForward(g)
    }

    // MARK: Padded buffers

    /// Layout of one zero-padded image (and its slack) for a convolution of `height × width × channels` with
    /// `padding`, whose blocked output loop covers `blocks·block` flat positions.
    struct Padded {
        let wp: Int, hp: Int, channels: Int, padding: Int
        let outHeight: Int, outWidth: Int
        /// Flat output positions computed: `(outHeight − 1)·wp + outWidth`, rounded up to whole blocks.
        let positions: Int
        /// Floats of the buffer: the padded image plus slack rows read by the last block.
        let count: Int

        init(height: Int, width: Int, channels: Int, padding: Int, block: Int) {
            self.wp = width + 2 * padding; self.hp = height + 2 * padding
            self.channels = channels; self.padding = padding
            self.outHeight = hp - 2; self.outWidth = wp - 2
            let used = (outHeight - 1) * wp + outWidth
            self.positions = (used + block - 1) / block * block
            self.count = max(hp * wp, positions + 2 * wp + 2) * channels
        }

        /// Copies one image into the interior of `buffer`; the border and slack must already be zero (they are
        /// never written, so zeroing the buffer once per call is enough).
        @inline(__always)
        func fill(_ buffer: UnsafeMutablePointer<Float>, from image: UnsafePointer<Float>, height: Int, width: Int) {
            let run = width * channels
            for y in 0..<height {
                Conv2D.copyFloats(buffer + ((y + padding) * wp + padding) * channels, image + y * run, count: run)
            }
        }
    }

    // MARK: Forward

    /// `output[n, oy, ox, co] = s (+ bias[co])` in the order of the file's comment.
    public static func forward(_ g: ConvGeometry, input: UnsafePointer<Float>, images: Int, weights: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                               blocking: Blocking = .native) {
        precondition(supportsForward(g), "direct 3x3 conv does not handle \(g)")
        let layout = Padded(height: g.height, width: g.width, channels: g.channels, padding: g.padding,
                            block: block(outChannels: g.outChannels, blocking: blocking))
        withUnsafeTemporaryAllocation(of: Float.self, capacity: layout.count) { buf in
            let xp = buf.baseAddress!
            xp.update(repeating: 0, count: layout.count)
            for n in 0..<images {
                layout.fill(xp, from: input + n * g.inputSize, height: g.height, width: g.width)
                convolvePadded(layout, input: xp, weights: weights, outChannels: g.outChannels, bias: bias,
                               output: output + n * g.outputSize, blocking: blocking)
            }
        }
    }

    /// The blocked loop over one padded image: blocks of 32 output channels (then one of 16), flat positions in
    /// blocks; each block's values are complete chains (the order does not depend on the blocking).
    @inline(__always)
    static func convolvePadded(_ l: Padded, input xp: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                               outChannels cout: Int, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                               blocking: Blocking) {
        var cb = 0
        if blocking == .registers16 {
            while cb < cout {
                var q = 0
                while q < l.positions {
                    block6(l, x: xp + q * l.channels, w: weights + cb, cout: cout, q0: q, bias: bias.map { $0 + cb },
                           out: output + cb)
                    q += positions16
                }
                cb += 16
            }
            return
        }
        while cb < cout {
            if cb + 32 <= cout {
                if l.outWidth % 7 == 0 {
                    for oy in 0..<l.outHeight {
                        for ox in stride(from: 0, to: l.outWidth, by: 7) {
                            let q = oy * l.wp + ox
                            block7(l, x: xp + q * l.channels, w: weights + cb, cout: cout, q0: q,
                                   bias: bias.map { $0 + cb }, out: output + cb)
                        }
                    }
                } else {
                    var q = 0
                    while q < l.positions {
                        block2(l, x: xp + q * l.channels, w: weights + cb, cout: cout, q0: q, bias: bias.map { $0 + cb },
                               out: output + cb)
                        q += positions2
                    }
                }
                cb += 32
            } else {
                if l.outWidth % 14 == 0 {
                    for oy in 0..<l.outHeight {
                        for ox in stride(from: 0, to: l.outWidth, by: 14) {
                            let q = oy * l.wp + ox
                            block14(l, x: xp + q * l.channels, w: weights + cb, cout: cout, q0: q,
                                    bias: bias.map { $0 + cb }, out: output + cb)
                        }
                    }
                } else {
                    var q = 0
                    while q < l.positions {
                        block1(l, x: xp + q * l.channels, w: weights + cb, cout: cout, q0: q, bias: bias.map { $0 + cb },
                               out: output + cb)
                        q += positions1
                    }
                }
                cb += 16
            }
        }
    }

    /// Stores one accumulator vector for flat position `q` unless it is a junk column or past the last row.
    @inline(__always)
    static func put(_ l: Padded, _ q: Int, _ v: Vec16, bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, cout: Int) {
        let oy = q / l.wp, ox = q - oy * l.wp
        guard ox < l.outWidth && oy < l.outHeight else { return }
        var s = v
        if let bias { s = s + load16(bias) }
        store16(s, out + (oy * l.outWidth + ox) * cout)
    }

    /// 8 positions × 32 output channels.
    @inline(__always)
    static func block2(_ l: Padded, x: UnsafePointer<Float>, w: UnsafePointer<Float>, cout: Int, q0: Int,
                       bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>) {
        let c = l.channels, row = l.wp * c
        let z = Vec16(repeating: 0)
        var a0 = z, b0 = z, a1 = z, b1 = z, a2 = z, b2 = z, a3 = z, b3 = z, a4 = z, b4 = z, a5 = z, b5 = z
        var a6 = z, b6 = z, a7 = z, b7 = z
        for ky in 0..<3 {
            for kx in 0..<3 {
                let xt = x + ky * row + kx * c
                let wt = w + (ky * 3 + kx) * c * cout
                var ci = 0
                repeat {
                    let w0 = load16(wt + ci * cout), w1 = load16(wt + ci * cout + 16)
                    let xc = xt + ci
                    var s = Vec16(repeating: xc[0])
                    a0 = a0.addingProduct(s, w0); b0 = b0.addingProduct(s, w1)
                    s = Vec16(repeating: xc[c])
                    a1 = a1.addingProduct(s, w0); b1 = b1.addingProduct(s, w1)
                    s = Vec16(repeating: xc[2 * c])
                    a2 = a2.addingProduct(s, w0); b2 = b2.addingProduct(s, w1)
                    s = Vec16(repeating: xc[3 * c])
                    a3 = a3.addingProduct(s, w0); b3 = b3.addingProduct(s, w1)
                    s = Vec16(repeating: xc[4 * c])
                    a4 = a4.addingProduct(s, w0); b4 = b4.addingProduct(s, w1)
                    s = Vec16(repeating: xc[5 * c])
                    a5 = a5.addingProduct(s, w0); b5 = b5.addingProduct(s, w1)
                    s = Vec16(repeating: xc[6 * c])
                    a6 = a6.addingProduct(s, w0); b6 = b6.addingProduct(s, w1)
                    s = Vec16(repeating: xc[7 * c])
                    a7 = a7.addingProduct(s, w0); b7 = b7.addingProduct(s, w1)
                    ci += 1
                } while ci < c
            }
        }
        let b16 = bias.map { $0 + 16 }, o16 = out + 16
        put(l, q0, a0, bias: bias, out: out, cout: cout); put(l, q0, b0, bias: b16, out: o16, cout: cout)
        put(l, q0 + 1, a1, bias: bias, out: out, cout: cout); put(l, q0 + 1, b1, bias: b16, out: o16, cout: cout)
        put(l, q0 + 2, a2, bias: bias, out: out, cout: cout); put(l, q0 + 2, b2, bias: b16, out: o16, cout: cout)
        put(l, q0 + 3, a3, bias: bias, out: out, cout: cout); put(l, q0 + 3, b3, bias: b16, out: o16, cout: cout)
        put(l, q0 + 4, a4, bias: bias, out: out, cout: cout); put(l, q0 + 4, b4, bias: b16, out: o16, cout: cout)
        put(l, q0 + 5, a5, bias: bias, out: out, cout: cout); put(l, q0 + 5, b5, bias: b16, out: o16, cout: cout)
        put(l, q0 + 6, a6, bias: bias, out: out, cout: cout); put(l, q0 + 6, b6, bias: b16, out: o16, cout: cout)
        put(l, q0 + 7, a7, bias: bias, out: out, cout: cout); put(l, q0 + 7, b7, bias: b16, out: o16, cout: cout)
    }

    /// 12 positions × 16 output channels.
    @inline(__always)
    static func block1(_ l: Padded, x: UnsafePointer<Float>, w: UnsafePointer<Float>, cout: Int, q0: Int,
                       bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>) {
        let c = l.channels, row = l.wp * c
        let z = Vec16(repeating: 0)
        var a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z, a8 = z, a9 = z, a10 = z, a11 = z
        for ky in 0..<3 {
            for kx in 0..<3 {
                let xt = x + ky * row + kx * c
                let wt = w + (ky * 3 + kx) * c * cout
                var ci = 0
                repeat {
                    let w0 = load16(wt + ci * cout)
                    let xc = xt + ci
                    a0 = a0.addingProduct(Vec16(repeating: xc[0]), w0)
                    a1 = a1.addingProduct(Vec16(repeating: xc[c]), w0)
                    a2 = a2.addingProduct(Vec16(repeating: xc[2 * c]), w0)
                    a3 = a3.addingProduct(Vec16(repeating: xc[3 * c]), w0)
                    a4 = a4.addingProduct(Vec16(repeating: xc[4 * c]), w0)
                    a5 = a5.addingProduct(Vec16(repeating: xc[5 * c]), w0)
                    a6 = a6.addingProduct(Vec16(repeating: xc[6 * c]), w0)
                    a7 = a7.addingProduct(Vec16(repeating: xc[7 * c]), w0)
                    a8 = a8.addingProduct(Vec16(repeating: xc[8 * c]), w0)
                    a9 = a9.addingProduct(Vec16(repeating: xc[9 * c]), w0)
                    a10 = a10.addingProduct(Vec16(repeating: xc[10 * c]), w0)
                    a11 = a11.addingProduct(Vec16(repeating: xc[11 * c]), w0)
                    ci += 1
                } while ci < c
            }
        }
        put(l, q0, a0, bias: bias, out: out, cout: cout); put(l, q0 + 1, a1, bias: bias, out: out, cout: cout)
        put(l, q0 + 2, a2, bias: bias, out: out, cout: cout); put(l, q0 + 3, a3, bias: bias, out: out, cout: cout)
        put(l, q0 + 4, a4, bias: bias, out: out, cout: cout); put(l, q0 + 5, a5, bias: bias, out: out, cout: cout)
        put(l, q0 + 6, a6, bias: bias, out: out, cout: cout); put(l, q0 + 7, a7, bias: bias, out: out, cout: cout)
        put(l, q0 + 8, a8, bias: bias, out: out, cout: cout); put(l, q0 + 9, a9, bias: bias, out: out, cout: cout)
        put(l, q0 + 10, a10, bias: bias, out: out, cout: cout); put(l, q0 + 11, a11, bias: bias, out: out, cout: cout)
    }

    /// 7 positions of one row × 32 output channels (14 accumulators), for output rows whose width is a multiple of 7
    /// (W2's 14 and 28): blocks aligned to the rows compute no junk positions (8-position blocks over 14-wide rows
    /// in a 16-wide padded image computed 13 % junk).
    @inline(__always)
    static func block7(_ l: Padded, x: UnsafePointer<Float>, w: UnsafePointer<Float>, cout: Int, q0: Int,
                       bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>) {
        let c = l.channels, row = l.wp * c
        let z = Vec16(repeating: 0)
        var a0 = z, b0 = z, a1 = z, b1 = z, a2 = z, b2 = z, a3 = z, b3 = z, a4 = z, b4 = z, a5 = z, b5 = z
        var a6 = z, b6 = z
        for ky in 0..<3 {
            for kx in 0..<3 {
                let xt = x + ky * row + kx * c
                let wt = w + (ky * 3 + kx) * c * cout
                var ci = 0
                repeat {
                    let w0 = load16(wt + ci * cout), w1 = load16(wt + ci * cout + 16)
                    let xc = xt + ci
                    var s = Vec16(repeating: xc[0])
                    a0 = a0.addingProduct(s, w0); b0 = b0.addingProduct(s, w1)
                    s = Vec16(repeating: xc[c])
                    a1 = a1.addingProduct(s, w0); b1 = b1.addingProduct(s, w1)
                    s = Vec16(repeating: xc[2 * c])
                    a2 = a2.addingProduct(s, w0); b2 = b2.addingProduct(s, w1)
                    s = Vec16(repeating: xc[3 * c])
                    a3 = a3.addingProduct(s, w0); b3 = b3.addingProduct(s, w1)
                    s = Vec16(repeating: xc[4 * c])
                    a4 = a4.addingProduct(s, w0); b4 = b4.addingProduct(s, w1)
                    s = Vec16(repeating: xc[5 * c])
                    a5 = a5.addingProduct(s, w0); b5 = b5.addingProduct(s, w1)
                    s = Vec16(repeating: xc[6 * c])
                    a6 = a6.addingProduct(s, w0); b6 = b6.addingProduct(s, w1)
                    ci += 1
                } while ci < c
            }
        }
        let b16 = bias.map { $0 + 16 }, o16 = out + 16
        put(l, q0, a0, bias: bias, out: out, cout: cout); put(l, q0, b0, bias: b16, out: o16, cout: cout)
        put(l, q0 + 1, a1, bias: bias, out: out, cout: cout); put(l, q0 + 1, b1, bias: b16, out: o16, cout: cout)
        put(l, q0 + 2, a2, bias: bias, out: out, cout: cout); put(l, q0 + 2, b2, bias: b16, out: o16, cout: cout)
        put(l, q0 + 3, a3, bias: bias, out: out, cout: cout); put(l, q0 + 3, b3, bias: b16, out: o16, cout: cout)
        put(l, q0 + 4, a4, bias: bias, out: out, cout: cout); put(l, q0 + 4, b4, bias: b16, out: o16, cout: cout)
        put(l, q0 + 5, a5, bias: bias, out: out, cout: cout); put(l, q0 + 5, b5, bias: b16, out: o16, cout: cout)
        put(l, q0 + 6, a6, bias: bias, out: out, cout: cout); put(l, q0 + 6, b6, bias: b16, out: o16, cout: cout)
    }

    /// 14 positions of one row × 16 output channels (14 accumulators), for output rows whose width is a multiple
    /// of 14 (W2's 14 and 28; the input gradient of its second conv): no junk positions.
    @inline(__always)
    static func block14(_ l: Padded, x: UnsafePointer<Float>, w: UnsafePointer<Float>, cout: Int, q0: Int,
                        bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>) {
        let c = l.channels, row = l.wp * c
        let z = Vec16(repeating: 0)
        var a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z, a8 = z, a9 = z, a10 = z, a11 = z
        var a12 = z, a13 = z
        for ky in 0..<3 {
            for kx in 0..<3 {
                let xt = x + ky * row + kx * c
                let wt = w + (ky * 3 + kx) * c * cout
                var ci = 0
                repeat {
                    let w0 = load16(wt + ci * cout)
                    let xc = xt + ci
                    a0 = a0.addingProduct(Vec16(repeating: xc[0]), w0)
                    a1 = a1.addingProduct(Vec16(repeating: xc[c]), w0)
                    a2 = a2.addingProduct(Vec16(repeating: xc[2 * c]), w0)
                    a3 = a3.addingProduct(Vec16(repeating: xc[3 * c]), w0)
                    a4 = a4.addingProduct(Vec16(repeating: xc[4 * c]), w0)
                    a5 = a5.addingProduct(Vec16(repeating: xc[5 * c]), w0)
                    a6 = a6.addingProduct(Vec16(repeating: xc[6 * c]), w0)
                    a7 = a7.addingProduct(Vec16(repeating: xc[7 * c]), w0)
                    a8 = a8.addingProduct(Vec16(repeating: xc[8 * c]), w0)
                    a9 = a9.addingProduct(Vec16(repeating: xc[9 * c]), w0)
                    a10 = a10.addingProduct(Vec16(repeating: xc[10 * c]), w0)
                    a11 = a11.addingProduct(Vec16(repeating: xc[11 * c]), w0)
                    a12 = a12.addingProduct(Vec16(repeating: xc[12 * c]), w0)
                    a13 = a13.addingProduct(Vec16(repeating: xc[13 * c]), w0)
                    ci += 1
                } while ci < c
            }
        }
        put(l, q0, a0, bias: bias, out: out, cout: cout); put(l, q0 + 1, a1, bias: bias, out: out, cout: cout)
        put(l, q0 + 2, a2, bias: bias, out: out, cout: cout); put(l, q0 + 3, a3, bias: bias, out: out, cout: cout)
        put(l, q0 + 4, a4, bias: bias, out: out, cout: cout); put(l, q0 + 5, a5, bias: bias, out: out, cout: cout)
        put(l, q0 + 6, a6, bias: bias, out: out, cout: cout); put(l, q0 + 7, a7, bias: bias, out: out, cout: cout)
        put(l, q0 + 8, a8, bias: bias, out: out, cout: cout); put(l, q0 + 9, a9, bias: bias, out: out, cout: cout)
        put(l, q0 + 10, a10, bias: bias, out: out, cout: cout); put(l, q0 + 11, a11, bias: bias, out: out, cout: cout)
        put(l, q0 + 12, a12, bias: bias, out: out, cout: cout); put(l, q0 + 13, a13, bias: bias, out: out, cout: cout)
    }

    /// 6 positions × 16 output channels (`Blocking.registers16`).
    @inline(__always)
    static func block6(_ l: Padded, x: UnsafePointer<Float>, w: UnsafePointer<Float>, cout: Int, q0: Int,
                       bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>) {
        let c = l.channels, row = l.wp * c
        let z = Vec16(repeating: 0)
        var a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z
        for ky in 0..<3 {
            for kx in 0..<3 {
                let xt = x + ky * row + kx * c
                let wt = w + (ky * 3 + kx) * c * cout
                var ci = 0
                repeat {
                    let w0 = load16(wt + ci * cout)
                    let xc = xt + ci
                    a0 = a0.addingProduct(Vec16(repeating: xc[0]), w0)
                    a1 = a1.addingProduct(Vec16(repeating: xc[c]), w0)
                    a2 = a2.addingProduct(Vec16(repeating: xc[2 * c]), w0)
                    a3 = a3.addingProduct(Vec16(repeating: xc[3 * c]), w0)
                    a4 = a4.addingProduct(Vec16(repeating: xc[4 * c]), w0)
                    a5 = a5.addingProduct(Vec16(repeating: xc[5 * c]), w0)
                    ci += 1
                } while ci < c
            }
        }
        put(l, q0, a0, bias: bias, out: out, cout: cout); put(l, q0 + 1, a1, bias: bias, out: out, cout: cout)
        put(l, q0 + 2, a2, bias: bias, out: out, cout: cout); put(l, q0 + 3, a3, bias: bias, out: out, cout: cout)
        put(l, q0 + 4, a4, bias: bias, out: out, cout: cout); put(l, q0 + 5, a5, bias: bias, out: out, cout: cout)
    }

    // MARK: Input gradient

    /// `gradInput` (overwritten) in the order of the file's comment: the forward kernel run on the output gradient,
    /// padded by `2 − padding`, with the weights flipped and transposed to `[3, 3, cout, c]`.
    public static func inputGradient(_ g: ConvGeometry, images: Int, weights: UnsafePointer<Float>,
                                     gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
                                     blocking: Blocking = .native) {
        precondition(supportsInputGradient(g), "direct 3x3 conv input gradient does not handle \(g)")
        let c = g.channels, cout = g.outChannels
        let layout = Padded(height: g.outHeight, width: g.outWidth, channels: cout, padding: 2 - g.padding,
                            block: block(outChannels: c, blocking: blocking))
        precondition(layout.outHeight == g.height && layout.outWidth == g.width)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 9 * c * cout) { wtBuf in
            let wt = wtBuf.baseAddress!
            // wt[ky', kx', co, ci] = w[2 − ky', 2 − kx', ci, co]: tap (ky', kx') ascending is (ky, kx) descending.
            for t in 0..<9 {
                let src = weights + (8 - t) * c * cout, dst = wt + t * cout * c
                for ci in 0..<c { for co in 0..<cout { dst[co * c + ci] = src[ci * cout + co] } }
            }
            withUnsafeTemporaryAllocation(of: Float.self, capacity: layout.count) { buf in
                let dp = buf.baseAddress!
                dp.update(repeating: 0, count: layout.count)
                for n in 0..<images {
                    layout.fill(dp, from: gradOutput + n * g.outputSize, height: g.outHeight, width: g.outWidth)
                    convolvePadded(layout, input: dp, weights: wt, outChannels: c, bias: nil,
                                   output: gradInput + n * g.inputSize, blocking: blocking)
                }
            }
        }
    }

    // MARK: Weight gradient

    /// Accumulates `gradWeights` in the order of the file's comment (the bias gradient, if any, is the caller's).
    public static func weightGradient(_ g: ConvGeometry, input: UnsafePointer<Float>, images: Int,
                                      gradOutput: UnsafePointer<Float>, gradWeights: UnsafeMutablePointer<Float>,
                                      blocking: Blocking = .native) {
        precondition(supportsWeightGradient(g), "direct 3x3 conv weight gradient does not handle \(g)")
        if blocking == .registers16 {
            weightGradient16(g, input: input, images: images, gradOutput: gradOutput, gradWeights: gradWeights)
            return
        }
        let layout = Padded(height: g.height, width: g.width, channels: g.channels, padding: g.padding, block: 1)
        let c = g.channels, cout = g.outChannels
        let wide = c % 8 == 0 && cout % 32 == 0
        withUnsafeTemporaryAllocation(of: Float.self, capacity: layout.count) { buf in
            let xp = buf.baseAddress!
            xp.update(repeating: 0, count: layout.count)
            for n in 0..<images {
                layout.fill(xp, from: input + n * g.inputSize, height: g.height, width: g.width)
                let dy = gradOutput + n * g.outputSize
                for ky in 0..<3 {
                    for kx in 0..<3 {
                        guard wide else { continue }
                        let xt = xp + (ky * layout.wp + kx) * c
                        let gt = gradWeights + (ky * 3 + kx) * c * cout
                        var cib = 0
                        while cib < c {
                            var cob = 0
                            while cob < cout {
                                weightBlock(layout, x: xt + cib, dy: dy + cob, cout: cout, gw: gt + cib * cout + cob)
                                cob += 32
                            }
                            cib += 8
                        }
                    }
                }
                if !wide {
                    for ci in 0..<c {
                        var cob = 0
                        while cob < cout {
                            tapBlock(layout, x: xp + ci, dy: dy + cob, cout: cout, gw: gradWeights + ci * cout + cob)
                            cob += 16
                        }
                    }
                }
            }
        }
    }

    /// 8 input channels × 32 output channels of one tap over one image's output positions.
    @inline(__always)
    static func weightBlock(_ l: Padded, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, cout: Int,
                            gw: UnsafeMutablePointer<Float>) {
        let c = l.channels, oh = l.outHeight, ow = l.outWidth
        let z = Vec16(repeating: 0)
        var a0 = z, b0 = z, a1 = z, b1 = z, a2 = z, b2 = z, a3 = z, b3 = z
        var a4 = z, b4 = z, a5 = z, b5 = z, a6 = z, b6 = z, a7 = z, b7 = z
        var oy = 0
        repeat {
            let xr = x + oy * l.wp * c, dr = dy + oy * ow * cout
            var ox = 0
            repeat {
                let xv = xr + ox * c, d = dr + ox * cout
                let d0 = load16(d), d1 = load16(d + 16)
                var s = Vec16(repeating: xv[0])
                a0 = a0.addingProduct(s, d0); b0 = b0.addingProduct(s, d1)
                s = Vec16(repeating: xv[1])
                a1 = a1.addingProduct(s, d0); b1 = b1.addingProduct(s, d1)
                s = Vec16(repeating: xv[2])
                a2 = a2.addingProduct(s, d0); b2 = b2.addingProduct(s, d1)
                s = Vec16(repeating: xv[3])
                a3 = a3.addingProduct(s, d0); b3 = b3.addingProduct(s, d1)
                s = Vec16(repeating: xv[4])
                a4 = a4.addingProduct(s, d0); b4 = b4.addingProduct(s, d1)
                s = Vec16(repeating: xv[5])
                a5 = a5.addingProduct(s, d0); b5 = b5.addingProduct(s, d1)
                s = Vec16(repeating: xv[6])
                a6 = a6.addingProduct(s, d0); b6 = b6.addingProduct(s, d1)
                s = Vec16(repeating: xv[7])
                a7 = a7.addingProduct(s, d0); b7 = b7.addingProduct(s, d1)
                ox += 1
            } while ox < ow
            oy += 1
        } while oy < oh
        @inline(__always) func add(_ i: Int, _ a: Vec16, _ b: Vec16) {
            let r = gw + i * cout
            store16(load16(r) + a, r); store16(load16(r + 16) + b, r + 16)
        }
        add(0, a0, b0); add(1, a1, b1); add(2, a2, b2); add(3, a3, b3)
        add(4, a4, b4); add(5, a5, b5); add(6, a6, b6); add(7, a7, b7)
    }

    /// The 9 taps × 16 output channels of one input channel over one image's output positions (few input
    /// channels, e.g. a first conv on 1-channel images).
    @inline(__always)
    static func tapBlock(_ l: Padded, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, cout: Int,
                         gw: UnsafeMutablePointer<Float>) {
        let c = l.channels, oh = l.outHeight, ow = l.outWidth, row = l.wp * c
        let z = Vec16(repeating: 0)
        var t0 = z, t1 = z, t2 = z, t3 = z, t4 = z, t5 = z, t6 = z, t7 = z, t8 = z
        var oy = 0
        repeat {
            let xr = x + oy * row, dr = dy + oy * ow * cout
            var ox = 0
            repeat {
                let x0 = xr + ox * c, x1 = x0 + row, x2 = x1 + row
                let d = load16(dr + ox * cout)
                t0 = t0.addingProduct(Vec16(repeating: x0[0]), d)
                t1 = t1.addingProduct(Vec16(repeating: x0[c]), d)
                t2 = t2.addingProduct(Vec16(repeating: x0[2 * c]), d)
                t3 = t3.addingProduct(Vec16(repeating: x1[0]), d)
                t4 = t4.addingProduct(Vec16(repeating: x1[c]), d)
                t5 = t5.addingProduct(Vec16(repeating: x1[2 * c]), d)
                t6 = t6.addingProduct(Vec16(repeating: x2[0]), d)
                t7 = t7.addingProduct(Vec16(repeating: x2[c]), d)
                t8 = t8.addingProduct(Vec16(repeating: x2[2 * c]), d)
                ox += 1
            } while ox < ow
            oy += 1
        } while oy < oh
        let tap = c * cout
        @inline(__always) func add(_ t: Int, _ a: Vec16) { let r = gw + t * tap; store16(load16(r) + a, r) }
        add(0, t0); add(1, t1); add(2, t2); add(3, t3); add(4, t4); add(5, t5); add(6, t6); add(7, t7); add(8, t8)
    }

    /// `weightGradient` with `Blocking.registers16`: blocks of 4 input × 16 output channels of one tap where the
    /// input channels allow, else the 9 taps × 8 output channels of one input channel.
    static func weightGradient16(_ g: ConvGeometry, input: UnsafePointer<Float>, images: Int,
                                 gradOutput: UnsafePointer<Float>, gradWeights: UnsafeMutablePointer<Float>) {
        let layout = Padded(height: g.height, width: g.width, channels: g.channels, padding: g.padding, block: 1)
        let c = g.channels, cout = g.outChannels
        let wide = c % 4 == 0
        withUnsafeTemporaryAllocation(of: Float.self, capacity: layout.count) { buf in
            let xp = buf.baseAddress!
            xp.update(repeating: 0, count: layout.count)
            for n in 0..<images {
                layout.fill(xp, from: input + n * g.inputSize, height: g.height, width: g.width)
                let dy = gradOutput + n * g.outputSize
                if wide {
                    for t in 0..<9 {
                        let xt = xp + ((t / 3) * layout.wp + t % 3) * c
                        let gt = gradWeights + t * c * cout
                        var cib = 0
                        while cib < c {
                            var cob = 0
                            while cob < cout {
                                weightBlock4(layout, x: xt + cib, dy: dy + cob, cout: cout, gw: gt + cib * cout + cob)
                                cob += 16
                            }
                            cib += 4
                        }
                    }
                } else {
                    for ci in 0..<c {
                        var cob = 0
                        while cob < cout {
                            tapBlock8(layout, x: xp + ci, dy: dy + cob, cout: cout, gw: gradWeights + ci * cout + cob)
                            cob += 8
                        }
                    }
                }
            }
        }
    }

    /// 4 input channels × 16 output channels of one tap over one image's output positions (`Blocking.registers16`).
    @inline(__always)
    static func weightBlock4(_ l: Padded, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, cout: Int,
                             gw: UnsafeMutablePointer<Float>) {
        let c = l.channels, oh = l.outHeight, ow = l.outWidth
        let z = Vec16(repeating: 0)
        var a0 = z, a1 = z, a2 = z, a3 = z
        var oy = 0
        repeat {
            let xr = x + oy * l.wp * c, dr = dy + oy * ow * cout
            var ox = 0
            repeat {
                let xv = xr + ox * c
                let d = load16(dr + ox * cout)
                a0 = a0.addingProduct(Vec16(repeating: xv[0]), d)
                a1 = a1.addingProduct(Vec16(repeating: xv[1]), d)
                a2 = a2.addingProduct(Vec16(repeating: xv[2]), d)
                a3 = a3.addingProduct(Vec16(repeating: xv[3]), d)
                ox += 1
            } while ox < ow
            oy += 1
        } while oy < oh
        @inline(__always) func add(_ i: Int, _ a: Vec16) { let r = gw + i * cout; store16(load16(r) + a, r) }
        add(0, a0); add(1, a1); add(2, a2); add(3, a3)
    }

    /// The 9 taps × 8 output channels of one input channel over one image's output positions (`Blocking.registers16`).
    @inline(__always)
    static func tapBlock8(_ l: Padded, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, cout: Int,
                          gw: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        let c = l.channels, oh = l.outHeight, ow = l.outWidth, row = l.wp * c
        let z = V(repeating: 0)
        var t0 = z, t1 = z, t2 = z, t3 = z, t4 = z, t5 = z, t6 = z, t7 = z, t8 = z
        var oy = 0
        repeat {
            let xr = x + oy * row, dr = dy + oy * ow * cout
            var ox = 0
            repeat {
                let x0 = xr + ox * c, x1 = x0 + row, x2 = x1 + row
                let d = load(dr + ox * cout)
                t0 = t0.addingProduct(V(repeating: x0[0]), d)
                t1 = t1.addingProduct(V(repeating: x0[c]), d)
                t2 = t2.addingProduct(V(repeating: x0[2 * c]), d)
                t3 = t3.addingProduct(V(repeating: x1[0]), d)
                t4 = t4.addingProduct(V(repeating: x1[c]), d)
                t5 = t5.addingProduct(V(repeating: x1[2 * c]), d)
                t6 = t6.addingProduct(V(repeating: x2[0]), d)
                t7 = t7.addingProduct(V(repeating: x2[c]), d)
                t8 = t8.addingProduct(V(repeating: x2[2 * c]), d)
                ox += 1
            } while ox < ow
            oy += 1
        } while oy < oh
        let tap = c * cout
        @inline(__always) func add(_ t: Int, _ a: V) {
            let r = gw + t * tap
            UnsafeMutableRawPointer(r).storeBytes(of: load(r) + a, as: V.self)
        }
        add(0, t0); add(1, t1); add(2, t2); add(3, t3); add(4, t4); add(5, t5); add(6, t6); add(7, t7); add(8, t8)
    }

    /// Positions the blocked loop covers at a time for `outChannels` (both block sizes when it uses both).
    static func block(outChannels: Int, blocking: Blocking) -> Int {
        if blocking == .registers16 { return positions16 }
        return outChannels % 32 == 0 ? positions2 : outChannels == 16 ? positions1 : lcm(positions1, positions2)
    }

    static func lcm(_ a: Int, _ b: Int) -> Int {
        var x = a, y = b
        while y != 0 { (x, y) = (y, x % y) }
        return a / x * b
    }

    // MARK: Scalar references (the order of the file's comment, one value at a time)

    /// Scalar reference of `forward`.
    public static func forwardReference(_ g: ConvGeometry, input: [Float], images: Int, weights: [Float], bias: [Float]?) -> [Float] {
        var out = [Float](repeating: 0, count: images * g.outputSize)
        for n in 0..<images {
            for oy in 0..<g.outHeight { for ox in 0..<g.outWidth { for co in 0..<g.outChannels {
                var s: Float = 0
                for ky in 0..<3 { for kx in 0..<3 { for ci in 0..<g.channels {
                    let y = oy + ky - g.padding, x = ox + kx - g.padding
                    let v = y < 0 || y >= g.height || x < 0 || x >= g.width
                        ? 0 : input[n * g.inputSize + (y * g.width + x) * g.channels + ci]
                    s = s.addingProduct(v, weights[((ky * 3 + kx) * g.channels + ci) * g.outChannels + co])
                }}}
                if let bias { s = s + bias[co] }
                out[n * g.outputSize + (oy * g.outWidth + ox) * g.outChannels + co] = s
            }}}
        }
        return out
    }

    /// Scalar reference of `inputGradient`.
    public static func inputGradientReference(_ g: ConvGeometry, images: Int, weights: [Float], gradOutput: [Float]) -> [Float] {
        var dx = [Float](repeating: 0, count: images * g.inputSize)
        for n in 0..<images {
            for y in 0..<g.height { for x in 0..<g.width { for ci in 0..<g.channels {
                var s: Float = 0
                for ky in stride(from: 2, through: 0, by: -1) { for kx in stride(from: 2, through: 0, by: -1) {
                    for co in 0..<g.outChannels {
                        let oy = y + g.padding - ky, ox = x + g.padding - kx
                        let d = oy < 0 || oy >= g.outHeight || ox < 0 || ox >= g.outWidth
                            ? 0 : gradOutput[n * g.outputSize + (oy * g.outWidth + ox) * g.outChannels + co]
                        s = s.addingProduct(d, weights[((ky * 3 + kx) * g.channels + ci) * g.outChannels + co])
                    }
                }}
                dx[n * g.inputSize + (y * g.width + x) * g.channels + ci] = s
            }}}
        }
        return dx
    }

    /// Scalar reference of `weightGradient` (accumulates into `gradWeights`).
    public static func weightGradientReference(_ g: ConvGeometry, input: [Float], images: Int, gradOutput: [Float],
                                               gradWeights: inout [Float]) {
        for n in 0..<images {
            for ky in 0..<3 { for kx in 0..<3 { for ci in 0..<g.channels { for co in 0..<g.outChannels {
                var s: Float = 0
                for oy in 0..<g.outHeight { for ox in 0..<g.outWidth {
                    let y = oy + ky - g.padding, x = ox + kx - g.padding
                    let v = y < 0 || y >= g.height || x < 0 || x >= g.width
                        ? 0 : input[n * g.inputSize + (y * g.width + x) * g.channels + ci]
                    s = s.addingProduct(v, gradOutput[n * g.outputSize + (oy * g.outWidth + ox) * g.outChannels + co])
                }}
                let i = ((ky * 3 + kx) * g.channels + ci) * g.outChannels + co
                gradWeights[i] = gradWeights[i] + s
            }}}}
        }
    }
}
