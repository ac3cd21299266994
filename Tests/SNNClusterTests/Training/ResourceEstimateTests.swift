import Foundation
import SNNCluster
import SNNMethods
import SNNModel
import Testing

/// The per-micro-batch memory estimate that refuses oversized specs at load (issue 8 item 8).
@Suite struct ResourceEstimateTests {
    static let runs: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
        }
        return url.appendingPathComponent("cluster/runs").path
    }()

    /// The example specs stay below the refusal threshold (0.75 × memory) of a 16 GiB machine (VGG9: about 5.4 GiB).
    @Test func exampleSpecsFitWithRoomToSpare() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.runs).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 5)
        for f in files {
            let spec = try RunSpec.load(path: Self.runs + "/" + f)
            let bytes = RunSetup.estimatedBytesPerMicroBatch(spec: spec, network: try MethodFactory.make(spec).network)
            #expect(bytes < 12 * Double(1 << 30), "\(f): \(bytes / Double(1 << 30)) GiB")
        }
    }

    /// Hand count for a dense 784 → 10 network, T = 2, micro-batch 4: parameters 7 840 (+10 bias) → 4·4·7 850 B;
    /// outputs per sample per step: flatten 784 + dense 10 + spiking 10 = 804, input 784 → (804 + 784)·2·3 per
    /// sample, ×4 samples ×4 B.
    @Test func estimateMatchesAHandCount() throws {
        let json = """
        {"name": "t", "method": "bptt", "timesteps": 2, "input": {"shape": [28, 28, 1], "encoding": "direct"},
         "neuron": {"leak": 0.5, "threshold": 1, "reset": "soft", "compare": ">=", "surrogate": {"kind": "atan"}},
         "layers": [{"type": "flatten"}, {"type": "dense", "units": 10}, {"type": "spiking"}],
         "output": {"readout": "spike-count"},
         "training": {"epochs": 1, "batchSize": 8, "microBatch": 4, "optimizer": {"kind": "sgd", "lr": 0.1}}}
        """
        let spec = try RunSpec.decode(Data(json.utf8), source: "test")
        let net = try MethodFactory.make(spec).network
        let expected = 4.0 * (4.0 * Double(net.parameterCount) + Double((804 + 784) * 2 * 3) * 4)
        #expect(RunSetup.estimatedBytesPerMicroBatch(spec: spec, network: net) == expected)
        #expect(net.parameterCount == 7_840 || net.parameterCount == 7_850)
    }
}
