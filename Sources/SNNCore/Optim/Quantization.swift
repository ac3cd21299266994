import Dispatch

/// Block floating point rounding of gradients and updates (run spec `training.communication`).
///
/// Each block of `block` consecutive values shares one power-of-two quantum 2^e, chosen so that the block's largest
/// magnitude needs `bits` significant bits: e = exponent(max |x|) + 1 − bits. Every value becomes the nearest multiple
/// of 2^e (ties to even), a signed integer q of at most `bits` + 1 bits times 2^e.
///
/// Why blocks: one quantum per tensor would flush a small layer's gradients to zero next to a large one's, and one per
/// value would cost an exponent per value on the wire. 256 values per exponent cost 1/256 byte each. Everything is
/// computed in `Double`, where scaling by 2^±e and the products are exact, so the results are the same bits on every
/// machine and for any thread split (blocks never straddle: callers split at multiples of `block`).
public enum BlockQuantization {
    /// Values per block (per shared exponent).
    public static let block = 256
    /// The smallest quantum exponent: 2^-149 is the smallest positive float (a subnormal).
    public static let minimumExponent = -149
    /// The largest quantum exponent an update block may use (wire byte 255 = 106 + 149); a larger one means an update of
    /// 2^(106 + bits) or more, which is left unrounded.
    public static let maximumExponent = 106

    /// The quantum exponent of a block whose largest finite magnitude is `m`: exponent(m) + 1 − bits, at least
    /// `floor`; `floor` when m is 0.
    @inline(__always)
    public static func exponent(maxMagnitude m: Float, bits: Int, floor: Int) -> Int {
        guard m > 0, m.isFinite else { return floor }
        return max(Int(m.exponent) + 1 - bits, floor)
    }

    /// 2^e as a Double (exact for −1074 ≤ e ≤ 1023).
    @inline(__always)
    static func power(_ e: Int) -> Double { Double(sign: .plus, exponent: e, significand: 1) }
}

/// Gradients rounded to `bits` significant bits per block, on the thread that computed them (before fixed point).
public enum GradientQuantization {
    /// Rounds `g` in place: per block of `BlockQuantization.block`, every value to the nearest multiple of 2^e with
    /// e = max(exponent(max |g|) + 1 − bits, −32). The floor −32 is the fixed-point grid (`FixedPoint`), so the
    /// rounded values are exact in fixed point: a micro-batch's integers are q · 2^(e + 32). A block holding a NaN or an
    /// infinity is left as it is (fixed point then refuses it, as it would unrounded).
    public static func round(_ g: inout [Float], bits: Int) {
        precondition((2...24).contains(bits), "gradient bits \(bits) outside 2…24")
        let n = g.count
        g.withUnsafeMutableBufferPointer { b in
            guard let p = b.baseAddress else { return }
            var lo = 0
            while lo < n {
                let len = min(BlockQuantization.block, n - lo)
                roundBlock(p + lo, count: len, bits: bits)
                lo += len
            }
        }
    }

    /// One block in `Float` lanes: the same bits as the `Double` definition (`reference`). Scaling by 2^−e is exact
    /// unless the product falls below 2^−126, where it is far below ½ and rounds to 0 either way; q · 2^e is exact
    /// (|q| ≤ 2^bits ≤ 2^24, and e ≥ −32 keeps it normal or zero).
    @inline(__always)
    static func roundBlock(_ p: UnsafeMutablePointer<Float>, count: Int, bits: Int) {
        var peak = Vec16(repeating: 0), finite = true
        var i = 0
        while i + 16 <= count {
            let a = abs16(load16(p + i))
            peak = peak.replacing(with: a, where: a .> peak)
            finite = finite && all(a .<= Vec16(repeating: .greatestFiniteMagnitude))   // false for NaN and ±Inf
            i += 16
        }
        var m = peak.max()
        for k in i..<count { m = max(m, p[k].magnitude); finite = finite && p[k].isFinite }
        guard finite, m > 0 else { return }
        let e = BlockQuantization.exponent(maxMagnitude: m, bits: bits, floor: -32)
        let down = Float(sign: .plus, exponent: -e, significand: 1), up = Float(sign: .plus, exponent: e, significand: 1)
        let vDown = Vec16(repeating: down), vUp = Vec16(repeating: up)
        i = 0
        while i + 16 <= count {
            store16((load16(p + i) * vDown).rounded(.toNearestOrEven) * vUp, p + i)
            i += 16
        }
        for k in i..<count { p[k] = (p[k] * down).rounded(.toNearestOrEven) * up }
    }

    /// The definition, one value at a time from the block's maximum (tests compare `round` with it).
    public static func reference(_ g: [Float], bits: Int) -> [Float] {
        var out = g
        for start in stride(from: 0, to: g.count, by: BlockQuantization.block) {
            let block = g[start..<min(start + BlockQuantization.block, g.count)]
            guard block.allSatisfy(\.isFinite) else { continue }
            let m = block.map(\.magnitude).max() ?? 0
            guard m > 0 else { continue }
            let e = max(Int(m.exponent) + 1 - bits, -32)
            for i in block.indices {
                let q = (Double(g[i]) / pow2(e)).rounded(.toNearestOrEven)
                out[i] = Float(q * pow2(e))
            }
        }
        return out
    }

    private static func pow2(_ e: Int) -> Double {
        var x = 1.0
        for _ in 0..<e.magnitude { x = e > 0 ? x * 2 : x / 2 }   // exact: −32 ≤ e ≤ 126
        return x
    }
}

/// One step's parameter update rounded to `bits` significant bits per block, with the rounding error carried to the
/// next step (error feedback), and the integers a worker needs to apply the same update (WORK parameters kind 3).
///
/// For parameter i of a block: d = (new − old) + residual (floats), q = round(d / 2^e) (ties to even), the applied
/// update u = q · 2^e, the parameter becomes old + u (one float addition) and the residual d − u (exact). The block's
/// e = max(exponent(max |d|) + 1 − bits, −149). A value whose d or new value is not finite, or a block whose e would
/// exceed 106, keeps the optimizer's value unrounded (q = 0, residual 0): such a value travels as an exception.
public struct UpdateQuantization: Sendable, Equatable {
    /// ZigZag of q per parameter.
    public var codes: [UInt32]
    /// e + 149 per block of `BlockQuantization.block` parameters.
    public var exponents: [UInt8]

    public init(codes: [UInt32], exponents: [UInt8]) { self.codes = codes; self.exponents = exponents }

    /// Rounds the update from `old` to `parameters` (the optimizer's result, replaced by old + u) with `residual`
    /// (the carried error, replaced by the new one); returns the integers. All three have the same length.
    public static func apply(old: [Float], parameters: inout [Float], residual: inout [Float], bits: Int,
                             threads: Int = 1) -> UpdateQuantization {
        precondition((2...24).contains(bits), "update bits \(bits) outside 2…24")
        let n = old.count
        precondition(parameters.count == n && residual.count == n, "update quantization needs equal lengths")
        let blocks = (n + BlockQuantization.block - 1) / BlockQuantization.block
        var exponents = [UInt8](repeating: 0, count: blocks)
        var codes = [UInt32](repeating: 0, count: n)
        // Blocks are independent, so any split over threads gives the same bits; whole blocks per thread.
        let parts = ParallelRanges.split(count: n, threads: threads).count
        let perPart = (blocks + parts - 1) / max(1, parts)
        old.withUnsafeBufferPointer { o in
            parameters.withUnsafeMutableBufferPointer { p in
                residual.withUnsafeMutableBufferPointer { r in
                    codes.withUnsafeMutableBufferPointer { c in
                        exponents.withUnsafeMutableBufferPointer { x in
                            let buffers = UpdateBuffers(old: o.baseAddress, parameters: p.baseAddress, residual: r.baseAddress,
                                                        codes: c.baseAddress, exponents: x.baseAddress)
                            let run = { @Sendable (part: Int) in
                                for b in (part * perPart)..<min(blocks, (part + 1) * perPart) {
                                    let lo = b * BlockQuantization.block, hi = min(lo + BlockQuantization.block, n)
                                    buffers.exponents![b] = applyBlock(lo..<hi, old: buffers.old!, parameters: buffers.parameters!,
                                                                       residual: buffers.residual!, codes: buffers.codes!, bits: bits)
                                }
                            }
                            if parts <= 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: run) }
                        }
                    }
                }
            }
        }
        return UpdateQuantization(codes: codes, exponents: exponents)
    }

    /// One block in `Float` lanes when every value is finite and the quantum is at least 2^−126 (the common case):
    /// the same bits as `applyBlockReference`. Scaling d by 2^−e ≤ 2^126 is exact, q · 2^e is exact and normal (or
    /// zero), and d − q · 2^e is exact (the part of d below the quantum), so every operation matches the `Double` form.
    private static func applyBlock(_ range: Range<Int>, old: UnsafePointer<Float>, parameters p: UnsafeMutablePointer<Float>,
                                   residual r: UnsafeMutablePointer<Float>, codes: UnsafeMutablePointer<UInt32>,
                                   bits: Int) -> UInt8 {
        let lo = range.lowerBound, count = range.count
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: BlockQuantization.block) { buffer -> UInt8 in
            let d = buffer.baseAddress!
            var peak = Vec16(repeating: 0), finite = true
            var i = 0
            let limit = Vec16(repeating: .greatestFiniteMagnitude)
            while i + 16 <= count {
                let pv = load16(p + lo + i)
                let dv = (pv - load16(old + lo + i)) + load16(r + lo + i)
                store16(dv, d + i)
                let a = abs16(dv)
                peak = peak.replacing(with: a, where: a .> peak)
                finite = finite && all(a .<= limit) && all(abs16(pv) .<= limit)
                i += 16
            }
            var m = peak.max()
            for k in i..<count {
                d[k] = (p[lo + k] - old[lo + k]) + r[lo + k]
                m = max(m, d[k].magnitude); finite = finite && d[k].isFinite && p[lo + k].isFinite
            }
            let e = BlockQuantization.exponent(maxMagnitude: m, bits: bits, floor: BlockQuantization.minimumExponent)
            guard finite, e >= -126, e <= BlockQuantization.maximumExponent else {
                return applyBlockReference(range, old: old, parameters: p, residual: r, codes: codes, bits: bits)
            }
            let down = Float(sign: .plus, exponent: -e, significand: 1), up = Float(sign: .plus, exponent: e, significand: 1)
            let vDown = Vec16(repeating: down), vUp = Vec16(repeating: up)
            i = 0
            while i + 16 <= count {
                let dv = load16(d + i)
                let q = (dv * vDown).rounded(.toNearestOrEven)
                let u = q * vUp
                store16(load16(old + lo + i) + u, p + lo + i)
                store16(dv - u, r + lo + i)
                store16(q, d + i)
                i += 16
            }
            for k in i..<count {
                let q = (d[k] * down).rounded(.toNearestOrEven)
                let u = q * up
                p[lo + k] = old[lo + k] + u
                r[lo + k] = d[k] - u
                d[k] = q
            }
            for k in 0..<count {
                let qi = Int32(d[k])
                codes[lo + k] = UInt32(bitPattern: (qi << 1) ^ (qi >> 31))
            }
            return UInt8(e - BlockQuantization.minimumExponent)
        }
    }

    /// One block by the definition, in `Double`: for blocks with a non-finite value or a quantum outside the fast range.
    static func applyBlockReference(_ range: Range<Int>, old: UnsafePointer<Float>, parameters p: UnsafeMutablePointer<Float>,
                                    residual r: UnsafeMutablePointer<Float>, codes: UnsafeMutablePointer<UInt32>,
                                    bits: Int) -> UInt8 {
        var m: Float = 0
        for i in range {
            let d = (p[i] - old[i]) + r[i]
            if d.isFinite && p[i].isFinite { m = max(m, d.magnitude) }
        }
        let e = BlockQuantization.exponent(maxMagnitude: m, bits: bits, floor: BlockQuantization.minimumExponent)
        let rounding = e <= BlockQuantization.maximumExponent
        let down = BlockQuantization.power(-e), up = BlockQuantization.power(e)
        for i in range {
            let d = (p[i] - old[i]) + r[i]
            guard rounding, d.isFinite, p[i].isFinite else { codes[i] = 0; r[i] = 0; continue }   // p[i] stays unrounded
            let q = (Double(d) * down).rounded(.toNearestOrEven)
            let u = Float(q * up)
            p[i] = old[i] + u
            r[i] = Float(Double(d) - q * up)
            let qi = Int32(q)
            codes[i] = UInt32(bitPattern: (qi << 1) ^ (qi >> 31))
        }
        return UInt8(min(e, BlockQuantization.maximumExponent) - BlockQuantization.minimumExponent)
    }

    /// `old` + u for every parameter, as the worker applies it: u = unzigzag(code) · 2^(exponent − 149) per block.
    /// Values the coordinator left unrounded come out as `old` here; they travel as exceptions.
    public func rebuilt(from old: UnsafeMutablePointer<Float>, count n: Int) {
        precondition(codes.count == n && exponents.count == (n + BlockQuantization.block - 1) / BlockQuantization.block)
        codes.withUnsafeBufferPointer { c in
            for b in 0..<exponents.count {
                let up = BlockQuantization.power(Int(exponents[b]) + BlockQuantization.minimumExponent)
                let lo = b * BlockQuantization.block, hi = min(lo + BlockQuantization.block, n)
                for i in lo..<hi {
                    let z = c[i]
                    let q = Int32(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
                    old[i] = old[i] + Float(Double(q) * up)
                }
            }
        }
    }
}

/// The flat buffers of one update rounding, handed to the threads (each writes its own blocks).
private struct UpdateBuffers: @unchecked Sendable {
    let old: UnsafePointer<Float>?
    let parameters: UnsafeMutablePointer<Float>?
    let residual: UnsafeMutablePointer<Float>?
    let codes: UnsafeMutablePointer<UInt32>?
    let exponents: UnsafeMutablePointer<UInt8>?
}
