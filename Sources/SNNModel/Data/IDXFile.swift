/// The IDX container of the MNIST family: a 4-byte big-endian magic `0x000008DD` (unsigned bytes, `DD`
/// dimensions), `DD` big-endian UInt32 sizes, then the product of the sizes in bytes, row-major.
struct IDXFile {
    /// Magic of a 3-dimensional unsigned-byte file (images: count, rows, columns).
    static let imageMagic: UInt32 = 0x0000_0803
    /// Magic of a 1-dimensional unsigned-byte file (labels: count).
    static let labelMagic: UInt32 = 0x0000_0801

    /// The whole decompressed file.
    let bytes: [UInt8]
    /// The sizes from the header (`[count, rows, columns]` or `[count]`).
    let dimensions: [Int]
    /// Bytes before the data: 4 + 4 per dimension.
    var headerSize: Int { 4 + 4 * dimensions.count }

    /// Checks magic, header and exact size; `kind` ("image" / "label") names the file in errors.
    init(bytes: [UInt8], path: String, magic expected: UInt32, kind: String) throws(DataError) {
        let reinstall = "re-download the file or reinstall the dataset"
        guard bytes.count >= 4 else {
            throw DataError("\(path): truncated: \(bytes.count) bytes, too short for an IDX header; \(reinstall)")
        }
        let magic = IDXFile.bigEndianUInt32(bytes, at: 0)
        guard magic == expected else {
            throw DataError("\(path) is not an IDX \(kind) file (magic \(IDXFile.hex(magic)), expected \(IDXFile.hex(expected))); "
                            + "pass --data DIR pointing at Fashion-MNIST/MNIST IDX files")
        }
        let rank = Int(expected & 0xff)
        guard bytes.count >= 4 + 4 * rank else {
            throw DataError("\(path): truncated inside the IDX header (\(bytes.count) bytes); \(reinstall)")
        }
        let dims = (0..<rank).map { Int(IDXFile.bigEndianUInt32(bytes, at: 4 + 4 * $0)) }
        let expectedSize = 4 + 4 * rank + dims.reduce(1, *)
        let shape = dims.map(String.init).joined(separator: "x")
        guard bytes.count >= expectedSize else {
            throw DataError("\(path): truncated: the header promises \(shape) bytes of data (\(expectedSize) bytes in all) "
                            + "but the file holds \(bytes.count); \(reinstall)")
        }
        guard bytes.count == expectedSize else {
            throw DataError("\(path): \(bytes.count - expectedSize) unexpected bytes after the \(shape) data "
                            + "(expected exactly \(expectedSize) bytes); \(reinstall)")
        }
        self.bytes = bytes
        self.dimensions = dims
    }

    /// The header with the leading count replaced by `count`: the header a file holding only the first
    /// `count` items would have (used for fingerprints of a limited load).
    func header(count: Int) -> [UInt8] {
        var header = Array(bytes[0..<headerSize])
        let c = UInt32(count)
        header[4] = UInt8(c >> 24); header[5] = UInt8((c >> 16) & 0xff)
        header[6] = UInt8((c >> 8) & 0xff); header[7] = UInt8(c & 0xff)
        return header
    }

    static func bigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
