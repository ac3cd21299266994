import CSystemZlib
import Foundation

/// Small IDX files written into a fresh temporary directory, gzipped (zlib gzopen/gzwrite) or plain,
/// for the error-case tests of `IDXDataset`.
struct IDXFixture {
    let directory: String

    init() {
        directory = NSTemporaryDirectory() + "idx-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// An image file's bytes: magic 0x803, dims, then `count*rows*columns` bytes (value = index mod 256).
    static func images(count: Int, rows: Int = 2, columns: Int = 3, magic: UInt32 = 0x0803) -> [UInt8] {
        var bytes = bigEndian(magic) + bigEndian(UInt32(count)) + bigEndian(UInt32(rows)) + bigEndian(UInt32(columns))
        bytes += (0..<(count * rows * columns)).map { UInt8($0 % 256) }
        return bytes
    }

    /// A label file's bytes: magic 0x801, count, then the labels.
    static func labels(_ values: [UInt8], magic: UInt32 = 0x0801) -> [UInt8] {
        bigEndian(magic) + bigEndian(UInt32(values.count)) + values
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
    }

    /// Writes `bytes` to `name` in the directory, through gzwrite when `gzip` (appending ".gz").
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8], gzip: Bool) -> String {
        let path = directory + "/" + name + (gzip ? ".gz" : "")
        if gzip {
            let gz = gzopen(path, "wb")!
            _ = bytes.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
            gzclose(gz)
        } else {
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        }
        return path
    }

    /// Writes a valid training split (images + labels) of `count` 2x3 images.
    func writeTrainSplit(count: Int, gzip: Bool) {
        write("train-images-idx3-ubyte", Self.images(count: count), gzip: gzip)
        write("train-labels-idx1-ubyte", Self.labels((0..<count).map { UInt8($0 % 10) }), gzip: gzip)
    }
}
