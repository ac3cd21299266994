import SNNCore

/// What one layer's training forward pass keeps for its backward pass, for one micro-batch (the Norse `…State`
/// idea): each layer kind has its own type whose fields say what they hold, instead of a positional bag of float
/// buffers, integer indices and bits whose meaning depends on the layer.
///
/// The states are final classes with constant fields: forward builds one from arrays it has just filled and hands
/// the reference to the cache, backward reads the arrays in place. No array is ever copied on the way (no
/// copy-on-write on a hot path), and nothing is saved at inference.
public protocol LayerState: AnyObject {}

/// Per-micro-batch storage of one layer between its forward and backward pass: the layer's typed saved state.
///
/// Layers are immutable configuration shared by every thread; each concurrent micro-batch brings its own caches
/// (`Network.makeCaches()`), so one network runs many micro-batches at once.
public final class LayerCache {
    /// The state the layer's last training forward saved; nil before it, after inference, and once backward took it.
    public private(set) var state: (any LayerState)?

    public init() {}

    /// Keeps `state` for the backward pass (replacing any earlier one).
    public func save(_ state: some LayerState) { self.state = state }

    /// The saved state if it is of type `S`, without consuming it (tests, reports).
    public func saved<S: LayerState>(_ type: S.Type) -> S? { state as? S }

    /// The saved state if it is of type `S`; the cache lets go of it (backward frees what forward kept as soon as it
    /// is done with it).
    public func take<S: LayerState>(_ type: S.Type) -> S? {
        defer { state = nil }
        return state as? S
    }

    /// Lets go of the saved state unread (a layer whose backward pass does not run).
    public func discard() { state = nil }
}

/// `DenseLayer`: the input x of every step, for dW = xᵀ·dy.
public final class DenseLayerState: LayerState {
    public let input: Activation
    public init(input: Activation) { self.input = input }
}

/// `ConvLayer`: the input of every step, for dW, and which forward kernel ran.
public final class ConvLayerState: LayerState {
    public let input: Activation
    /// The forward ran event-driven on sparse input (`SpikeConv2D`), so the weight gradient does too; false: im2col + GEMM.
    public let eventDriven: Bool
    public init(input: Activation, eventDriven: Bool) { self.input = input; self.eventDriven = eventDriven }
}

/// `BatchNormLayer`: the input as normalised and its batch statistics.
public final class BatchNormLayerState: LayerState {
    /// The input as normalised: a per-step layer's constant input already copied to all T steps.
    public let input: Activation
    /// Batch mean per (group, channel), `groups × channels` (groups = T per step, 1 stacked).
    public let mean: [Float]
    /// 1/√(biased batch variance + ε) per (group, channel).
    public let invStd: [Float]
    /// Steps of the input as it arrived: 1 for a constant input, whose gradient backward sums over the steps.
    public let inputSteps: Int
    public init(input: Activation, mean: [Float], invStd: [Float], inputSteps: Int) {
        self.input = input; self.mean = mean; self.invStd = invStd; self.inputSteps = inputSteps
    }
}

/// `SpikingLayer` (BPTT through LIF neurons): what the surrogate gradient and the detached reset need.
public final class SpikingLayerState: LayerState {
    /// Pre-reset membrane potential of every step, `[steps, batch·features]`.
    public let potentials: [Float]
    /// The output spikes as bits (`packSpikes`, 32 per word): the backward of a hard reset reads them. Empty for a
    /// soft reset, whose backward never does.
    public let spikeBits: [UInt8]
    /// The output's steps, batch and feature shape (the spikes themselves go on to the next layer and are not kept).
    public let steps: Int, batch: Int, features: [Int]
    /// Steps of the input current: 1 for a constant current, whose gradient backward sums over the steps.
    public let inputSteps: Int
    /// Neurons per step, `batch·features`.
    public var neuronsPerStep: Int { batch * features.reduce(1, *) }
    public init(potentials: [Float], spikeBits: [UInt8], steps: Int, batch: Int, features: [Int], inputSteps: Int) {
        self.potentials = potentials; self.spikeBits = spikeBits
        self.steps = steps; self.batch = batch; self.features = features; self.inputSteps = inputSteps
    }
}

/// `DSRSpikingLayer`: DSR differentiates the spike representation, so only the mean input is kept (METHODS §2.4).
public final class DSRSpikingLayerState: LayerState {
    /// Mean over the steps of each neuron's input, `[batch·features]`.
    public let meanInput: [Float]
    /// Steps of the input (1 for a constant input) and steps simulated.
    public let inputSteps: Int, steps: Int
    public init(meanInput: [Float], inputSteps: Int, steps: Int) {
        self.meanInput = meanInput; self.inputSteps = inputSteps; self.steps = steps
    }
}

/// `PoolLayer` with max pooling (average pooling saves nothing: its gradient depends on no value).
public final class PoolLayerState: LayerState {
    /// For each output value, the flat index of the input it took (the first maximum of its window).
    public let argmax: [Int32]
    public init(argmax: [Int32]) { self.argmax = argmax }
}

/// `ReLULayer`: the output, whose positive entries are where the gradient passes.
public final class ReLULayerState: LayerState {
    public let output: Activation
    public init(output: Activation) { self.output = output }
}

/// `TTFSKernelLayer`: the temporal-kernel round trip's backward reads its input, its output and how it ran.
public final class TTFSKernelLayerState: LayerState {
    public let input: Activation
    public let output: Activation
    /// The mode of this pass (ReLU or the kernel with its quantiser, clip and whether τ, t_d train).
    public let mode: TTFSKernelMode
    public init(input: Activation, output: Activation, mode: TTFSKernelMode) {
        self.input = input; self.output = output; self.mode = mode
    }
}

/// `SpikingLayer` inside a fused batch norm → LIF → average pool block with a soft reset (`BatchNormSpikingPool`):
/// no potentials. The block's backward recomputes them from the batch norm's saved input through the same affine
/// map, bit for bit (`batchNormLIFAvgPoolRecomputedBackward`), instead of writing and reading T·N floats.
public final class RecomputedSpikingLayerState: LayerState {
    /// The affine map the forward applied, per (group, channel): the batch mean and `gamma·invStd` (the shift is the
    /// batch norm's β, read from the parameters).
    public let center: [Float], scale: [Float]
    /// The output's steps, batch and feature shape; steps of the input current (1: constant).
    public let steps: Int, batch: Int, features: [Int], inputSteps: Int
    public init(center: [Float], scale: [Float], steps: Int, batch: Int, features: [Int], inputSteps: Int) {
        self.center = center; self.scale = scale
        self.steps = steps; self.batch = batch; self.features = features; self.inputSteps = inputSteps
    }
}
