import Foundation
import SNNModel
import Testing

/// The example specs in `cluster/runs/` load, validate and have the intended shapes and settings.
@Suite struct ExampleSpecTests {
    func load(_ name: String) throws -> RunSpec {
        try RunSpec.load(path: SpecFixtures.runsDirectory + "/" + name)
    }

    @Test func everyExampleLoadsAndRoundTrips() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: SpecFixtures.runsDirectory)
            .filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.count >= 4)
        for file in files {
            let spec = try load(file)
            #expect(spec.name + ".json" == file)
            #expect(try RunSpec.decode(spec.encoded(), source: file) == spec)
        }
    }

    @Test func w2ConvShapes() throws {
        let shapes = try load("w2-conv.json").shapes()
        #expect(shapes == [
            [28, 28, 1],
            [28, 28, 16], [28, 28, 16], [28, 28, 16], [14, 14, 16],
            [14, 14, 32], [14, 14, 32], [14, 14, 32], [7, 7, 32],
            [1568], [10], [10],
        ])
    }

    /// W2 keeps BENCHMARKS.md's network and neuron (leak 0.5, soft reset, no biases) and initialises its weights as
    /// the peers' PyTorch layers do (`torch-default`, U(±1/√fanIn)): with Xavier it trailed them by about 3 points
    /// after one epoch (cluster/runs/README.md, "W2 and the peers' accuracy").
    @Test func w2InitialisesLikeThePeers() throws {
        let spec = try load("w2-conv.json")
        #expect(spec.neuron == NeuronSpec(leak: 0.5, threshold: 1, reset: .soft, compare: .greaterOrEqual,
                                          surrogate: SurrogateSpec(kind: .atan, alpha: 2)))
        #expect(spec.training.initialization == InitSpec(kind: .torchDefault, gain: 1))
        let biases = spec.layers.compactMap { layer -> Bool? in
            switch layer {
            case .conv(let c): c.bias
            case .dense(let d): d.bias
            default: nil
            }
        }
        #expect(biases == [false, false, false])
        #expect(spec.training.optimizer.kind == .adam && spec.training.optimizer.lr == 1e-3 && spec.training.batchSize == 128)
    }

    @Test func w1MatchesTheBenchmarkWorkload() throws {
        let spec = try load("w1-mlp.json")
        #expect(try spec.shapes() == [[28, 28, 1], [784], [512], [512], [10], [10]])
        #expect(spec.method == .bptt && spec.timesteps == 8)
        #expect(spec.input.encoding == .direct && spec.input.normalize == nil)
        #expect(spec.neuron == NeuronSpec(leak: 0.5, threshold: 1, reset: .soft, compare: .greaterOrEqual,
                                          surrogate: SurrogateSpec(kind: .atan, alpha: 2)))
        #expect(spec.output.readout == .spikeCount)
        #expect(spec.training.optimizer.kind == .adam && spec.training.optimizer.lr == 1e-3)
        #expect(spec.training.batchSize == 128 && spec.training.microBatch == 64 && spec.training.epochs == 3)
        #expect(spec.training.microBatchesPerStep == 2)
    }

    @Test func bnttDemoIsSizedFor28x28() throws {
        let spec = try load("bntt-fmnist.json")
        let shapes = try spec.shapes()
        #expect(shapes[9] == [1568])   // 7 × 7 × 32 after two 2×2 pools
        #expect(shapes.last == [10])
        #expect(spec.method == .bntt && spec.output.readout == .meanPotential)
        #expect(spec.input.encoding == .poisson && spec.input.normalize == Normalization(mean: 0.2860, std: 0.3530))
        #expect(spec.training.schedule.kind == .step && spec.training.initialization.gain == 2)
        #expect(spec.inference.earlyExit?.threshold == 0.2)
        let bnLayers = spec.layers.compactMap { if case .batchNorm(let bn) = $0 { bn } else { nil } }
        #expect(bnLayers.count == 3)
        #expect(bnLayers.allSatisfy { $0 == BatchNormSpec(perStep: true, shift: false, epsilon: 1e-4, momentum: 0.1) })
    }

    @Test func vgg9FlattensTo2304() throws {
        let spec = try load("bntt-vgg9.json")
        let shapes = try spec.shapes()
        #expect(shapes.contains([3, 3, 256]))
        #expect(shapes.contains([2304]))
        #expect(spec.layers.filter { if case .conv = $0 { true } else { false } }.count == 7)
        #expect(spec.timesteps == 25 && spec.training.epochs == 100)
    }
}
