import Foundation
import SNNInterchange
import SNNMethods
import Testing
import ZIPFoundation

/// Keras import (issue 10 item 5) against outputs Keras itself computed (Fixtures/keras/make_fixture.py): the
/// same CNN read from a Keras 3 `.keras` file and from a legacy `.h5` file gives Keras's logits on 8 test images;
/// files ECC cannot convert are refused with one line naming the layer and why.
@Suite struct KerasImportTests {
    struct Outputs: Decodable { var keras: String; var images: [[Float]]; var logits: [[Float]]; var probabilities: [[Float]] }

    func outputs() throws -> Outputs {
        try JSONDecoder().decode(Outputs.self, from: Data(contentsOf: URL(fileURLWithPath: FixturePaths.fixture("keras/outputs.json"))))
    }

    @Test(arguments: ["cnn.keras", "cnn.h5"])
    func importReproducesKerasOutputs(file: String) throws {
        let o = try outputs()
        let (layers, shape) = try KerasModelFile.read(FixturePaths.fixture("keras/" + file))
        #expect(shape == [28, 28, 1])
        // conv1 (no bias) → bn1 → relu1 → pool1 → conv2 → bn2 → relu2 → pool2 → flatten → out (dropout dropped).
        #expect(layers.map(\.name) == ["conv1", "bn1", "relu1", "pool1", "conv2", "bn2", "relu2", "pool2", "flatten", "out"])
        let net = try ECCNetwork.fold(layers, inputShape: shape)
        let logits = net.cnnForward(o.images.flatMap { $0 }, batch: o.images.count).logits
        var worst: Float = 0
        for (i, row) in o.logits.enumerated() {
            for (j, want) in row.enumerated() { worst = max(worst, abs(logits[i * 10 + j] - want) / max(1, abs(want))) }
            // The softmax of our logits is Keras's output, and the predicted class is the same.
            let ours = Array(logits[(i * 10)..<(i * 10 + 10)])
            let m = ours.max()!, e = ours.map { exp($0 - m) }, s = e.reduce(0, +)
            for (j, p) in o.probabilities[i].enumerated() { #expect(abs(e[j] / s - p) < 1e-4) }
            #expect(ours.firstIndex(of: m) == o.probabilities[i].firstIndex(of: o.probabilities[i].max()!))
        }
        #expect(worst < 1e-4, "largest relative logit difference \(worst)")
    }

    func refusal(_ path: String) -> String? {
        do { _ = try KerasModelFile.read(path); return nil } catch { return "\(error)" }
    }

    @Test func maxPoolingAndChannelsFirstModelsAreRefusedNamingTheLayer() {
        let mp = refusal(FixturePaths.fixture("keras/maxpool.keras")) ?? ""
        #expect(mp.contains("layer mp (MaxPooling2D): max pooling cannot be converted by ECC"), "\(mp)")
        let cf = refusal(FixturePaths.fixture("keras/channels_first.keras")) ?? ""
        #expect(cf.contains("layer cf (Conv2D): data_format channels_first is not supported"), "\(cf)")
        #expect(!mp.contains("\n") && !cf.contains("\n"))
    }

    @Test func truncatedZipIsRefused() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: FixturePaths.fixture("keras/cnn.keras")))
        let path = FixturePaths.scratch("truncated.keras")
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        let e = refusal(path) ?? ""
        #expect(e.hasPrefix(path + ": ") && (e.contains("not a readable zip archive") || e.contains("cannot be read from the archive")), "\(e)")
    }

    /// Rewrites the fixture's archive with `config.json` edited or `model.weights.h5` left out.
    func rewritten(_ name: String, dropWeights: Bool = false, editConfig: (String) -> String = { $0 }) throws -> String {
        let source = try Archive(url: URL(fileURLWithPath: FixturePaths.fixture("keras/cnn.keras")), accessMode: .read)
        let path = FixturePaths.scratch(name)
        let out = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        for entry in source {
            var data = Data()
            _ = try source.extract(entry) { data.append($0) }
            if entry.path == "model.weights.h5" && dropWeights { continue }
            if entry.path == "config.json" { data = Data(editConfig(String(decoding: data, as: UTF8.self)).utf8) }
            let payload = data
            try out.addEntry(with: entry.path, type: .file, uncompressedSize: Int64(payload.count)) { position, size in
                payload.subdata(in: Int(position)..<(Int(position) + size))
            }
        }
        return path
    }

    @Test func archiveWithoutWeightsIsRefused() throws {
        let e = refusal(try rewritten("noweights.keras", dropWeights: true)) ?? ""
        #expect(e.contains("the archive has no model.weights.h5"), "\(e)")
    }

    @Test func unsupportedLayerIsRefusedNamingIt() throws {
        let path = try rewritten("lstm.keras") { $0.replacingOccurrences(of: "\"class_name\": \"Flatten\"", with: "\"class_name\": \"LSTM\"") }
        let e = refusal(path) ?? ""
        #expect(e.contains("layer flatten (LSTM): not supported by ECC import"), "\(e)")
    }
}
