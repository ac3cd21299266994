import SNNCore
import SNNModel

/// A training/inference method (BNTT, DSR, TTFS, ECC, plain surrogate BPTT): how a micro-batch runs forward and
/// backward, what its result carries for the reduction, and how inference runs.
///
/// Everything else (scheduling, exact reduction, the optimizer step, checkpoints) is method-independent, so adding
/// a method touches this target only: the method type says what its spiking layers are and builds itself from a
/// spec (`MethodFactory` picks the type once, by `RunSpec.method`, and asks it).
public protocol TrainingMethod: Sendable {
    /// What a run spec's `{"type": "spiking"}` layer becomes in this method's network, for `neuron` (the layer's
    /// own neuron or the spec's). Default: BPTT's LIF neurons with the neuron's surrogate gradient.
    static func spikingLayer(for neuron: NeuronSpec, spec: RunSpec) throws(MethodError) -> LayerConfig
    /// The method for a validated spec, on the network built from it (`MethodFactory.networkConfig`); fails with a
    /// message naming what makes the network or spec unfit for the method.
    init(spec: RunSpec, network: Network, encoder: InputEncoder) throws(MethodError)

    /// Short name as in run specs ("bntt", "dsr", "bptt", "ttfs").
    var name: String { get }
    var network: Network { get }
    /// Runs one micro-batch: forward (and backward when training) over the method's time steps.
    func run(_ work: MicroBatch, data: LabeledImages, parameters: [Float], state: [Float]) -> MicroBatchResult
    /// Steps simulated at inference for these parameters (T, or fewer with temporal early exit).
    func inferenceSteps(parameters: [Float]) -> Int
    /// Constrains parameters before they are used (e.g. DSR's threshold floor). Default: nothing.
    func constrain(parameters: inout [Float])
    /// Parameters excluded from weight decay (nil = all decay, the reference behaviour of BNTT and DSR).
    var decayMask: [Bool]? { get }
}

extension TrainingMethod {
    public static func spikingLayer(for neuron: NeuronSpec, spec: RunSpec) throws(MethodError) -> LayerConfig {
        let (parameters, surrogate) = try MethodFactory.neuron(neuron)
        return .spiking(parameters, surrogate)
    }
    public func constrain(parameters: inout [Float]) {}
    public var decayMask: [Bool]? { nil }
}
