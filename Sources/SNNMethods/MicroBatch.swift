import SNNCore
import SNNEnergy
import SNNModel

/// Whether a unit of work trains (forward and backward; its result feeds an optimizer step) or evaluates
/// (forward only, on the test split; parameters do not change), or is one of the four kinds of ECC conversion work
/// (`snn-coord convert --workers N`, PROTOCOL.md §5.2). The one phase of a micro-batch from the coordinator's plan
/// through the wire (its raw value is the byte PROTOCOL.md §5 names) to the method.
///
/// Not the same concept as a layer's `PassMode` (SNNModel: training or inference computation, which is all a layer
/// needs to know) nor as the energy model's `Phase` (SNNEnergy: the priced bucket of an event, with backward and
/// optimizer phases no work kind has): a work phase also names the data split and the conversion kinds, and five of
/// its six cases run inference passes. It maps to a pass mode in one place, `passMode`; a pass mode maps to the
/// energy phase of its forward events in one place, `PassMode.forwardPhase`.
public enum WorkPhase: UInt8, Hashable, Comparable, Sendable, CaseIterable, CustomStringConvertible {
    case train = 0
    case evaluate = 1
    // [conversion hook] The work of an ECC conversion (Wire/ConversionMessages.swift); never a training run's.
    /// λ statistics: the maximum of every activation point of the folded CNN over the micro-batch (train split).
    case eccLambda = 2
    /// The folded CNN's own test accuracy on the micro-batch (test split).
    case eccCNN = 3
    /// Closed-form SNN inference (METHODS §4.2) at T = the key's step (test split).
    case eccClosedForm = 4
    /// Time-stepped IF simulation (METHODS §4.4) at T = the key's step (test split).
    case eccTimeStepped = 5

    public static func < (lhs: WorkPhase, rhs: WorkPhase) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The split the work's sample indices refer to: train for `.train` and `.eccLambda`, test for every other phase.
    /// WORK's split byte must be this split's (PROTOCOL.md §5: 0 train, 1 test).
    public var split: DataSplit {
        switch self {
        case .train, .eccLambda: .train
        case .evaluate, .eccCNN, .eccClosedForm, .eccTimeStepped: .test
        }
    }

    /// How the layers compute for this work: training passes (batch statistics, state saved for backward) for
    /// `.train` only; every other phase runs forward-only inference passes.
    public var passMode: PassMode {
        switch self {
        case .train: .training
        case .evaluate, .eccLambda, .eccCNN, .eccClosedForm, .eccTimeStepped: .inference
        }
    }

    /// True for the phases of an ECC conversion, which no training method runs.
    public var isConversion: Bool { rawValue >= WorkPhase.eccLambda.rawValue }

    public var description: String {
        switch self {
        case .train: "train"
        case .evaluate: "evaluate"
        case .eccLambda: "eccLambda"
        case .eccCNN: "eccCNN"
        case .eccClosedForm: "eccClosedForm"
        case .eccTimeStepped: "eccTimeStepped"
        }
    }
}

/// The unit of work, of retry and of reduction: a fixed set of samples of one step.
///
/// The same value travels from the coordinator's plan (`EpochPlan`) to the method that runs it: the cluster
/// wraps it with the parameter version it must run with (`WorkItem`), the wire carries its fields as they are.
///
/// Its result is a deterministic function of (parameters, state, samples, seed, epoch): bit-identical whichever
/// thread or process computes it, so the cluster may run it anywhere and any number of times.
public struct MicroBatch: Sendable, Hashable {
    public var epoch: Int
    public var step: Int
    public var index: Int
    public var phase: WorkPhase
    /// Sample indices into the split (train split when training, test split when evaluating).
    public var samples: [Int32]
    public var seed: UInt64

    public init(epoch: Int, step: Int, index: Int, phase: WorkPhase, samples: [Int32], seed: UInt64) {
        self.epoch = epoch; self.step = step; self.index = index; self.phase = phase; self.samples = samples; self.seed = seed
    }
}

/// What one micro-batch contributes to its step.
public struct MicroBatchResult: Sendable {
    /// Σ over the micro-batch's samples of ∂loss/∂parameters (the step divides by the batch size once, after the
    /// exact reduction). Empty when evaluating.
    public var gradient: [Float]
    /// Batch statistics (BN means and biased variances) to average across the step's micro-batches.
    public var statistics: [Float]
    public var lossSum: Double
    public var correct: Int
    public var samples: Int
    public var ledger: EventLedger
    /// Spikes emitted per layer (summed over steps and samples), forward pass only.
    public var spikesPerLayer: [Int64]
    /// Steps simulated (fewer than T with temporal early exit).
    public var steps: Int
    public var computeNanos: UInt64

    public init(gradient: [Float], statistics: [Float], lossSum: Double, correct: Int, samples: Int,
                ledger: EventLedger, spikesPerLayer: [Int64], steps: Int, computeNanos: UInt64) {
        self.gradient = gradient; self.statistics = statistics; self.lossSum = lossSum; self.correct = correct
        self.samples = samples; self.ledger = ledger; self.spikesPerLayer = spikesPerLayer; self.steps = steps
        self.computeNanos = computeNanos
    }
}
