import SNNCore

/// One layer of a network, as the builder needs it (decoupled from the run-spec file format).
public enum LayerConfig: Sendable, Equatable {
    case conv(channels: Int, kernel: Int, stride: Int, padding: Int, bias: Bool)
    case dense(units: Int, bias: Bool)
    /// `sharedAffine` (with `perStep`): one γ/β for all steps, statistics per step (snnTorch's BN in its loop over T).
    case batchNorm(perStep: Bool, shift: Bool, epsilon: Float, momentum: Float, sharedAffine: Bool = false)
    case spiking(LIFParameters, Surrogate)
    /// DSR neurons with a trainable threshold starting at `threshold`.
    case dsrSpiking(DSRParameters, threshold: Float)
    case avgPool(size: Int)
    case maxPool(size: Int)
    case flatten
    /// TTFS temporal-kernel activation (METHODS §1.3) with its initial τ, t_d and window.
    case temporalKernel(TemporalKernel)
    /// max(x, 0) (the non-spiking `ann` method).
    case relu
}

/// How the network's output turns into logits.
public enum ReadoutKind: String, Sendable, Equatable {
    /// Mean over the simulated steps of the last (dense, non-spiking) layer: BNTT's accumulated output.
    case meanPotential = "mean-potential"
    /// Spikes of the last spiking layer summed over the steps (the benchmark workloads).
    case spikeCount = "spike-count"
    /// Mean over the steps of the last spiking layer's output (a firing rate; DSR).
    case rate
}

/// Everything needed to build a `Network`.
public struct NetworkConfig: Sendable, Equatable {
    public var inputShape: [Int]
    public var timesteps: Int
    public var layers: [LayerConfig]
    public var readout: ReadoutKind
    public var initializer: WeightInitializer

    public init(inputShape: [Int], timesteps: Int, layers: [LayerConfig], readout: ReadoutKind, initializer: WeightInitializer) {
        self.inputShape = inputShape; self.timesteps = timesteps; self.layers = layers
        self.readout = readout; self.initializer = initializer
    }
}
