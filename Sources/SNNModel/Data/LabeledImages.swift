/// One split of an image-classification dataset, decoded and ready for the encoders.
///
/// Pixels are `Float` in `[0, 1]` (`byte / 255`), one image after another, each row-major
/// (`rows × columns`, one channel), so image `i` is `pixels[i*rows*columns ..< (i+1)*rows*columns]`.
/// `fingerprint` identifies the exact bytes the split was decoded from: workers compare theirs with the
/// coordinator's before training, so a worker holding a different or damaged copy refuses to start.
public struct LabeledImages: Sendable {
    /// Number of images (and labels).
    public let count: Int
    /// Image height in pixels.
    public let rows: Int
    /// Image width in pixels.
    public let columns: Int
    /// `count * rows * columns` values in `[0, 1]`, row-major per image.
    public let pixels: [Float]
    /// One class index per image, each in `0 ..< classes`.
    public let labels: [Int32]
    /// Lower-case hex SHA-256 of the decompressed image IDX bytes followed by the label IDX bytes (see
    /// `IDXDataset.load` for how a `limit` enters it).
    public let fingerprint: String

    public init(count: Int, rows: Int, columns: Int, pixels: [Float], labels: [Int32], fingerprint: String) {
        precondition(pixels.count == count * rows * columns && labels.count == count,
                     "LabeledImages: \(pixels.count) pixels / \(labels.count) labels for \(count) images of \(rows)x\(columns)")
        self.count = count
        self.rows = rows
        self.columns = columns
        self.pixels = pixels
        self.labels = labels
        self.fingerprint = fingerprint
    }

    /// Values per image (`rows * columns`).
    public var pixelsPerImage: Int { rows * columns }
}

/// Which file pair of an IDX dataset to read: `train-*` or `t10k-*`.
public enum DataSplit: String, Sendable, CaseIterable {
    case train, test

    /// The file-name prefix the IDX distribution uses for this split.
    public var filePrefix: String {
        switch self {
        case .train: "train"
        case .test: "t10k"
        }
    }
}
