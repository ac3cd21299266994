import SNNCore

/// The kernels' typed parameters a validated spec describes: the one place where spec values become
/// `LIFParameters`, `Surrogate` and `WeightInitializer`, shared by the methods and the NIR interchange.
extension NeuronSpec {
    /// The LIF kernel's parameters of this neuron.
    public var lifParameters: LIFParameters {
        LIFParameters(leak: leak, threshold: threshold, alpha: alpha, inputGain: inputGain,
                      reset: reset, comparison: compare, initialPotential: initialPotential)
    }
}

extension SurrogateSpec {
    /// The backward pass's surrogate, with the kind's defaults for absent `scale`/`alpha`.
    public var surrogate: Surrogate {
        switch kind {
        case .triangular: .triangular(scale: effectiveScale)
        case .atan: .atan(alpha: effectiveAlpha)
        case .sigmoid: .sigmoid(alpha: effectiveAlpha)
        }
    }
}

extension InitSpec {
    /// The weight initialiser of conv and dense layers.
    public var initializer: WeightInitializer {
        switch kind {
        case .xavierUniform: .xavierUniform(gain: gain)
        case .kaimingNormal: .kaimingNormal(gain: gain)
        case .torchDefault: .torchDefault(gain: gain)
        }
    }
}
