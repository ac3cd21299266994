import Foundation
import SNNEnergy

/// Everything `snn-coord query` shows about one run: per-epoch aggregates plus run-wide totals.
public struct RunSummary: Sendable, Codable, Equatable {
    public var run: RunRecord
    public var epochs: [EpochSummary]
    /// Event counters per phase summed over all epochs.
    public var counters: [PhaseCounters]
    /// Wire traffic per message kind summed over all epochs.
    public var wire: [WireTotal]
    public var workers: WorkerCounts
    /// The final digest of a finished run, else the digest of the latest checkpoint.
    public var latestParameterDigest: String?
    public var latestCheckpoint: CheckpointRecord?
}

/// Aggregates of one epoch.
public struct EpochSummary: Sendable, Codable, Equatable {
    public var epoch: Int
    public var steps: Int
    /// Training samples over the epoch's steps.
    public var samples: Int64
    /// Sample-weighted mean training loss over steps with a loss (Σ loss·samples ÷ Σ samples).
    public var meanLoss: Double?
    /// Training accuracy of the epoch's last step (fraction).
    public var lastAccuracy: Double?
    /// Accuracy and loss of the "test" split evaluation after the epoch (fraction; nil when none).
    public var testAccuracy: Double?
    public var testLoss: Double?
    /// Samples ÷ summed step wall time (not the mean of per-step rates).
    public var samplesPerSec: Double?
    /// Summed step times in seconds.
    public var wallSeconds: Double
    public var computeSeconds: Double
    public var codecSeconds: Double
    public var wireSeconds: Double
    public var waitSeconds: Double
    /// Parameter version after the epoch's last step.
    public var parameterVersion: Int64?
    /// All evaluations of the epoch, by split name.
    public var evals: [EvalRecord]
    /// Spikes per sample per layer, keyed by split.
    public var layerSpikes: [String: [LayerSpikes]]
    public var counters: [PhaseCounters]
    public var wire: [WireTotal]
}

/// Event counter totals of one phase and the samples they cover.
public struct PhaseCounters: Sendable, Codable, Equatable {
    public var phase: String
    public var samples: Int64
    public var counts: EventCounts

    public init(phase: String, samples: Int64, counts: EventCounts) {
        self.phase = phase; self.samples = samples; self.counts = counts
    }
}

/// Membership events of a run, counted by kind, and how many distinct workers took part.
public struct WorkerCounts: Sendable, Codable, Equatable {
    public var joined = 0
    public var lost = 0
    public var left = 0
    public var refused = 0
    public var distinctWorkers = 0

    public init() {}
}

/// A run's stored event ledger summed over epochs, with what it covers, ready to be priced.
public struct StoredLedger: Sendable, Equatable {
    public var ledger: EventLedger
    /// Samples each phase's counts cover, summed over the included epochs.
    public var samples: [Phase: Int64]
    /// The epochs summed.
    public var epochs: [Int]
    /// Committed training steps in those epochs (divisor for energy per training step).
    public var trainingSteps: Int

    /// Prices the stored counts under `profile` (`EnergyReport.price` with this ledger's sample and step counts).
    /// `microBatches`: the micro-batches of those steps (`MetricsStore.microBatchCount`), for the derived
    /// gradient-buffer and write-back traffic (0 = not derived).
    public func energyReport(profile: EnergyProfile, phases: Set<Phase> = Set(Phase.allCases),
                             annMacsPerSample: Int64? = nil, shapes: [LayerShape]? = nil, microBatches: Int = 0) -> EnergyReport {
        EnergyReport.price(ledger: ledger, profile: profile, phases: phases,
                           samples: Int(samples[.inference] ?? 0), trainingSteps: trainingSteps, microBatches: microBatches,
                           annMacsPerSample: annMacsPerSample, shapes: shapes)
    }
}
