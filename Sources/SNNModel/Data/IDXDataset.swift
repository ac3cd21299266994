import Foundation

/// Reader for MNIST-format (IDX) datasets such as Fashion-MNIST and MNIST: one image file and one label
/// file per split, gzipped or plain.
public enum IDXDataset {
    /// Where the Debian package `dataset-fashion-mnist` installs the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

    /// Loads `{train,t10k}-images-idx3-ubyte(.gz)` and the matching `-labels-idx1-ubyte(.gz)` from
    /// `directory`, preferring the `.gz` file when both exist.
    ///
    /// - Parameters:
    ///   - limit: keep only the first `limit` images (all when nil or larger than the split).
    ///   - classes: labels must lie in `0 ..< classes`.
    /// - Returns: pixels scaled to `[0, 1]` and the labels; `fingerprint` is the SHA-256 of the image IDX
    ///   bytes followed by the label IDX bytes of the data actually kept (with a `limit`, the bytes a pair
    ///   of files holding only those images would have), so two machines get equal fingerprints exactly
    ///   when they hold the same training data.
    /// - Throws: `DataError`, one line naming the file and the fix: missing directory or file, unreadable
    ///   or corrupt gzip, wrong magic, truncated or oversized file, image/label count mismatch, label out
    ///   of range.
    public static func load(directory: String, split: DataSplit, limit: Int? = nil, classes: Int = 10) throws -> LabeledImages {
        precondition(limit.map { $0 >= 0 } ?? true, "IDXDataset.load: negative limit")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError("\(directory): not found. \(DataError.installHint)")
        }
        let imagePath = try locate(directory: directory, name: "\(split.filePrefix)-images-idx3-ubyte")
        let labelPath = try locate(directory: directory, name: "\(split.filePrefix)-labels-idx1-ubyte")

        let images = try IDXFile(bytes: GzipReader.readAll(path: imagePath), path: imagePath,
                                 magic: IDXFile.imageMagic, kind: "image")
        let labels = try IDXFile(bytes: GzipReader.readAll(path: labelPath), path: labelPath,
                                 magic: IDXFile.labelMagic, kind: "label")
        let total = images.dimensions[0], rows = images.dimensions[1], columns = images.dimensions[2]
        guard labels.dimensions[0] == total else {
            throw DataError("\(imagePath) holds \(total) images but \(labelPath) holds \(labels.dimensions[0]) labels; "
                            + "both files must come from the same split of the same dataset")
        }
        let count = min(total, limit ?? total)
        let perImage = rows * columns

        var labelValues = [Int32](repeating: 0, count: count)
        for i in 0..<count {
            let label = labels.bytes[labels.headerSize + i]
            guard Int(label) < classes else {
                throw DataError("\(labelPath): label \(label) of item \(i) is outside 0..<\(classes); "
                                + "the file is not a \(classes)-class dataset (pass the right class count or the right --data DIR)")
            }
            labelValues[i] = Int32(label)
        }

        // Hashing and byte→float conversion are independent; run them on two threads.
        nonisolated(unsafe) var fingerprint = ""
        nonisolated(unsafe) var pixels = [Float]()
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            if part == 0 {
                fingerprint = Self.fingerprint(images: images, labels: labels, count: count, perImage: perImage)
            } else {
                pixels = Self.scaledPixels(images, count: count * perImage)
            }
        }
        return LabeledImages(count: count, rows: rows, columns: columns, pixels: pixels, labels: labelValues,
                             fingerprint: fingerprint)
    }

    /// `directory/name.gz` if it exists, else `directory/name`; a `DataError` naming the `.gz` path if neither does.
    static func locate(directory: String, name: String) throws(DataError) -> String {
        let base = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        for candidate in [base + ".gz", base] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        throw DataError("\(base).gz: not found. \(DataError.installHint)")
    }

    /// The first `count` data bytes of `images`, each divided by 255.
    static func scaledPixels(_ images: IDXFile, count: Int) -> [Float] {
        images.bytes.withUnsafeBufferPointer { source in
            let start = source.baseAddress! + images.headerSize
            return [Float](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0..<count { out[i] = Float(start[i]) / 255 }
                initialized = count
            }
        }
    }

    /// SHA-256 over the image file then the label file, as files holding only the first `count` items.
    static func fingerprint(images: IDXFile, labels: IDXFile, count: Int, perImage: Int) -> String {
        var hasher = SHA256Hasher()
        hasher.update(images.header(count: count))
        images.bytes.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[images.headerSize ..< images.headerSize + count * perImage])) }
        hasher.update(labels.header(count: count))
        labels.bytes.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[labels.headerSize ..< labels.headerSize + count])) }
        return hasher.finalHex()
    }
}
