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
/// `i64` elements are mapped through ZigZag first (`ZigZag.encode`), so small values of either sign have zero high bytes;
/// `u32` elements are taken as they are (the parameter deltas of WORK are ZigZag values already).
public enum Narrowing {
    /// The fewest bytes (1…8) that hold `ZigZag.encode(v)` for every `v` in `values`; 1 for an empty array.
    public static func width(zigzag values: UnsafeBufferPointer<Int64>) -> Int {
        var any: UInt64 = 0
        for v in values { any |= ZigZag.encode(v) }
        return bytesNeeded(any)
    }

    /// The fewest bytes (1…4) that hold every element of `values`; 1 for an empty array.
    public static func width(_ values: UnsafeBufferPointer<UInt32>) -> Int {
        var any: UInt32 = 0
        for v in values { any |= v }
        return bytesNeeded(UInt64(any))
    }

    /// Writes the low `width` bytes of `ZigZag.encode(v)` for each `v`, little-endian, back to back:
    /// `values.count × width` bytes at `out`. Every value must fit (`width(zigzag:)`); the bytes above `width` are
    /// dropped unchecked.
    public static func narrow(zigzag values: UnsafeBufferPointer<Int64>, width: Int, into out: UnsafeMutableRawPointer) {
        pack(count: values.count, width: width, into: out) { ZigZag.encode(values[$0]) }
    }

    /// The inverse of `narrow(zigzag:width:into:)`: `out.count` elements from `out.count × width` bytes at `data`.
    public static func widen(zigzag data: UnsafeRawPointer, width: Int, into out: UnsafeMutableBufferPointer<Int64>) {
        guard let base = out.baseAddress else { return }
        widen(zigzag: data, width: width, count: out.count, into: UnsafeMutableRawPointer(base))
    }

    /// `widen(zigzag:width:into:)` writing `count` little-endian `i64`s to raw memory.
    public static func widen(zigzag data: UnsafeRawPointer, width: Int, count: Int, into out: UnsafeMutableRawPointer) {
        unpack(data, width: width, count: count, as: UInt64.self) { i, u in
            out.storeBytes(of: ZigZag.decode(u).littleEndian, toByteOffset: 8 &* i, as: Int64.self)
        }
    }

    /// Writes the low `width` bytes (1…4) of each element, little-endian, back to back.
    public static func narrow(_ values: UnsafeBufferPointer<UInt32>, width: Int, into out: UnsafeMutableRawPointer) {
        pack(count: values.count, width: width, into: out) { values[$0] }
    }

    /// The inverse of `narrow(_:width:into:)` for `u32`.
    public static func widen(_ data: UnsafeRawPointer, width: Int, into out: UnsafeMutableBufferPointer<UInt32>) {
        guard let base = out.baseAddress else { return }
        widen(data, width: width, count: out.count, into: UnsafeMutableRawPointer(base))
    }

    /// `widen(_:width:into:)` writing `count` little-endian `u32`s to raw memory.
    public static func widen(_ data: UnsafeRawPointer, width: Int, count: Int, into out: UnsafeMutableRawPointer) {
        unpack(data, width: width, count: count, as: UInt32.self) { i, u in
            out.storeBytes(of: u.littleEndian, toByteOffset: 4 &* i, as: UInt32.self)
        }
    }

    /// The low `width` bytes of `element(i)` for i in 0..<n, back to back. Each element goes as one store of the
    /// whole `U` at its offset (the next element's store overwrites the dropped high bytes); the last ones, whose
    /// store would run past the end, byte by byte.
    @inline(__always)
    static func pack<U: FixedWidthInteger & UnsignedInteger>(count n: Int, width: Int, into out: UnsafeMutableRawPointer,
                                                            _ element: (Int) -> U) {
        guard n > 0 else { return }
        let size = MemoryLayout<U>.size
        precondition((1...size).contains(width))
        let fast = n - min(n, (size + width - 1) / width)
        var i = 0
        while i < fast {
            out.storeBytes(of: element(i).littleEndian, toByteOffset: i &* width, as: U.self)
            i &+= 1
        }
        while i < n {
            var u = element(i)
            for b in 0..<width { out.storeBytes(of: UInt8(truncatingIfNeeded: u), toByteOffset: i * width + b, as: UInt8.self); u >>= 8 }
            i += 1
        }
    }

    /// The inverse of `pack`: hands `store` each element `i` of `n`, widened from `width` bytes at `data`.
    @inline(__always)
    static func unpack<U: FixedWidthInteger & UnsignedInteger>(_ data: UnsafeRawPointer, width: Int, count n: Int,
                                                              as _: U.Type, _ store: (Int, U) -> Void) {
        guard n > 0 else { return }
        let size = MemoryLayout<U>.size
        precondition((1...size).contains(width))
        let mask: U = width == size ? ~0 : (1 << U(8 * width)) &- 1
        let fast = n - min(n, (size + width - 1) / width)
        var i = 0
        while i < fast {
            store(i, U(littleEndian: data.loadUnaligned(fromByteOffset: i &* width, as: U.self)) & mask)
            i &+= 1
        }
        while i < n {
            var u: U = 0
            for b in 0..<width { u |= U(data.load(fromByteOffset: i * width + b, as: UInt8.self)) << U(8 * b) }
            store(i, u)
            i += 1
        }
    }

    static func bytesNeeded(_ any: UInt64) -> Int { max(1, (64 - any.leadingZeroBitCount + 7) / 8) }
}
