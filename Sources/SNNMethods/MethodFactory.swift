import SNNCore
import SNNModel

/// Builds the network and the method a run spec describes.
public enum MethodFactory {
    /// The LIF kernel's parameters and surrogate of a validated neuron spec.
    public static func neuron(_ n: NeuronSpec) throws(MethodError) -> (LIFParameters, Surrogate) {
        // atan and sigmoid have one parameter, α: a `scale` would be silently ignored, so it is refused.
        if let scale = n.surrogate.scale, n.surrogate.kind != .triangular {
            throw MethodError("neuron.surrogate.scale: \(scale) is not used by the \(n.surrogate.kind.rawValue) surrogate (only triangular has a scale); set neuron.surrogate.alpha instead, or remove scale")
        }
        return (n.lifParameters, n.surrogate.surrogate)
    }

    /// The method type a spec's `method` names: the one place that dispatches on the method kind.
    public static func methodType(_ kind: MethodKind) -> any TrainingMethod.Type {
        switch kind {
        case .bptt: SurrogateBPTT.self
        case .bntt: BNTT.self
        case .dsr: DSR.self
        case .ttfs: TTFS.self
        case .ann: ANN.self
        }
    }

    /// The network a spec describes; its spiking layers are what the spec's method makes of them.
    public static func networkConfig(_ spec: RunSpec) throws(MethodError) -> NetworkConfig {
        let method = methodType(spec.method)
        var layers: [LayerConfig] = []
        for l in spec.layers {
            switch l {
            case .conv(let c): layers.append(.conv(channels: c.channels, kernel: c.kernel, stride: c.stride, padding: c.padding, bias: c.bias))
            case .dense(let d): layers.append(.dense(units: d.units, bias: d.bias))
            case .batchNorm(let b): layers.append(.batchNorm(perStep: b.perStep, shift: b.shift, epsilon: b.epsilon, momentum: b.momentum,
                                                                  sharedAffine: b.sharedAffine))
            case .spiking(let s): layers.append(try method.spikingLayer(for: s.neuron ?? spec.neuron, spec: spec))
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
        return NetworkConfig(inputShape: spec.input.shape, timesteps: spec.timesteps, layers: layers,
                             readout: readout, initializer: spec.training.initialization.initializer)
    }

    public static func encoder(_ spec: RunSpec) -> InputEncoder {
        let kind: InputEncoder.Kind = spec.input.encoding == .poisson ? .poisson(scale: spec.input.poissonScale) : .direct
        return InputEncoder(kind: kind, mean: spec.input.normalize?.mean ?? 0, std: spec.input.normalize?.std ?? 1,
                            shape: spec.input.shape)
    }

    /// The method object for a validated spec.
    public static func make(_ spec: RunSpec) throws(MethodError) -> any TrainingMethod {
        try methodType(spec.method).init(spec: spec, network: Network(try networkConfig(spec)), encoder: encoder(spec))
    }

    /// Optimizer, schedule and batching of a spec.
    public static func optimizer(_ o: OptimizerSpec) -> OptimizerKind {
        switch o.kind {
        case .sgd: .sgd(momentum: o.momentum, weightDecay: o.weightDecay, nesterov: o.nesterov)
        case .adam: .adam(beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, weightDecay: o.weightDecay, decoupled: o.decoupled)
        }
    }

    public static func schedule(_ s: ScheduleSpec) -> LearningRateSchedule {
        switch s.kind {
        case .constant: .constant
        case .step: .step(milestones: s.milestones, factor: s.factor)
        case .cosine: .cosine(warmupIterations: s.warmupIterations)
        }
    }
}
