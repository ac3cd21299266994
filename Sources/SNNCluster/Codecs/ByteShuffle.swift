/// Byte shuffle ("transpose bytes into planes") for 4- and 8-byte elements.
///
/// For E = count / width elements, output byte `p*E + i` is input byte `i*width + p`: all first bytes,
/// then all second bytes, and so on. Small integers then yield long runs of 0x00/0xFF in their high planes
/// and floats line up their sign/exponent bytes, which LZ4 can find. A tail shorter than one element
/// (never produced by the wire codec) is copied unchanged. Plain loops over buffer pointers: this target
/// builds with `-O`, where they are simple and correct rather than vectorised.
public enum ByteShuffle {
    /// Element widths the wire uses.
    public static let supportedWidths: Set<Int> = [4, 8]

    /// `src` shuffled into `width` byte planes. Widths other than 4 and 8 return `src` unchanged.
    /// Always inlined, like `unshuffle` and `transpose`: with a constant width at the call site the loops are
    /// specialised (measured: a RESULT's encode and decode took twice as long when they were not).
    @inline(__always)
    public static func shuffle(_ src: [UInt8], width: Int) -> [UInt8] {
        transpose(src, width: width, forward: true)
    }

    /// The inverse of `shuffle(_:width:)`.
    @inline(__always)
    public static func unshuffle(_ src: [UInt8], width: Int) -> [UInt8] {
        transpose(src, width: width, forward: false)
    }

    @inline(__always)
    private static func transpose(_ src: [UInt8], width: Int, forward: Bool) -> [UInt8] {
        guard supportedWidths.contains(width), src.count >= width else { return src }
        let elements = src.count / width
        let body = elements * width
        return [UInt8](unsafeUninitializedCapacity: src.count) { dst, initialized in
            src.withUnsafeBufferPointer { s in
                for p in 0..<width {
                    let plane = p * elements
                    if forward {
                        var j = p
                        for i in 0..<elements { dst[plane + i] = s[j]; j += width }
                    } else {
                        var j = p
                        for i in 0..<elements { dst[j] = s[plane + i]; j += width }
                    }
                }
                for k in body..<src.count { dst[k] = s[k] }
            }
            initialized = src.count
        }
    }
}
