import Foundation
import SNNCore
import SNNEnergy
import SNNModel

/// Writes a run's progress to the metrics database: the run row, one row per step and per evaluation, per-layer
/// spikes, event counters, checkpoints, membership and wire bytes.
///
/// Opening fails loudly (a run must not train for hours into a database it cannot write); a later write error is
/// reported once on standard error and training goes on, because the checkpoint, not the metrics, is the state
/// that must survive.
public final class RunRecorder: @unchecked Sendable {
    public let store: MetricsStore
    public let runID: String
    private var warned = false
    private let lock = NSLock()

    public init(path: String, runID: String, setup: RunSetup, resumed: Bool, buildID: String? = nil) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        store = try MetricsStore.open(path: path)
        self.runID = runID
        _ = try store.beginRun(RunRecord(runID: runID, name: setup.spec.name, method: setup.spec.method.rawValue,
                                         specJSON: setup.specJSON, seed: setup.settings.seed, startedAt: Date(),
                                         buildID: buildID, datasetFingerprint: setup.train.fingerprint))
    }

    func attempt(_ what: String, _ body: () throws -> Void) {
        lock.lock(); defer { lock.unlock() }
        do { try body() } catch {
            failures += 1
            if firstFailure == nil { firstFailure = "\(what): \(error)" }
            if !warned { Progress.line("snn-coord: warning: metrics not recorded (\(what)): \(error)"); warned = true }
        }
    }

    public func step(_ o: StepOutcome, samplesPerSecond: Double, version: UInt64, workers: Int? = nil,
                     wallMs: Double? = nil, codecMs: Double? = nil, wireMs: Double? = nil, waitMs: Double? = nil) {
        attempt("step") {
            try store.recordStep(runID, StepRecord(epoch: o.epoch, step: o.step, loss: o.loss, accuracy: o.accuracy,
                                                   samples: o.samples, samplesPerSec: samplesPerSecond, lr: Double(o.learningRate),
                                                   wallMs: wallMs, computeMs: Double(o.computeNanos) / 1e6, codecMs: codecMs,
                                                   wireMs: wireMs, waitMs: waitMs, parameterVersion: Int64(version), workers: workers))
        }
    }

    /// An epoch's test evaluation plus the epoch's training counters.
    public func evaluation(epoch: Int, _ e: EvaluationOutcome, trainLedger: EventLedger, trainSamples: Int, layerNames: [String]? = nil) {
        attempt("evaluation") {
            let total = e.spikesPerSample.reduce(0, +)
            try store.recordEval(runID, EvalRecord(epoch: epoch, split: EvalRecord.testSplit, loss: e.loss, accuracy: e.accuracy,
                                                   samples: e.samples, spikesPerSample: total, exitStep: Double(e.steps)))
            let names = layerNames ?? e.ledger.layerNames
            try store.recordLayerSpikes(runID, epoch: epoch, split: EvalRecord.testSplit,
                                        e.spikesPerSample.enumerated().filter { $0.element > 0 }
                                            .map { LayerSpikes(layer: $0.offset, name: names[$0.offset], spikesPerSample: $0.element) })
            var ledger = trainLedger
            ledger.add(e.ledger)
            try store.recordLedger(runID, epoch: epoch, ledger: ledger,
                                   samples: [.inference: Int64(e.samples), .trainForward: Int64(trainSamples),
                                             .trainBackward: Int64(trainSamples), .optimizer: Int64(trainSamples)])
        }
    }

    /// Records the training counters of the epoch a run ended in before finishing it (a stop, `--max-steps`, a
    /// failure), so those events are not lost; a resumed run that completes the epoch replaces them with the
    /// whole epoch's counts (the counters so far travel in the checkpoint).
    public func partialEpoch(_ session: TrainingSession) {
        let n = Int64(session.trainSamplesThisEpoch)
        guard n > 0 else { return }
        attempt("partial epoch") {
            try store.recordLedger(runID, epoch: session.epoch, ledger: session.trainLedger,
                                   samples: [.trainForward: n, .trainBackward: n, .optimizer: n])
        }
    }

    public func checkpoint(epoch: Int, step: Int, path: String, digest: String) {
        attempt("checkpoint") { try store.recordCheckpoint(runID, CheckpointRecord(epoch: epoch, step: step, path: path, digest: digest, at: Date())) }
    }

    public func membership(worker: String, name: String, _ event: MembershipEvent, detail: String = "") {
        attempt("membership") { try store.recordMembership(runID, MembershipRecord(at: Date(), workerID: worker, workerName: name, event: event, detail: detail)) }
    }

    public func wire(epoch: Int, kind: String, messages: Int64, rawBytes: Int64, wireBytes: Int64) {
        attempt("wire") { try store.addWire(runID, epoch: epoch, kind: kind, messages: messages, rawBytes: rawBytes, wireBytes: wireBytes) }
    }

    public func finish(digest: String?, status: String, reason: String? = nil) {
        attempt("finish") { try store.finishRun(runID, digest: digest, status: RunStatus(rawValue: status) ?? .completed, at: Date(), reason: reason) }
    }

    /// Metrics writes that failed (the first is also reported on standard error at once). A run whose metrics
    /// were lost must not end with exit 0 as if nothing happened: the start command checks this at the end.
    public var lostWrites: Int { lock.lock(); defer { lock.unlock() }; return failures }
    public var firstLoss: String? { lock.lock(); defer { lock.unlock() }; return firstFailure }
    private var failures = 0
    private var firstFailure: String?
}
