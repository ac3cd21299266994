import Foundation
import SNNModel
import Testing

/// `IDXDataset.load` on small generated files: both encodings load, and every defect gives one line that
/// names the file and the fix.
@Suite struct IDXDatasetErrorTests {
    /// The error `load` throws for the fixture's train split, as text.
    func loadError(_ fixture: IDXFixture, classes: Int = 10) -> String? {
        do {
            _ = try IDXDataset.load(directory: fixture.directory, split: .train, classes: classes)
            return nil
        } catch {
            let text = (error as? DataError)?.description ?? "not a DataError: \(error)"
            #expect(!text.contains("\n"))
            return text
        }
    }

    @Test(arguments: [true, false])
    func smallSplitLoadsGzippedOrPlain(gzip: Bool) throws {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeTrainSplit(count: 4, gzip: gzip)
        let data = try IDXDataset.load(directory: fixture.directory, split: .train)
        #expect(data.count == 4 && data.rows == 2 && data.columns == 3)
        #expect(data.labels == [0, 1, 2, 3])
        #expect(data.pixels.count == 24)
        #expect(data.pixels[0] == 0 && data.pixels[5] == Float(5) / 255)
        #expect(data.fingerprint.count == 64)
    }

    @Test func fingerprintIgnoresCompressionAndTracksContent() throws {
        let gz = IDXFixture(), plain = IDXFixture(), other = IDXFixture()
        defer { gz.remove(); plain.remove(); other.remove() }
        gz.writeTrainSplit(count: 5, gzip: true)
        plain.writeTrainSplit(count: 5, gzip: false)
        other.writeTrainSplit(count: 5, gzip: false)
        other.write("train-labels-idx1-ubyte", IDXFixture.labels([0, 1, 2, 3, 9]), gzip: false)
        let a = try IDXDataset.load(directory: gz.directory, split: .train).fingerprint
        let b = try IDXDataset.load(directory: plain.directory, split: .train).fingerprint
        let c = try IDXDataset.load(directory: other.directory, split: .train).fingerprint
        #expect(a == b)
        #expect(a != c)
        // The fingerprint is the SHA-256 of the two decompressed files, back to back.
        let bytes = IDXFixture.images(count: 5) + IDXFixture.labels([0, 1, 2, 3, 4])
        #expect(a == bytes.withUnsafeBytes { sha256Hex($0) })
    }

    @Test func limitKeepsPrefixAndFingerprintsIt() throws {
        let full = IDXFixture(), small = IDXFixture(); defer { full.remove(); small.remove() }
        full.writeTrainSplit(count: 6, gzip: true)
        small.writeTrainSplit(count: 2, gzip: true)
        let limited = try IDXDataset.load(directory: full.directory, split: .train, limit: 2)
        let whole = try IDXDataset.load(directory: small.directory, split: .train)
        #expect(limited.count == 2 && limited.pixels.count == 12 && limited.labels == [0, 1])
        #expect(limited.fingerprint == whole.fingerprint)
        #expect(try IDXDataset.load(directory: full.directory, split: .train, limit: 100).count == 6)
    }

    @Test func missingDirectoryNamesItAndTheInstallHint() throws {
        let message = try #require(loadError(IDXFixture(directory: "/nonexistent/fmnist")))
        #expect(message.hasPrefix("/nonexistent/fmnist: not found."))
        #expect(message.contains("apt-get install dataset-fashion-mnist"))
        #expect(message.contains("--data DIR"))
    }

    @Test func missingFileNamesTheGzPath() throws {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.write("train-images-idx3-ubyte", IDXFixture.images(count: 1), gzip: true)
        let message = try #require(loadError(fixture))
        #expect(message.hasPrefix("\(fixture.directory)/train-labels-idx1-ubyte.gz: not found."))
        #expect(message.contains("apt-get install dataset-fashion-mnist"))
    }

    @Test func corruptGzipIsReported() throws {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeTrainSplit(count: 3, gzip: true)
        // A gzip header followed by bytes that are not a deflate stream.
        let garbage: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3] + [UInt8](repeating: 0xff, count: 40)
        fixture.write("train-images-idx3-ubyte", garbage, gzip: false)
        try FileManager.default.removeItem(atPath: fixture.directory + "/train-images-idx3-ubyte.gz")
        let message = try #require(loadError(fixture))
        #expect(message.hasPrefix("\(fixture.directory)/train-images-idx3-ubyte: corrupt gzip data"))
        #expect(message.contains("re-download"))
    }

    @Test func truncatedGzipIsReported() throws {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeTrainSplit(count: 50, gzip: true)
        let path = fixture.directory + "/train-images-idx3-ubyte.gz"
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        let message = try #require(loadError(fixture))
        #expect(message.hasPrefix("\(path): truncated gzip data"))
    }

    @Test func wrongMagicIsNotAnIDXFile() throws {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeTrainSplit(count: 2, gzip: true)
        fixture.write("train-images-idx3-ubyte", IDXFixture.images(count: 2, magic: 0x0801), gzip: true)
        let message = try #require(loadError(fixture))
        #expect(message.hasPrefix("\(fixture.directory)/train-images-idx3-ubyte.gz is not an IDX image file (magic 0x00000801"))
    }

    @Test func labelsWithImageMagicAreRejected() throws {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeTrainSplit(count: 2, gzip: false)
        fixture.write("train-labels-idx1-ubyte", IDXFixture.images(count: 2), gzip: false)
        let message = try #require(loadError(fixture))
        #expect(message.contains("train-labels-idx1-ubyte is not an IDX label file (magic 0x00000803, expected 0x00000801)"))
    }

    @Test(arguments: [true, false])
    func truncatedDataIsReported(gzip: Bool) throws {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeTrainSplit(count: 3, gzip: gzip)
        fixture.write("train-images-idx3-ubyte", Array(IDXFixture.images(count: 3).dropLast(5)), gzip: gzip)
        let message = try #require(loadError(fixture))
        #expect(message.contains("train-images-idx3-ubyte\(gzip ? ".gz" : ""): truncated: the header promises 3x2x3 bytes"))
        #expect(message.contains("holds 29"))
    }

    @Test func shortHeaderIsTruncated() throws {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeTrainSplit(count: 3, gzip: false)
        fixture.write("train-images-idx3-ubyte", [0, 0, 8, 3, 0, 0], gzip: false)
        let message = try #require(loadError(fixture))
        #expect(message.contains("train-images-idx3-ubyte: truncated inside the IDX header"))
    }

    @Test func trailingBytesAreReported() throws {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeTrainSplit(count: 3, gzip: false)
        fixture.write("train-labels-idx1-ubyte", IDXFixture.labels([1, 2, 3]) + [7, 7], gzip: false)
        let message = try #require(loadError(fixture))
        #expect(message.contains("train-labels-idx1-ubyte: 2 unexpected bytes after the 3 data"))
    }

    @Test func countMismatchNamesBothFiles() throws {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeTrainSplit(count: 4, gzip: true)
        fixture.write("train-labels-idx1-ubyte", IDXFixture.labels([1, 2, 3]), gzip: true)
        let message = try #require(loadError(fixture))
        #expect(message.contains("train-images-idx3-ubyte.gz holds 4 images but"))
        #expect(message.contains("train-labels-idx1-ubyte.gz holds 3 labels"))
    }

    @Test func labelOutOfRangeIsReported() throws {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.writeTrainSplit(count: 3, gzip: true)
        fixture.write("train-labels-idx1-ubyte", IDXFixture.labels([1, 12, 3]), gzip: true)
        let message = try #require(loadError(fixture))
        #expect(message.contains("train-labels-idx1-ubyte.gz: label 12 of item 1 is outside 0..<10"))
        #expect(loadError(fixture, classes: 13) == nil)
    }

    @Test func plainFileIsUsedWhenNoGzipExists() throws {
        let fixture = IDXFixture(); defer { fixture.remove() }
        fixture.write("train-images-idx3-ubyte", IDXFixture.images(count: 2), gzip: false)
        fixture.write("train-labels-idx1-ubyte", IDXFixture.labels([3, 4]), gzip: true)
        #expect(try IDXDataset.load(directory: fixture.directory, split: .train).labels == [3, 4])
    }
}

extension IDXFixture {
    /// A fixture at a given (possibly nonexistent) directory, for the not-found case.
    init(directory: String) { self.directory = directory }
}
