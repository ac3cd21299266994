import SNNCore
import SNNModel

/// The `Network` a (non-DSR) run spec builds, for its parameter layout: each layer's offset in the flat parameter
/// and state vectors. Mirrors `MethodFactory.networkConfig` for the layer kinds NIR can carry (this target sits
/// below SNNMethods); the surrogate does not change the layout and is taken as written.
enum SpecNetwork {
    static func neuron(_ n: NeuronSpec) throws -> (LIFParameters, Surrogate) {
        guard let reset = ResetMode(rawValue: n.reset) else { throw NIRError("neuron.reset: '\(n.reset)' (expected soft, hard or soft-unleaked)") }
        guard let cmp = ThresholdComparison(rawValue: n.compare) else { throw NIRError("neuron.compare: '\(n.compare)' (expected > or >=)") }
        let p = LIFParameters(leak: n.leak, threshold: n.threshold, alpha: n.alpha, inputGain: n.inputGain,
                              reset: reset, comparison: cmp, initialPotential: n.initialPotential)
        let s: Surrogate
        switch n.surrogate.kind {
        case "triangular": s = .triangular(scale: n.surrogate.effectiveScale)
        case "sigmoid": s = .sigmoid(alpha: n.surrogate.effectiveAlpha)
        default: s = .atan(alpha: n.surrogate.effectiveAlpha)
        }
        return (p, s)
    }

    static func config(_ spec: RunSpec) throws -> NetworkConfig {
        var layers: [LayerConfig] = []
        for l in spec.layers {
            switch l {
            case .conv(let c): layers.append(.conv(channels: c.channels, kernel: c.kernel, stride: c.stride, padding: c.padding, bias: c.bias))
            case .dense(let d): layers.append(.dense(units: d.units, bias: d.bias))
            case .batchNorm(let b): layers.append(.batchNorm(perStep: b.perStep, shift: b.shift, epsilon: b.epsilon, momentum: b.momentum))
            case .spiking(let s):
                let (p, g) = try neuron(s.neuron ?? spec.neuron)
                layers.append(.spiking(p, g))
            case .avgPool(let p): layers.append(.avgPool(size: p.size))
            case .maxPool(let p): layers.append(.maxPool(size: p.size))
            case .flatten: layers.append(.flatten)
            case .relu: layers.append(.relu)
            }
        }
        let readout: ReadoutKind = switch spec.output.readout {
        case .meanPotential: .meanPotential
        case .spikeCount: .spikeCount
        case .rate: .rate
        }
        let initializer = spec.training.initialization.initializer
        return NetworkConfig(inputShape: spec.input.shape, timesteps: spec.timesteps, layers: layers, readout: readout, initializer: initializer)
    }

    static func network(_ spec: RunSpec) throws -> Network { Network(try config(spec)) }
}
