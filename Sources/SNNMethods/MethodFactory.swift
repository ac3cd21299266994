import SNNCore
import SNNModel

/// Builds the network and the method a run spec describes.
public enum MethodFactory {
    public static func neuron(_ n: NeuronSpec) throws(MethodError) -> (LIFParameters, Surrogate) {
        guard let reset = ResetMode(rawValue: n.reset) else { throw MethodError("neuron.reset: '\(n.reset)' (expected soft, hard or soft-unleaked)") }
        guard let cmp = ThresholdComparison(rawValue: n.compare) else { throw MethodError("neuron.compare: '\(n.compare)' (expected > or >=)") }
        let p = LIFParameters(leak: n.leak, threshold: n.threshold, alpha: n.alpha, inputGain: n.inputGain,
                              reset: reset, comparison: cmp, initialPotential: n.initialPotential)
        let s: Surrogate
        switch n.surrogate.kind {
        case "triangular": s = .triangular(scale: n.surrogate.scale ?? 0.3)
        case "atan", "sigmoid":
            // These surrogates have one parameter, α; a `scale` would be silently ignored, so it is refused.
            if let scale = n.surrogate.scale {
                throw MethodError("neuron.surrogate.scale: \(scale) is not used by the \(n.surrogate.kind) surrogate (only triangular has a scale); set neuron.surrogate.alpha instead, or remove scale")
            }
            s = n.surrogate.kind == "atan" ? .atan(alpha: n.surrogate.alpha ?? 2) : .sigmoid(alpha: n.surrogate.alpha ?? 4)
        default: throw MethodError("neuron.surrogate.kind: '\(n.surrogate.kind)' (expected triangular, atan or sigmoid)")
        }
        return (p, s)
    }

    public static func networkConfig(_ spec: RunSpec) throws(MethodError) -> NetworkConfig {
        var layers: [LayerConfig] = []
        for l in spec.layers {
            switch l {
            case .conv(let c): layers.append(.conv(channels: c.channels, kernel: c.kernel, stride: c.stride, padding: c.padding, bias: c.bias))
            case .dense(let d): layers.append(.dense(units: d.units, bias: d.bias))
            case .batchNorm(let b): layers.append(.batchNorm(perStep: b.perStep, shift: b.shift, epsilon: b.epsilon, momentum: b.momentum))
            case .spiking(let s):
                let n = s.neuron ?? spec.neuron
                if spec.method == .ttfs {
                    let t = spec.ttfs ?? TTFSSpec()
                    layers.append(.temporalKernel(TemporalKernel(tau: t.tau, delay: t.delay, window: t.window)))
                } else if spec.method == .dsr {
                    guard let d = n.dsr, let model = DSRNeuronModel(rawValue: d.model) else {
                        throw MethodError("neuron.dsr: method dsr needs {\"model\": \"if\" | \"lif\"}")
                    }
                    layers.append(.dsrSpiking(DSRParameters(model: model, alpha: n.alpha, thresholdFloor: d.thresholdFloor,
                                                            tau: d.tau, dt: d.dt), threshold: n.threshold))
                } else {
                    let (p, g) = try neuron(n)
                    layers.append(.spiking(p, g))
                }
            case .avgPool(let p): layers.append(.avgPool(size: p.size))
            case .maxPool(let p): layers.append(.maxPool(size: p.size))
            case .flatten: layers.append(.flatten)
            case .relu: layers.append(.relu)
            }
        }
        let readout: ReadoutKind
        switch spec.output.readout {
        case .meanPotential: readout = .meanPotential
        case .spikeCount: readout = .spikeCount
        case .rate: readout = .rate
        }
        let initializer = spec.training.initialization.initializer
        return NetworkConfig(inputShape: spec.input.shape, timesteps: spec.timesteps, layers: layers,
                             readout: readout, initializer: initializer)
    }

    public static func encoder(_ spec: RunSpec) -> InputEncoder {
        let kind: InputEncoder.Kind = spec.input.encoding == .poisson ? .poisson(scale: spec.input.poissonScale) : .direct
        return InputEncoder(kind: kind, mean: spec.input.normalize?.mean ?? 0, std: spec.input.normalize?.std ?? 1,
                            shape: spec.input.shape)
    }

    /// The method object for a validated spec.
    public static func make(_ spec: RunSpec) throws(MethodError) -> any TrainingMethod {
        let net = Network(try networkConfig(spec))
        let enc = encoder(spec)
        switch spec.method {
        case .bptt:
            return SurrogateBPTT(network: net, encoder: enc)
        case .bntt:
            var rule: EarlyExitRule?
            if let e = spec.inference.earlyExit {
                guard let conv = EarlyExitRule.Convention(rawValue: e.convention) else {
                    throw MethodError("inference.earlyExit.convention: '\(e.convention)' (expected before or at)")
                }
                guard let aggregate = EarlyExitRule.Aggregate(rawValue: e.aggregate) else {
                    throw MethodError("inference.earlyExit.aggregate: '\(e.aggregate)' (expected mean, min or max)")
                }
                rule = EarlyExitRule(threshold: e.threshold, convention: conv, aggregate: aggregate)
            }
            return try BNTT(network: net, encoder: enc, earlyExit: rule)
        case .dsr:
            return try DSR(network: net, encoder: enc)
        case .ttfs:
            return try TTFS(network: net, encoder: enc, settings: spec.ttfs ?? TTFSSpec())
        case .ann:
            return try ANN(network: net, encoder: enc)
        }
    }

    /// Optimizer, schedule and batching of a spec.
    public static func optimizer(_ o: OptimizerSpec) throws(MethodError) -> OptimizerKind {
        switch o.kind {
        case "sgd": return .sgd(momentum: o.momentum, weightDecay: o.weightDecay, nesterov: o.nesterov)
        case "adam": return .adam(beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, weightDecay: o.weightDecay, decoupled: o.decoupled)
        default: throw MethodError("training.optimizer.kind: '\(o.kind)' (expected sgd or adam)")
        }
    }

    public static func schedule(_ s: ScheduleSpec) throws(MethodError) -> LearningRateSchedule {
        switch s.kind {
        case "constant": return .constant
        case "step": return .step(milestones: s.milestones, factor: s.factor)
        case "cosine": return .cosine(warmupIterations: s.warmupIterations)
        default: throw MethodError("training.schedule.kind: '\(s.kind)' (expected constant, step or cosine)")
        }
    }
}
