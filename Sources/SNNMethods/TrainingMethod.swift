import SNNCore
import SNNModel

/// A training/inference method (BNTT, DSR, TTFS, ECC, plain surrogate BPTT): how a micro-batch runs forward and
/// backward, what its result carries for the reduction, and how inference runs.
///
/// Everything else (scheduling, exact reduction, the optimizer step, checkpoints) is method-independent, so adding
/// a method touches this target only.
public protocol TrainingMethod: Sendable {
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
    public func constrain(parameters: inout [Float]) {}
    public var decayMask: [Bool]? { nil }
}
