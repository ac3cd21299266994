import Foundation
import Testing
import SNNCore
import SNNInterchange
import SNNModel

/// Export → file → import on our own networks: the same parameters and the same predictions on a slice of the
/// Fashion-MNIST test set (installed by scripts/setup).
@Suite struct NIRRoundTripTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    func testImages(_ n: Int) throws -> [Float] {
        try IDXDataset.load(directory: IDXDataset.defaultDirectory, split: .test, limit: n).pixels
    }

    /// Export to a file and import it back.
    func roundTrip(_ spec: RunSpec, _ parameters: [Float], _ state: [Float]) throws -> (NIRGraph, NIRImportResult) {
        let path = FixturePaths.scratch("roundtrip.nir")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let graph = try NIRExport.graph(spec: spec, parameters: parameters, state: state)
        try NIRFile.write(graph, to: path)
        let back = try NIRFile.read(path)
        // The file lists nodes by name; everything else comes back as written.
        let same = back.nodes.sorted { $0.name < $1.name } == graph.nodes.sorted { $0.name < $1.name }
            && back.edges == graph.edges && back.metadata == graph.metadata && back.version == graph.version
        #expect(same)
        return (graph, try NIRImport.run(back, name: spec.name))
    }

    /// Deterministic non-trivial values in [−a, a].
    func noise(_ n: Int, seed: UInt64, amplitude: Float) -> [Float] {
        var rng = RandomStream(seed: seed, epoch: 0, sample: 0)
        return (0..<n).map { _ in (rng.nextUniform() * 2 - 1) * amplitude }
    }

    @Test func mlpGivesBackTheSameParametersAndPredictions() throws {
        let json = """
        {"name": "mlp", "method": "bptt", "timesteps": 6, "input": {"shape": [28, 28, 1], "encoding": "direct"},
         "neuron": {"leak": 0.8, "threshold": 0.75, "reset": "hard", "compare": ">", "inputGain": 1.5, "surrogate": {"kind": "atan"}},
         "layers": [{"type": "flatten"}, {"type": "dense", "units": 64, "bias": true}, {"type": "spiking"},
                    {"type": "dense", "units": 10}, {"type": "spiking", "neuron": {"leak": 1, "threshold": 0.5}}],
         "output": {"readout": "spike-count"},
         "training": {"epochs": 2, "batchSize": 32, "optimizer": {"kind": "sgd", "lr": 0.1}}}
        """
        let spec = try RunSpec.decode(Data(json.utf8), source: "test")
        let net = Network(try Inference.config(spec))
        var (params, state) = net.initialValues(seed: 7)
        let biasOffset = net.layers[1].parameterOffset + 784 * 64
        params.replaceSubrange(biasOffset..<(biasOffset + 64), with: noise(64, seed: 1, amplitude: 0.2))
        let (graph, result) = try roundTrip(spec, params, state)
        #expect(graph.nodes.map(\.type) == ["Input", "Flatten", "Affine", "LIF", "Linear", "IF", "Output"])
        let sameParameters = result.parameters == params, sameState = result.state == state
        #expect(sameParameters)
        #expect(sameState)
        #expect(result.spec.layers.map(\.typeName) == spec.layers.map(\.typeName))
        for i in spec.layers.indices where spec.neuron(ofLayer: i) != nil {
            let a = spec.neuron(ofLayer: i)!, b = result.spec.neuron(ofLayer: i)!
            #expect(a.leak == b.leak && a.inputGain == b.inputGain && a.threshold == b.threshold && a.reset == b.reset && a.compare == b.compare)
        }
        // Settings NIR does not carry come back from the spec embedded in the graph's metadata.
        #expect(result.spec.training == spec.training && result.spec.timesteps == 6)
        let n = 200
        let x = try testImages(n)
        let before = try Inference.logits(spec, parameters: params, state: state, inputs: x, batch: n)
        let after = try Inference.logits(result.spec, parameters: result.parameters, state: result.state, inputs: x, batch: n)
        let samePredictions = before == after
        #expect(samePredictions)
        #expect(before.contains { $0 > 0 })
    }

    /// The example with batch norm: BN is folded into the convs, so the imported network has conv biases and no BN;
    /// a second export gives the same graph bit for bit, and predictions agree with the unfolded original.
    @Test func convExampleFoldsBatchNormAndKeepsPredictions() throws {
        let spec = try RunSpec.load(path: Self.repo + "/cluster/runs/nir-conv.json")
        let net = Network(try Inference.config(spec))
        var (params, state) = net.initialValues(seed: 3)
        for i in params.indices { params[i] *= 3 }   // untrained Xavier weights barely reach the last layer
        for layer in net.layers {
            guard let bn = layer as? BatchNormLayer else { continue }
            let c = bn.channels
            let g = noise(c, seed: UInt64(bn.index), amplitude: 0.5).map { 1 + $0 }
            params.replaceSubrange(bn.parameterOffset..<(bn.parameterOffset + c), with: g)
            params.replaceSubrange((bn.parameterOffset + c)..<(bn.parameterOffset + 2 * c), with: noise(c, seed: 100 + UInt64(bn.index), amplitude: 0.3))
            state.replaceSubrange(bn.stateOffset..<(bn.stateOffset + c), with: noise(c, seed: 200 + UInt64(bn.index), amplitude: 0.2))
            state.replaceSubrange((bn.stateOffset + c)..<(bn.stateOffset + 2 * c), with: noise(c, seed: 300 + UInt64(bn.index), amplitude: 0.5).map { 1 + $0 })
        }
        let (graph, result) = try roundTrip(spec, params, state)
        #expect(graph.nodes.map(\.type) == ["Input", "Conv2d", "LIF", "AvgPool2d", "Conv2d", "LIF", "AvgPool2d", "Flatten", "Linear", "LIF", "Output"])
        #expect(result.spec.layers.map(\.typeName) == ["conv", "spiking", "avgpool", "conv", "spiking", "avgpool", "flatten", "dense", "spiking"])
        let again = try NIRExport.graph(spec: result.spec, parameters: result.parameters, state: result.state)
        let identical = again.nodes == graph.nodes && again.edges == graph.edges
        #expect(identical)

        // Folded BN: b' = (b − μ)·γ/√(σ² + ε) + β, W' = W·γ/√(σ² + ε), checked on one weight in NIR layout.
        let conv = net.layers[0] as! ConvLayer, bn = net.layers[1] as! BatchNormLayer
        let o = 5, c = 0, ky = 1, kx = 2
        let s = Double(params[bn.parameterOffset + o]) / (Double(state[bn.stateOffset + 16 + o]) + 1e-5).squareRoot()
        let w = Double(params[conv.parameterOffset + ((ky * 3 + kx) * 1 + c) * 16 + o])
        let folded = graph.node("conv1")!.floats("weight")!.values[((o * 1 + c) * 3 + ky) * 3 + kx]
        #expect(folded == Float(w * s))
        let bias = graph.node("conv1")!.floats("bias")!.values[o]
        #expect(bias == Float(-Double(state[bn.stateOffset + o]) * s + Double(params[bn.parameterOffset + 16 + o])))

        let n = 200
        let x = try testImages(n)
        let before = try Inference.logits(spec, parameters: params, state: state, inputs: x, batch: n)
        let after = try Inference.logits(result.spec, parameters: result.parameters, state: result.state, inputs: x, batch: n)
        let diff = zip(before, after).map { abs($0 - $1) }.max() ?? 0
        let same = zip(Inference.predictions(before, classes: 10), Inference.predictions(after, classes: 10)).filter { $0 == $1 }.count
        print("NIR round trip nir-conv (BN folded), \(n) test images: predictions equal \(same)/\(n), max spike-count difference \(diff), total spikes \(before.reduce(0, +)) vs \(after.reduce(0, +))")
        #expect(before.reduce(0, +) > 0)
        #expect(same == n)
        #expect(diff <= 1)
    }
}
