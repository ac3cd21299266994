import ArgumentParser
import Foundation
import SNNCluster
import SNNCore
import SNNModel

extension Start {
    /// Resolves `--resume`: a checkpoint file, or a run id under runs/.
    func resumeCheckpoint() throws -> Checkpoint? {
        guard let r = resume else { return nil }
        let path = FileManager.default.fileExists(atPath: r) && !r.hasSuffix("/") ? r : "runs/\(r)/checkpoint.ckpt"
        return try Checkpoint.read(from: path)
    }

    /// Spec + data for this invocation: from --spec, or from the checkpoint being resumed.
    func setup(resuming c: Checkpoint?) throws -> RunSetup {
        if let c {
            var s = try RunSpec.decode(Data(c.specJSON.utf8), source: "checkpoint of run \(c.runID)")
            if let epochs { s.training.epochs = epochs }
            return try RunSetup.make(spec: s, dataDirectory: data, trainLimit: limit, testLimit: limit)
        }
        return try RunSetup.load(specPath: spec!, dataDirectory: data, seed: seed, epochs: epochs,
                                 trainLimit: limit, testLimit: limit)
    }

    func runStandalone() throws {
        let checkpoint = try resumeCheckpoint()
        let setup = try setup(resuming: checkpoint)
        let runID = checkpoint?.runID ?? RunID.make(name: setup.spec.name)
        let session = try makeSession(setup: setup, resuming: checkpoint)
        let dir = checkpointDir ?? "runs/\(runID)"
        try checkCheckpointDirectory(dir)
        let nThreads = compute.resolved
        if !quiet {
            Progress.line("snn-coord: standalone run \(runID)\(checkpoint != nil ? " (resumed at epoch \(session.epoch + 1) step \(session.step))" : "")")
            Progress.line(setup.description)
            Progress.line("threads       \(nThreads) (one micro-batch per thread; OpenBLAS \(BLAS.coreName), single-threaded)")
            Progress.line("checkpoints   \(dir)/checkpoint.ckpt   metrics \(db)")
        }
        let trainer = StandaloneTrainer(session: session, train: setup.train, test: setup.test, threads: nThreads,
                                        runID: runID, specJSON: setup.specJSON, checkpointPath: dir + "/checkpoint.ckpt")
        trainer.maxSteps = maxSteps
        trainer.checkpointEvery = checkpointEvery ?? setup.spec.training.checkpointEvery
        let recorder = try RunRecorder(path: db, runID: runID, setup: setup, resumed: checkpoint != nil)
        trainer.onStep = { o, rate in recorder.step(o, samplesPerSecond: rate, version: session.version) }
        trainer.onEvaluation = { e, eval in recorder.evaluation(epoch: e, eval, trainLedger: session.trainLedger, trainSamples: session.trainSamplesThisEpoch) }
        trainer.onCheckpoint = { path in recorder.checkpoint(epoch: session.epoch, step: session.step, path: path, digest: session.digest) }
        let stop = StopSignals.install()
        defer { stop.cancel() }
        stop.onSecondSignal = { recorder.finish(digest: nil, status: "interrupted", reason: "second signal while stopping") }
        trainer.stopRequested = { stop.requested }
        let start = Date()
        var eval: EvaluationOutcome?
        do {
            eval = try trainer.run(quiet: quiet)
            if eval == nil && !trainer.stopped {
                // Resumed a run whose epochs were all done: nothing was trained or evaluated; save, and evaluate
                // what we have so the summary is honest. (--max-steps and stop requests are the schedule's.)
                try trainer.saveCheckpoint()
                eval = trainer.evaluate(epoch: session.epoch)
            }
        } catch {
            recorder.partialEpoch(session)
            recorder.finish(digest: nil, status: "failed", reason: "\(error)")
            throw error
        }
        let wall = Date().timeIntervalSince(start)
        if trainer.stopped {
            recorder.partialEpoch(session)
            recorder.finish(digest: session.digest, status: "stopped", reason: "signal \(stop.signal)")
            Progress.line("snn-coord: stopped at epoch \(session.epoch + 1) step \(session.step); checkpoint \(dir)/checkpoint.ckpt. Continue with --resume \(runID)")
            throw ExitCode(128 + stop.signal)
        }
        recorder.partialEpoch(session)
        finishRecordingLosses(recorder, digest: session.digest, status: session.finished ? "completed" : "stopped")
        Progress.out(Summary.render(runID: runID, setup: setup, session: session, eval: eval!, wall: wall,
                                    checkpoint: dir + "/checkpoint.ckpt"))
        try failIfMetricsLost(recorder)
    }
}

/// Run identifiers: the spec's name plus 8 random hex digits, usable as a directory name.
enum RunID {
    static func make(name: String) -> String {
        let clean = name.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" }
        return String(clean) + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16).leftPadded(to: 8)
    }
}

extension String {
    func leftPadded(to n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}

/// The end-of-run summary.
enum Summary {
    static func render(runID: String, setup: RunSetup, session: TrainingSession, eval: EvaluationOutcome,
                       wall: Double, checkpoint: String) -> String {
        let net = session.network
        let spikes = zip(net.layerNames, eval.spikesPerSample).filter { $0.1 > 0 }
            .map { "\($0.0) \(String(format: "%.1f", $0.1))" }.joined(separator: ", ")
        let total = eval.spikesPerSample.reduce(0, +)
        let samples = session.iteration * setup.settings.batchSize
        return """
        run \(runID)  (\(setup.spec.name), method \(setup.spec.method.rawValue), T = \(setup.spec.timesteps))
          trained          \(session.iteration) steps, epoch \(min(session.epoch + 1, setup.settings.epochs))/\(setup.settings.epochs), \(Progress.duration(wall)) wall, \(String(format: "%.0f", Double(min(samples, session.iteration * setup.settings.batchSize)) / max(wall, 1e-9))) samples/s overall
          test accuracy    \(String(format: "%.2f", eval.accuracy * 100)) %  (loss \(String(format: "%.4f", eval.loss)), \(eval.samples) images, \(eval.steps) of \(setup.spec.timesteps) steps simulated)
          spikes/sample    \(String(format: "%.1f", total))  (\(spikes))
          parameters       sha256 \(session.digest)
          checkpoint       \(checkpoint)
        """
    }
}
