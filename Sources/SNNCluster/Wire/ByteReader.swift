import Foundation

/// Reads little-endian fields from one frame with a bounds check on every read: the reading half of the
/// layouts in PROTOCOL.md §5. Running past the end throws `truncated`; `finish()` rejects trailing bytes.
struct ByteReader {
    let bytes: [UInt8]
    /// Names the frame in error messages, e.g. "HELLO body".
    let frame: String
    private(set) var offset = 0

    init(_ bytes: [UInt8], frame: String) {
        self.bytes = bytes
        self.frame = frame
    }

    var remaining: Int { bytes.count - offset }

    mutating func u8(_ field: String) throws(WireError) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ field: String) throws(WireError) -> UInt16 { try load(field) }
    mutating func u32(_ field: String) throws(WireError) -> UInt32 { try load(field) }
    mutating func u64(_ field: String) throws(WireError) -> UInt64 { try load(field) }
    mutating func f64(_ field: String) throws(WireError) -> Double { Double(bitPattern: try load(field)) }

    mutating func bool8(_ field: String) throws(WireError) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let v: throw WireError(.invalidValue, "\(frame) \(field) is \(v), must be 0 or 1")
        }
    }

    /// Reserved bytes: must be zero.
    mutating func reserved(_ n: Int) throws(WireError) {
        try need(n, "reserved bytes")
        for i in offset..<(offset + n) where bytes[i] != 0 {
            throw WireError(.invalidValue, "\(frame) reserved byte at offset \(i) is not zero")
        }
        offset += n
    }

    mutating func uuid(_ field: String) throws(WireError) -> UUID {
        try need(16, field)
        var t: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &t) { dst in
            for i in 0..<16 { dst[i] = bytes[offset + i] }
        }
        offset += 16
        return UUID(uuid: t)
    }

    /// `bytes(N)`: u16 length L ≤ max, then L bytes.
    mutating func lengthPrefixed(_ field: String, max: Int) throws(WireError) -> [UInt8] {
        let n = Int(try u16("\(field) length"))
        guard n <= max else { throw WireError(.tooLarge, "\(frame) \(field) is \(n) bytes, limit \(max)") }
        try need(n, field)
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    /// `str(N)`: u16 length L ≤ max, then L bytes of valid UTF-8.
    mutating func string(_ field: String, max: Int) throws(WireError) -> String {
        let raw = try lengthPrefixed(field, max: max)
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw WireError(.invalidString, "\(frame) \(field) is not valid UTF-8")
        }
        return s
    }

    /// The frame must end here.
    func finish() throws(WireError) {
        guard offset == bytes.count else {
            throw WireError(.trailingBytes, "\(frame) has \(bytes.count - offset) bytes after its last field")
        }
    }

    private func need(_ n: Int, _ field: String) throws(WireError) {
        guard n <= bytes.count - offset else {
            throw WireError(.truncated, "\(frame) ends before \(field) (\(bytes.count) bytes)")
        }
    }

    private mutating func load<T: FixedWidthInteger>(_ field: String) throws(WireError) -> T {
        let n = MemoryLayout<T>.size
        try need(n, field)
        let o = offset
        let v = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: T.self) }
        offset += n
        return T(littleEndian: v)
    }
}
