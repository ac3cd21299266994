/// ZigZag mapping of little-endian `Int64`s held in bytes: 0, -1, 1, -2, … → 0, 1, 2, 3, ….
///
/// Why: fixed-point gradients are small integers of either sign. In two's complement every negative one
/// has high bytes 0xFF and every positive one 0x00, so after a byte shuffle the high planes are a random
/// 00/FF pattern that LZ4 cannot shrink (and identical planes lie further apart than its 64 KiB window).
/// After ZigZag the high bytes of small values are all zero whatever the sign, and those planes vanish.
public enum ZigZag {
    /// The mapping of one value.
    @inline(__always) public static func encode(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

    /// The inverse of `encode(_:)`.
    @inline(__always) public static func decode(_ u: UInt64) -> Int64 { Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1))) }

    /// Applies the mapping in place to every whole 8-byte element of `bytes` (a tail is left alone).
    public static func encode64(_ bytes: inout [UInt8]) {
        transform(&bytes) { v in encode(Int64(bitPattern: v)) }
    }

    /// The inverse of `encode64`.
    public static func decode64(_ bytes: inout [UInt8]) {
        transform(&bytes) { u in UInt64(bitPattern: decode(u)) }
    }

    private static func transform(_ bytes: inout [UInt8], _ f: (UInt64) -> UInt64) {
        let n = bytes.count / 8
        bytes.withUnsafeMutableBytes { raw in
            for i in 0..<n {
                let v = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                raw.storeBytes(of: f(v).littleEndian, toByteOffset: i * 8, as: UInt64.self)
            }
        }
    }
}
