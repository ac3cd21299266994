import ArgumentParser
import Dispatch
import Foundation
import SNNCluster
import SNNCore
import SNNModel

extension Start {
    func runCoordinator() throws {
        let checkpoint = try resumeCheckpoint()
        let setup = try setup(resuming: checkpoint)
        let runID = checkpoint?.runID ?? RunID.make(name: setup.spec.name)
        let session = try makeSession(setup: setup, resuming: checkpoint)
        let dir = checkpointDir ?? "runs/\(runID)"
        try checkCheckpointDirectory(dir)
        recordDeadRuns(db: db)
        var options = CoordinatorOptions(bind: bind, minWorkers: max(minWorkers, min(localWorkers, minWorkers == 1 ? localWorkers : minWorkers)),
                                         checkpointPath: dir + "/checkpoint.ckpt")
        options.maxSteps = maxSteps
        options.checkpointEvery = checkpointEvery ?? setup.spec.training.checkpointEvery
        options.statusPath = statusPath(db: db, runID: runID)
        options.quiet = quiet
        // A CURVE coordinator's own workers get an ephemeral pair it allows (without one they could never join).
        var localKeys: LocalWorkerKeys?
        defer { localKeys?.remove() }
        if let key {
            let pair = try CurveKeyPair.load(path: key)
            guard let allow else { throw ValidationErrorLine("--key needs --allow FILE (the workers' public keys)") }
            var allowed = try CurveAllowList.load(path: allow)
            if localWorkers > 0 {
                let keys = try LocalWorkerKeys.make(coordinator: pair)
                localKeys = keys
                allowed = try keys.allowing(allowed)
            }
            options.curve = (pair, allowed)
        } else if !CoordinatorOptions.isLoopback(bind) && !insecure {
            throw ValidationErrorLine("\(bind) is not a loopback address: give --key FILE and --allow FILE (see `snn-coord keygen`), or --insecure to accept any worker unencrypted")
        }
        let buildID = BuildIdentity.current(blasCore: BLAS.coreName)
        if !quiet {
            Progress.line("snn-coord: run \(runID)\(checkpoint != nil ? " (resumed at epoch \(session.epoch + 1) step \(session.step))" : "")")
            Progress.line(setup.description)
            Progress.line("cluster       heartbeat \(options.heartbeatInterval), dead after \(options.deadAfter), min workers \(options.minWorkers), build '\(buildID)'")
            Progress.line("checkpoints   \(options.checkpointPath)   metrics \(db)   status \(options.statusPath ?? "-")")
        }
        let recorder = try RunRecorder(path: db, runID: runID, setup: setup, resumed: checkpoint != nil, buildID: buildID)
        let metricsServer = try startMetricsServer(runID: runID)
        defer { metricsServer?.stop() }
        // Local workers join over a private ipc:// socket (--local-transport); its directory goes on every way out
        // but kill -9 (this defer, declared before the workers', runs after they stopped).
        let ipc = localWorkers > 0 ? LocalWorkers.privateEndpoint(localTransport) : nil
        defer { ipc?.remove() }
        options.localBind = ipc?.endpoint
        let workers = LocalWorkers(count: localWorkers, data: data, limit: limit, quiet: quiet,
                                   extraArguments: localKeys?.workerArguments ?? [])
        options.onBound = { endpoint in workers.start(address: endpoint) }
        // Ctrl-C / SIGTERM: the loop stops, checkpoints, tells the workers and records "stopped"; a second
        // signal exits at once (recorded as "interrupted").
        let stop = StopSignals.install()
        stop.onSecondSignal = { [localKeys] in
            recorder.finish(digest: nil, status: "interrupted", reason: "second signal while stopping"); workers.stop(); ipc?.remove(); localKeys?.remove()
        }
        defer { stop.cancel() }
        let start = Date()
        defer { workers.stop() }
        var eval: EvaluationOutcome?
        let server: CoordinatorServer
        do {
            server = try CoordinatorServer(setup: setup, session: session, runID: runID, options: options,
                                           recorder: recorder, buildID: buildID)
            server.stopRequested = { stop.requested }
            eval = try server.run()
        } catch {
            recorder.partialEpoch(session)
            recorder.finish(digest: nil, status: "failed", reason: "\(error)")
            throw error
        }
        if server.stopping {
            recorder.partialEpoch(session)
            recorder.finish(digest: session.digest, status: "stopped", reason: "signal \(stop.signal)")
            Progress.line("snn-coord: stopped at epoch \(session.epoch + 1) step \(session.step); checkpoint \(options.checkpointPath). Continue with --resume \(runID)")
            throw ExitCode(128 + stop.signal)
        }
        if eval == nil {
            eval = StandaloneTrainer(session: session, train: setup.train, test: setup.test,
                                     threads: AvailableCores.count, runID: runID,
                                     specJSON: setup.specJSON, checkpointPath: nil).evaluate(epoch: session.epoch)
        }
        recorder.partialEpoch(session)
        finishRecordingLosses(recorder, digest: session.digest, status: session.finished ? "completed" : "stopped")
        Progress.out(Summary.render(runID: runID, setup: setup, session: session, eval: eval!,
                                    wall: Date().timeIntervalSince(start), checkpoint: options.checkpointPath))
        try failIfMetricsLost(recorder)
    }
}

extension Start {
    /// Records the run's end; a run that lost metrics writes (full disk, removed file) ends "failed" with the
    /// count and the first error as its reason, not "completed" (issue 8, item 9).
    func finishRecordingLosses(_ recorder: RunRecorder, digest: String, status: String) {
        let lost = recorder.lostWrites
        guard lost > 0 else { return recorder.finish(digest: digest, status: status) }
        recorder.finish(digest: digest, status: "failed", reason: "\(lost) metrics write(s) lost (first: \(recorder.firstLoss ?? "?"))")
    }

    /// A run whose metrics writes failed (full disk, removed file) ends non-zero with one line saying so.
    func failIfMetricsLost(_ recorder: RunRecorder) throws {
        guard recorder.lostWrites > 0 else { return }
        throw ValidationErrorLine("\(recorder.lostWrites) metrics write(s) to \(db) failed (first: \(recorder.firstLoss ?? "?")); the checkpoint is intact, but the metrics are incomplete")
    }
}

/// The status file of one run, next to the metrics database: `<db without extension>.<run id>.status.json`.
/// One file per run, so two coordinators sharing one `--db` never overwrite each other's status (issue 8, item 9).
func statusPath(db: String, runID: String) -> String {
    let url = URL(fileURLWithPath: db)
    return url.deletingPathExtension().path + ".\(runID).status.json"
}

struct ValidationErrorLine: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Worker processes started on this machine by `--local-workers N`, stopped when the coordinator exits.
final class LocalWorkers: @unchecked Sendable {
    /// The private `ipc://` endpoint the local workers join with `--local-transport ipc`; nil for `tcp`, or after a
    /// one-line notice when it cannot be made (path too long, no temporary directory): they join `--bind` then.
    static func privateEndpoint(_ transport: LocalTransport) -> LocalIPCEndpoint? {
        guard transport == .ipc else { return nil }
        do { return try LocalIPCEndpoint.make() } catch {
            Progress.line("snn-coord: local workers join --bind over TCP instead of ipc://: \(error)")
            return nil
        }
    }

    let count: Int, data: String, limit: Int?, quiet: Bool
    /// Added to every worker's command line (a CURVE coordinator's `--key`/`--server-key` for them).
    let extraArguments: [String]
    private var processes: [Process] = []
    private let lock = NSLock()

    init(count: Int, data: String, limit: Int?, quiet: Bool, extraArguments: [String] = []) {
        self.count = count; self.data = data; self.limit = limit; self.quiet = quiet; self.extraArguments = extraArguments
    }

    /// The snn-worker binary next to this executable (pitfall 14: resolve /proc/self/exe first).
    static func workerBinary() -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("snn-worker").path
    }

    func start(address: String) {
        guard count > 0 else { return }
        let cores = AvailableCores.count
        let threads = max(1, cores / count)
        lock.lock(); defer { lock.unlock() }
        for i in 0..<count {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Self.workerBinary())
            // One micro-batch held beyond the slots: a slot that frees starts the next one at once instead of after a
            // REQUEST_WORK → WORK round trip (0.5–1 ms each, issue 11 item 3). Local workers are alike, so the
            // coordinator's round-robin (one micro-batch per worker per round) still splits each step evenly.
            var args = ["join", address, "--threads", "\(threads)", "--prefetch", "1", "--data", data, "--name", "local-\(i + 1)",
                        "--give-up-after", "30", "--exit-with-parent", "\(getpid())"]
            if let limit { args += ["--limit", "\(limit)"] }
            if quiet { args.append("--quiet") }
            args += extraArguments
            p.arguments = args
            do { try p.run(); processes.append(p) } catch {
                Progress.line("snn-coord: cannot start local worker \(i + 1) (\(p.executableURL!.path)): \(error)")
            }
        }
        if !quiet {
            let curve = extraArguments.isEmpty ? "" : " and an ephemeral CURVE key pair allowed for this run"
            Progress.line("snn-coord: started \(processes.count) local worker(s) with \(threads) thread(s) each\(curve), joining \(address)")
        }
    }

    func stop() {
        lock.lock(); defer { lock.unlock() }
        let deadline = Date().addingTimeInterval(3)
        for p in processes { while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) } }
        for p in processes where p.isRunning { p.terminate() }
        let killAt = Date().addingTimeInterval(2)
        for p in processes { while p.isRunning && Date() < killAt { Thread.sleep(forTimeInterval: 0.05) } }
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        for p in processes { p.waitUntilExit() }
        processes = []
    }
}

extension LocalTransport: ExpressibleByArgument {
    /// `--local-transport`'s help, shared by `start` and `convert`.
    static let help = ArgumentHelp(
        "How --local-workers join: ipc, a private Unix socket (a 1.7 MB message takes 0.44 ms against 1.04 ms over TCP loopback on 2-core VMs), or tcp, the --bind address, to measure what a networked worker pays.",
        valueName: "ipc|tcp")
}
