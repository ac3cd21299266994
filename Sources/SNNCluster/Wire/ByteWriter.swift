import Foundation

/// Appends little-endian fields to a byte array: the writing half of the layouts in PROTOCOL.md §5.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { append(v) }
    mutating func u32(_ v: UInt32) { append(v) }
    mutating func u64(_ v: UInt64) { append(v) }
    mutating func i64(_ v: Int64) { append(v) }
    mutating func f64(_ v: Double) { append(v.bitPattern) }
    mutating func bool8(_ v: Bool) { bytes.append(v ? 1 : 0) }
    mutating func zeros(_ n: Int) { bytes.append(contentsOf: repeatElement(0, count: n)) }

    mutating func uuid(_ v: UUID) {
        withUnsafeBytes(of: v.uuid) { bytes.append(contentsOf: $0) }
    }

    /// `bytes(N)`: u16 length + bytes. The caller has validated the length against N (≤ 65 535).
    mutating func lengthPrefixed(_ v: [UInt8]) {
        u16(UInt16(truncatingIfNeeded: v.count))
        bytes.append(contentsOf: v)
    }

    /// `str(N)`: u16 length + UTF-8 bytes.
    mutating func string(_ v: String) { lengthPrefixed(Array(v.utf8)) }

    private mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
