import SNNMethods

/// The jobs of an ECC conversion sharded over workers (`snn-coord convert --workers N`, METHODS §4.3–4.4), as pure
/// values: what each job computes, how it is cut into micro-batches, how its jobs are named inside the coordinator
/// machine, and how the micro-batch results combine (exact MAX for λ, integer sums for the rest: the same totals
/// for any number of workers and any arrival order).
///
/// Inside `CoordinatorMachine` job `i` of a conversion is `JobID(epoch: i, step: 0)`: the λ job is a *training
/// step* (its commit produces new parameters: the converted SNN, version 2), every other job an evaluation. On the
/// wire the key carries the job's own phase and T (`ConversionTask.wireStep`).
public enum ConversionTaskKind: Int, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The BN-folded CNN's test accuracy (parameters: the folded CNN).
    case cnn
    /// λ: the maximum of every activation point over the training set (parameters: the folded CNN).
    case lambda
    /// Closed-form SNN inference at T (parameters: the converted SNN).
    case closedForm
    /// Time-stepped IF simulation at T, compared with the closed form on the same images (parameters: the SNN).
    case timeStepped

    public var description: String {
        switch self {
        case .cnn: "CNN evaluation"
        case .lambda: "λ statistics"
        case .closedForm: "closed form"
        case .timeStepped: "time-stepped"
        }
    }

    /// λ reads the training set, everything else the test set.
    public var readsTrainingSet: Bool { self == .lambda }
}

/// One job: its kind, T (0 for the CNN and λ) and the sample indices of each micro-batch.
public struct ConversionTask: Hashable, Sendable, CustomStringConvertible {
    public var kind: ConversionTaskKind
    public var timesteps: Int
    public var microBatches: [[Int]]

    public init(kind: ConversionTaskKind, timesteps: Int = 0, microBatches: [[Int]]) {
        self.kind = kind; self.timesteps = timesteps; self.microBatches = microBatches
    }

    /// Micro-batch sizes the in-process path uses too (the two paths compute the same micro-batches).
    public static func microBatchSize(_ kind: ConversionTaskKind) -> Int { kind == .timeStepped ? 25 : 100 }

    /// The first `samples` indices in consecutive micro-batches of `size` (the last one shorter).
    public static func consecutive(samples: Int, size: Int) -> [[Int]] {
        stride(from: 0, to: max(0, samples), by: max(1, size)).map { Array($0..<min(samples, $0 + max(1, size))) }
    }

    /// A job over the first `samples` images of its split, cut like the in-process path cuts it.
    public init(kind: ConversionTaskKind, timesteps: Int = 0, samples: Int) {
        self.init(kind: kind, timesteps: timesteps, microBatches: Self.consecutive(samples: samples, size: Self.microBatchSize(kind)))
    }

    /// The job's name inside the coordinator machine.
    public func job(index: Int) -> JobID { JobID(epoch: index, step: 0, phase: kind == .lambda ? .train : .evaluate) }

    /// The key's step field on the wire: T for inference, 0 otherwise.
    public var wireStep: Int { kind == .closedForm || kind == .timeStepped ? timesteps : 0 }

    public var samples: Int { microBatches.reduce(0) { $0 + $1.count } }

    public var description: String { kind.description + (wireStep > 0 ? " at T = \(timesteps)" : "") }
}

/// What one micro-batch of a conversion job returns, in the coordinator's terms.
public struct ConversionContribution: Sendable, Equatable {
    /// λ job: the maximum of each activation point (input, then every layer); time-stepped job: the largest output
    /// count difference to the closed form; empty otherwise. Combined by MAX.
    public var maxima: [Float]
    public var samples: Int
    /// CNN and inference jobs: correctly classified images.
    public var correct: Int
    /// Inference jobs: spikes per layer (input spikes first).
    public var spikes: [Int64]
    /// Inference jobs: event counters (the ledger flat; time-stepped: then the four summed count-comparison fields).
    public var counters: [Int64]

    public init(maxima: [Float] = [], samples: Int, correct: Int = 0, spikes: [Int64] = [], counters: [Int64] = []) {
        self.maxima = maxima; self.samples = samples; self.correct = correct; self.spikes = spikes; self.counters = counters
    }

    /// The job's total: element-wise exact MAX of the maxima, integer sums of everything else. MAX and integer
    /// addition are associative and commutative, so the total does not depend on the order or on who computed what.
    /// Nil when the parts disagree in shape (the shell checked sizes, so this means a bug).
    public static func combine(_ parts: [ConversionContribution]) -> ConversionContribution? {
        guard var total = parts.first else { return nil }
        for p in parts.dropFirst() {
            guard p.maxima.count == total.maxima.count, p.spikes.count == total.spikes.count,
                  p.counters.count == total.counters.count else { return nil }
            for i in total.maxima.indices where p.maxima[i] > total.maxima[i] { total.maxima[i] = p.maxima[i] }
            for i in total.spikes.indices { total.spikes[i] += p.spikes[i] }
            for i in total.counters.indices { total.counters[i] += p.counters[i] }
            total.samples += p.samples
            total.correct += p.correct
        }
        return total
    }
}
