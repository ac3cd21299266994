import Foundation
import Testing
import SNNCore
import SNNMethods
import SNNCluster

/// The converted ECC model on disk: written atomically, read back equal with the same digest; damage is detected.
@Suite struct ConvertedModelFileTests {
    func model() -> ConvertedSNN {
        let g = ConvGeometry(height: 4, width: 4, channels: 1, kernel: 3, stride: 1, padding: 1, outChannels: 2)
        let net = ECCNetwork(inputShape: [4, 4, 1], layers: [
            .conv(g, weights: (0..<18).map { Float($0) * 0.25 - 2 }, bias: [0.5, -0.5]),
            .avgPool(size: 2, inputShape: [4, 4, 2]), .flatten(count: 8),
            .dense(inputs: 8, outputs: 3, weights: (0..<24).map { Float($0) / 7 }, bias: [1, 2, 3]),
        ], names: ["conv1", "avgpool1", "flatten1", "fc1"])
        return ConvertedSNN(network: net, thresholds: [100, 0.8, 0, 100], lambdas: [1, 3, 2.4, 2.4, 9], kappa: 100, bits: 0)
    }

    @Test func roundTripKeepsModelAndDigest() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-\(UUID().uuidString)").path
        let path = dir + "/m.snn"
        try ConvertedModelFile.write(model(), source: "test", to: path)
        let (back, source) = try ConvertedModelFile.read(from: path)
        #expect(back == model())
        #expect(source == "test")
        #expect(ConvertedModelFile.digest(back) == ConvertedModelFile.digest(model()))
        // A different threshold is a different model.
        var other = model(); other.thresholds[1] = 0.9
        #expect(ConvertedModelFile.digest(other) != ConvertedModelFile.digest(model()))
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["m.snn"])
    }

    @Test func truncatedOrModifiedFilesAreRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-\(UUID().uuidString)").path
        let path = dir + "/m.snn"
        try ConvertedModelFile.write(model(), source: "test", to: path)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        try Data(bytes.dropLast(4)).write(to: URL(fileURLWithPath: path))
        #expect { _ = try ConvertedModelFile.read(from: path) } throws: { "\($0)".contains("truncated") }
        bytes[bytes.count - 1] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect { _ = try ConvertedModelFile.read(from: path) } throws: { "\($0)".contains("digest mismatch") }
    }
}
