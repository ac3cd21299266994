import Foundation
import SNNCore
import SNNMethods
import SNNModel

/// Trains on this machine without workers (`snn-coord start --standalone`): the same session, plan and exact
/// commit as the cluster, with micro-batches run on local threads.
public final class StandaloneTrainer {
    public let session: TrainingSession
    public let train: LabeledImages
    public let test: LabeledImages
    public let executor: LocalExecutor
    public let runID: String
    public let specJSON: String
    public let checkpointPath: String?
    public var maxSteps: Int?
    public var checkpointEvery: Int?
    /// Called after every committed step and every evaluation (metrics store, tests).
    public var onStep: ((StepOutcome, Double) -> Void)?
    public var onEvaluation: ((Int, EvaluationOutcome) -> Void)?
    public var onCheckpoint: ((String) -> Void)?
    /// Polled between steps; true ends the run early (SIGINT/SIGTERM). `stopped` then says so.
    public var stopRequested: () -> Bool = { false }
    public private(set) var stopped = false

    public init(session: TrainingSession, train: LabeledImages, test: LabeledImages, threads: Int,
                runID: String, specJSON: String, checkpointPath: String?) {
        self.session = session; self.train = train; self.test = test
        self.executor = LocalExecutor(threads: threads)
        self.runID = runID; self.specJSON = specJSON; self.checkpointPath = checkpointPath
    }

    /// Evaluates the current parameters on the test split.
    public func evaluate(epoch: Int) -> EvaluationOutcome {
        let work = session.evaluationWork(epoch: epoch)
        let results = executor.run(work, method: session.method, data: test, parameters: session.parameters, state: session.state)
        return session.summarizeEvaluation(results)
    }

    /// Writes a checkpoint of the current state now (no-op without a checkpoint path).
    public func saveCheckpoint() throws {
        guard let path = checkpointPath else { return }
        try session.checkpoint(runID: runID, specJSON: specJSON).write(to: path)
        onCheckpoint?(path)
    }

    /// Runs until the spec's epochs are done (or `maxSteps` steps were committed). Returns the last evaluation.
    @discardableResult
    public func run(quiet: Bool = false) throws -> EvaluationOutcome? {
        let s = session
        let perEpoch = s.stepsPerEpoch
        let totalSteps = s.settings.epochs * perEpoch
        var committed = 0
        var lastEval: EvaluationOutcome?
        let start = Date()
        var lastPrint = Date.distantPast
        var windowSamples = 0, windowStart = Date()
        var rate = 0.0
        while !s.finished {
            if let m = maxSteps, committed >= m { break }
            if stopRequested() { stopped = true; break }
            if s.step >= perEpoch {
                // Resumed from a checkpoint taken after the epoch's last step but before its evaluation.
                let e = s.epoch
                lastEval = evaluate(epoch: e)
                onEvaluation?(e, lastEval!)
                _ = s.advanceEpochIfDone()
                try saveCheckpoint()
                continue
            }
            let work = s.nextStepWork()
            let results = executor.run(work, method: s.method, data: train, parameters: s.parameters, state: s.state)
            let outcome = try s.commit(results)
            committed += 1
            windowSamples += outcome.samples
            let now = Date()
            let dt = now.timeIntervalSince(windowStart)
            if dt >= 1 { rate = Double(windowSamples) / dt; windowSamples = 0; windowStart = now }
            else if rate == 0 { rate = Double(windowSamples) / max(dt, 1e-6) }
            onStep?(outcome, rate)
            let done = s.epoch * perEpoch + s.step
            if !quiet && (now.timeIntervalSince(lastPrint) >= 2 || s.step == perEpoch) {
                lastPrint = now
                let elapsed = now.timeIntervalSince(start)
                let eta = elapsed / Double(max(1, committed)) * Double(totalSteps - done)
                Progress.line(String(format: "epoch %d/%d  step %d/%d  loss %.4f  acc %5.1f%%  %.0f samples/s  lr %.4g  ETA %@",
                                     s.epoch + 1, s.settings.epochs, s.step, perEpoch, outcome.loss, outcome.accuracy * 100,
                                     rate, outcome.learningRate, Progress.duration(eta)))
            }
            if let every = checkpointEvery, every > 0, s.iteration % every == 0 { try saveCheckpoint() }
            if s.step >= perEpoch {
                let e = s.epoch
                let eval = evaluate(epoch: e)
                lastEval = eval
                onEvaluation?(e, eval)
                _ = s.advanceEpochIfDone()
                try saveCheckpoint()
                if !quiet {
                    let spikes = zip(s.network.layerNames, eval.spikesPerSample).filter { $0.1 > 0 }
                        .map { "\($0.0) \(String(format: "%.0f", $0.1))" }.joined(separator: ", ")
                    Progress.line(String(format: "epoch %d: test accuracy %.2f%%  loss %.4f  (%d steps simulated)  spikes/sample: %@",
                                         e + 1, eval.accuracy * 100, eval.loss, eval.steps, spikes))
                }
            }
        }
        return lastEval
    }
}
