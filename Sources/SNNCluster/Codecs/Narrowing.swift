/// Integer arrays stored in fewer bytes per element when their values allow it (PROTOCOL.md §3.3, filters 13 and 14,
/// protocol 5): each element keeps only its low W bytes, W the fewest that hold every element of the frame.
///
/// Why: between processes of one machine frames travel stored, not compressed (`WireCompression`), and a step's
/// fixed-point gradient sum needs at most 5 of its 8 bytes per parameter (6 on w1-mlp's largest sums; measured on the
/// specs in cluster/runs/). Every copy of a RESULT on the step's serial path (the sender's kernel write, the receiver's
/// kernel read, the receive and decode copies) shrinks with it, and a TCP loopback transfer grows faster than linearly
/// beyond about 1 MB on these machines (protocols/SCALING.md). Lossless, and one pass each way. A WORK parameter delta
/// is offered the same, but nearly always needs all 4 bytes (one value crossing zero) and then goes as it is.
///
/// `i64` elements are mapped through ZigZag first (`ZigZag`), so small values of either sign have zero high bytes;
/// `u32` elements are taken as they are (the parameter deltas of WORK are ZigZag values already).
public enum Narrowing {
    /// The fewest bytes (1…8) that hold `zigzag(v)` for every `v` in `values`; 1 for an empty array.
    public static func width(zigzag values: UnsafeBufferPointer<Int64>) -> Int {
        var any: UInt64 = 0
        for v in values { any |= zigzag(v) }
        return bytesNeeded(any)
    }

    /// The fewest bytes (1…4) that hold every element of `values`; 1 for an empty array.
    public static func width(_ values: UnsafeBufferPointer<UInt32>) -> Int {
        var any: UInt32 = 0
        for v in values { any |= v }
        return bytesNeeded(UInt64(any))
    }

    /// Writes the low `width` bytes of `zigzag(v)` for each `v`, little-endian, back to back: `values.count × width`
    /// bytes at `out`. Every value must fit (`width(zigzag:)`); the bytes above `width` are dropped unchecked.
    public static func narrow(zigzag values: UnsafeBufferPointer<Int64>, width: Int, into out: UnsafeMutableRawPointer) {
        let n = values.count
        guard n > 0 else { return }
        precondition((1...8).contains(width))
        // Each element as one 8-byte store at its offset: the next element's store overwrites the dropped high bytes.
        // The last elements, whose 8 bytes would run past the end, are written byte by byte.
        let tail = min(n, (8 + width - 1) / width)
        let fast = n - tail
        var i = 0
        while i < fast {
            out.storeBytes(of: zigzag(values[i]).littleEndian, toByteOffset: i &* width, as: UInt64.self)
            i &+= 1
        }
        while i < n {
            var u = zigzag(values[i])
            for b in 0..<width { out.storeBytes(of: UInt8(truncatingIfNeeded: u), toByteOffset: i * width + b, as: UInt8.self); u >>= 8 }
            i += 1
        }
    }

    /// The inverse of `narrow(zigzag:width:into:)`: `out.count` elements from `out.count × width` bytes at `data`.
    public static func widen(zigzag data: UnsafeRawPointer, width: Int, into out: UnsafeMutableBufferPointer<Int64>) {
        let n = out.count
        guard n > 0 else { return }
        precondition((1...8).contains(width))
        let mask: UInt64 = width == 8 ? ~0 : (1 << UInt64(8 * width)) &- 1
        let tail = min(n, (8 + width - 1) / width)
        let fast = n - tail
        var i = 0
        while i < fast {
            let u = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: i &* width, as: UInt64.self)) & mask
            out[i] = unzigzag(u)
            i &+= 1
        }
        while i < n {
            var u: UInt64 = 0
            for b in 0..<width { u |= UInt64(data.load(fromByteOffset: i * width + b, as: UInt8.self)) << UInt64(8 * b) }
            out[i] = unzigzag(u)
            i += 1
        }
    }

    /// Writes the low `width` bytes (1…4) of each element, little-endian, back to back.
    public static func narrow(_ values: UnsafeBufferPointer<UInt32>, width: Int, into out: UnsafeMutableRawPointer) {
        let n = values.count
        guard n > 0 else { return }
        precondition((1...4).contains(width))
        let tail = min(n, (4 + width - 1) / width)
        let fast = n - tail
        var i = 0
        while i < fast {
            out.storeBytes(of: values[i].littleEndian, toByteOffset: i &* width, as: UInt32.self)
            i &+= 1
        }
        while i < n {
            var u = values[i]
            for b in 0..<width { out.storeBytes(of: UInt8(truncatingIfNeeded: u), toByteOffset: i * width + b, as: UInt8.self); u >>= 8 }
            i += 1
        }
    }

    /// The inverse of `narrow(_:width:into:)` for `u32`.
    public static func widen(_ data: UnsafeRawPointer, width: Int, into out: UnsafeMutableBufferPointer<UInt32>) {
        let n = out.count
        guard n > 0 else { return }
        precondition((1...4).contains(width))
        let mask: UInt32 = width == 4 ? ~0 : (1 << UInt32(8 * width)) &- 1
        let tail = min(n, (4 + width - 1) / width)
        let fast = n - tail
        var i = 0
        while i < fast {
            out[i] = UInt32(littleEndian: data.loadUnaligned(fromByteOffset: i &* width, as: UInt32.self)) & mask
            i &+= 1
        }
        while i < n {
            var u: UInt32 = 0
            for b in 0..<width { u |= UInt32(data.load(fromByteOffset: i * width + b, as: UInt8.self)) << UInt32(8 * b) }
            out[i] = u
            i += 1
        }
    }

    @inline(__always) static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    @inline(__always) static func unzigzag(_ u: UInt64) -> Int64 { Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1))) }

    static func bytesNeeded(_ any: UInt64) -> Int { max(1, (64 - any.leadingZeroBitCount + 7) / 8) }
}
