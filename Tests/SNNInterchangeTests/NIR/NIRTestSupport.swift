import Foundation
import SNNCore
import SNNInterchange
import SNNModel

/// Runs networks forward the way inference does (all T steps, running statistics) for the NIR tests.
enum Inference {
    /// Logits `[batch, classes]` of `spec`'s network with `parameters`/`state` on `inputs` (per-sample, our
    /// channels-last layout, held constant over the steps: direct encoding without normalisation).
    static func logits(_ spec: RunSpec, parameters: [Float], state: [Float], inputs: [Float], batch: Int) throws -> [Float] {
        let net = Network(try config(spec))
        return parameters.withUnsafeBufferPointer { p in
            let s = state.isEmpty ? [Float(0)] : state
            return s.withUnsafeBufferPointer { sp in
                var ctx = PassContext(mode: .inference, steps: net.timesteps, parameters: p.baseAddress!, state: sp.baseAddress!,
                                      gradients: nil, statistics: nil, ledger: net.makeLedger())
                let x = Activation(steps: 1, batch: batch, features: spec.input.shape, data: inputs)
                return net.forward(x, context: &ctx, caches: net.makeCaches()).logits
            }
        }
    }

    /// The network config of a (bptt, non-DSR) spec, as the product builds it.
    static func config(_ spec: RunSpec) throws -> NetworkConfig {
        var layers: [LayerConfig] = []
        for l in spec.layers {
            switch l {
            case .conv(let c): layers.append(.conv(channels: c.channels, kernel: c.kernel, stride: c.stride, padding: c.padding, bias: c.bias))
            case .dense(let d): layers.append(.dense(units: d.units, bias: d.bias))
            case .batchNorm(let b): layers.append(.batchNorm(perStep: b.perStep, shift: b.shift, epsilon: b.epsilon, momentum: b.momentum))
            case .spiking(let s):
                let n = s.neuron ?? spec.neuron
                layers.append(.spiking(LIFParameters(leak: n.leak, threshold: n.threshold, alpha: n.alpha, inputGain: n.inputGain,
                                                     reset: n.reset, comparison: n.compare,
                                                     initialPotential: n.initialPotential), .atan(alpha: 2)))
            case .avgPool(let p): layers.append(.avgPool(size: p.size))
            case .maxPool(let p): layers.append(.maxPool(size: p.size))
            case .flatten: layers.append(.flatten)
            case .relu: layers.append(.relu)
            }
        }
        let readout: ReadoutKind = spec.output.readout == .spikeCount ? .spikeCount : spec.output.readout == .rate ? .rate : .meanPotential
        let gain = spec.training.initialization.gain
        return NetworkConfig(inputShape: spec.input.shape, timesteps: spec.timesteps, layers: layers, readout: readout,
                             initializer: spec.training.initialization.kind == .kaimingNormal ? .kaimingNormal(gain: gain) : .xavierUniform(gain: gain))
    }

    /// Index of the first maximum of each row.
    static func predictions(_ logits: [Float], classes: Int) -> [Int] {
        stride(from: 0, to: logits.count, by: classes).map { r in
            var best = 0
            for k in 1..<classes where logits[r + k] > logits[r + best] { best = k }
            return best
        }
    }

    /// `(C, H, W)` samples (NIR layout, flattened) as `[H, W, C]` ones; 1-D samples unchanged.
    static func channelsLast(_ x: [Double], nirShape: [Int]) -> [Float] {
        guard nirShape.count == 3 else { return x.map { Float($0) } }
        let (c, h, w) = (nirShape[0], nirShape[1], nirShape[2])
        var out = [Float](repeating: 0, count: x.count)
        for ci in 0..<c { for y in 0..<h { for xx in 0..<w { out[(y * w + xx) * c + ci] = Float(x[(ci * h + y) * w + xx]) } } }
        return out
    }
}

/// One fixture's expected outputs (`NAME.json` next to `NAME.nir`, written by make_nir_fixtures.py).
struct NIRFixtureOutputs: Decodable {
    var dt: Double
    var timesteps: Int
    var readout: String
    var inputShape: [Int]
    var inputs: [[Double]]
    var outputs: [[Double]]

    static func load(_ name: String) throws -> NIRFixtureOutputs {
        let url = URL(fileURLWithPath: FixturePaths.fixture("nir/\(name).json"))
        return try JSONDecoder().decode(NIRFixtureOutputs.self, from: Data(contentsOf: url))
    }
}
