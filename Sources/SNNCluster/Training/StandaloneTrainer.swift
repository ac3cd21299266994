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
    /// Per-step and per-micro-batch timestamps with CPU clocks when `SNN_GAP_TRACE` is set (GapTrace.swift).
    let trace = GapTrace.make(role: "standalone")

    public init(session: TrainingSession, train: LabeledImages, test: LabeledImages, threads: Int,
                runID: String, specJSON: String, checkpointPath: String?) {
        self.session = session; self.train = train; self.test = test
        self.executor = LocalExecutor(threads: threads, gradientBits: session.settings.gradientBits)
        session.reductionThreads = threads
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

    /// Runs until the schedule stops: the spec's epochs are done, `maxSteps` steps were committed (then the
    /// trained parameters are evaluated and checkpointed), or a stop was requested (checkpointed; `stopped` says
    /// so). Returns the last evaluation.
    @discardableResult
    public func run(quiet: Bool = false) throws -> EvaluationOutcome? {
        let s = session
        defer { trace?.flush() }
        let perEpoch = s.stepsPerEpoch
        let totalSteps = s.settings.epochs * perEpoch
        var schedule = RunSchedule(epochs: s.settings.epochs, stepsPerEpoch: perEpoch, maxSteps: maxSteps,
                                   checkpointEvery: checkpointEvery)
        var committed = 0
        var lastEval: EvaluationOutcome?
        let start = Date()
        var lastPrint = Date.distantPast
        var windowSamples = 0, windowStart = Date()
        var rate = 0.0
        var pending = schedule.next(after: .started(s.cursor))
        while !pending.isEmpty {
            let action = pending.removeFirst()
            switch action {
            case .trainStep:
                // A stop request is honoured between steps.
                if stopRequested() { pending = schedule.next(after: .stopRequested); continue }
                let work = s.nextStepWork()
                let label = "t\(s.epoch):\(s.step)"
                trace?.markEnd("s.step0", label, cpu: .process)
                let contributions = try executor.runTrainingLocal(work, method: s.method, data: train, parameters: s.parameters,
                                                                  state: s.state, trace: trace, step: label)
                let outcome = try s.commit(local: contributions)
                trace?.markEnd("s.step1", label, cpu: .process)
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
                pending = schedule.next(after: .stepCommitted(s.cursor))
            case .evaluate(let e):
                let eval = evaluate(epoch: e)
                lastEval = eval
                onEvaluation?(e, eval)
                if !quiet { Progress.line(Progress.epochLine(epoch: e, eval, layerNames: s.network.layerNames)) }
                pending = schedule.next(after: .evaluated(s.cursor))
            case .advanceEpoch:
                _ = s.advanceEpochIfDone()
            case .checkpoint:
                try saveCheckpoint()
            case .stop(let reason):
                if reason == .requested { stopped = true }
            }
        }
        return lastEval
    }
}
