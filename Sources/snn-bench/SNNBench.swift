import ArgumentParser
import Foundation
import SNNCluster
import SNNCore
import SNNEnergy
import SNNMethods
import SNNModel

/// Runs the BENCHMARKS.md workloads through the engine and prints one JSON object per workload.
///
/// Steps go through the product's own path (`TrainingSession` with its exact reduction and optimizer,
/// `LocalExecutor` with one micro-batch per thread), so the figures are what a standalone run achieves.
@main
struct SNNBench: ParsableCommand {
    /// Switches OpenBLAS off a generic fallback core first (see `BLAS.selectCoreForThisCPU`).
    static func main() {
        BLAS.selectCoreForThisCPU()
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "snn-bench",
        abstract: "Measure training and inference throughput of run specs (BENCHMARKS.md workloads W1, W2).",
        discussion: "Prints one JSON object per spec: samples/s (train, inference), peak RSS, FLOP per sample, GFLOP/s, and test accuracy when --epochs is given.")

    @Argument(help: ArgumentHelp("Run specs to measure.", valueName: "spec"))
    var specs: [String] = []

    @Option(name: .long, help: ArgumentHelp("Summarise the JSON lines of `scripts/bench --peers` (ours and the peers', with a round each): a table of the per-round ratios to the better peer, then one JSON line.", valueName: "file"))
    var summarize: String?

    @Option(name: .long, help: "Threads (one micro-batch per thread).")
    var threads: Int = AvailableCores.count

    @Option(name: .long, help: "Timed training steps per round (after 5 warm-up steps; the peers' script times 40 after 5).")
    var steps: Int = 40

    @Option(name: .long, help: "Rounds (the median round is reported, with the range).")
    var rounds: Int = 3

    @Option(name: .long, help: "Train this many full epochs first and report test accuracy after each.")
    var epochs: Int = 0

    @Option(name: .long, help: ArgumentHelp("Directory holding the IDX files.", valueName: "dir"))
    var data = IDXDataset.defaultDirectory

    /// protocols/SCALING.md's per-message costs (WireCosts.swift); hidden: a measurement for the write-up.
    @Flag(name: .long, help: .hidden)
    var wireCosts = false

    func validate() throws {
        if summarize == nil && specs.isEmpty { throw ValidationError("give one or more run specs to measure, or --summarize FILE") }
    }

    func run() throws {
        if let summarize {
            func fail(_ message: String) -> ExitCode {
                FileHandle.standardError.write(Data("snn-bench: \(message)\n".utf8)); return ExitCode(2)
            }
            guard let text = try? String(contentsOfFile: summarize, encoding: .utf8) else {
                throw fail("cannot read \(summarize): give the JSON-lines file scripts/bench --peers wrote")
            }
            let lines: [PeerComparison.Line]
            do { lines = PeerComparison.summarize(try PeerComparison.parse(text)) }
            catch { throw fail("\(summarize): \(error)") }
            if lines.isEmpty { throw fail("\(summarize) holds no round with both snn-cluster's and a peer's figures") }
            print(PeerComparison.table(lines))
            print(PeerComparison.json(lines))
            return
        }
        Runtime.configure()
        if wireCosts {
            for path in specs { print(try WireCosts.measure(spec: path, data: data, rounds: rounds)) }
            return
        }
        for path in specs {
            var spec = try RunSpec.load(path: path)
            // One epoch beyond the trained ones for the timed rounds, so the schedule covers them.
            spec.training.epochs = epochs + 1
            let setup = try RunSetup.make(spec: spec, dataDirectory: data)
            let session = TrainingSession(method: setup.method, settings: setup.settings,
                                          trainCount: setup.train.count, testCount: setup.test.count)
            let exec = LocalExecutor(threads: threads)
            session.reductionThreads = threads
            let net = session.network
            var accuracies: [Double] = []

            if epochs > 0 {
                let trainer = StandaloneTrainer(session: session, train: setup.train, test: setup.test, threads: threads,
                                                runID: "bench", specJSON: setup.specJSON, checkpointPath: nil)
                trainer.maxSteps = epochs * session.stepsPerEpoch
                trainer.onEvaluation = { e, eval in
                    accuracies.append(eval.accuracy)
                    Progress.line("\(spec.name): epoch \(e + 1) test accuracy \(String(format: "%.2f", eval.accuracy * 100)) %")
                }
                try trainer.run(quiet: true)
            }

            /// One committed step; returns its event counts.
            /// Wall milliseconds of the last step's micro-batches (all threads) and of its commit.
            var lastSplit = (compute: 0.0, commit: 0.0)
            func trainStep() throws -> EventLedger {
                // The standalone trainer's path: micro-batches on local threads, the fused commit.
                let t0 = Date()
                let results = try exec.runTrainingLocal(session.nextStepWork(), method: session.method, data: setup.train,
                                                        parameters: session.parameters, state: session.state)
                let t1 = Date()
                var ledger = net.makeLedger()
                for r in results { ledger.add(r.contribution.ledger) }
                _ = try session.commit(local: results)
                lastSplit = (t1.timeIntervalSince(t0) * 1000, Date().timeIntervalSince(t1) * 1000)
                _ = session.advanceEpochIfDone()
                return ledger
            }

            func evaluate() -> (samplesPerSecond: Double, outcome: EvaluationOutcome) {
                let t0 = Date()
                let results = exec.run(session.evaluationWork(epoch: session.epoch), method: session.method, data: setup.test,
                                       parameters: session.parameters, state: session.state)
                let dt = Date().timeIntervalSince(t0)
                return (Double(setup.test.count) / dt, session.summarizeEvaluation(results))
            }

            // Warm-up (5 steps, as the peers' script: first-touch page faults, allocator and BLAS buffers settle),
            // then timed rounds; each step is also timed on its own for the spread.
            for _ in 0..<5 { _ = try trainStep() }
            var trainRates: [Double] = []
            var stepMillis: [Double] = [], computeMillis: [Double] = [], commitMillis: [Double] = []
            let cpu0 = ComputeClock.processCPUNanos()
            var ledger = net.makeLedger()
            for r in 0..<rounds {
                let t0 = Date()
                var last = t0
                for _ in 0..<steps {
                    let l = try trainStep(); if r == 0 { ledger.add(l) }
                    let now = Date(); stepMillis.append(now.timeIntervalSince(last) * 1000); last = now
                    computeMillis.append(lastSplit.compute); commitMillis.append(lastSplit.commit)
                }
                trainRates.append(Double(steps * setup.settings.batchSize) / last.timeIntervalSince(t0))
            }
            // CPU time of the whole process per timed step: less sensitive to other load than wall time.
            let cpuPerStep = Double(ComputeClock.processCPUNanos() - cpu0) / 1e6 / Double(rounds * steps)
            var inferRates: [Double] = []
            var inference = evaluate().outcome
            for _ in 0..<rounds { let e = evaluate(); inferRates.append(e.samplesPerSecond); inference = e.outcome }

            // FLOP per sample: 2 per MAC and 1 per synaptic accumulate, from the exact event counts.
            let trainSamples = Double(steps * setup.settings.batchSize)
            let tf = ledger.total(.trainForward), tb = ledger.total(.trainBackward)
            let trainFLOP = (2 * Double(tf.macs + tb.macs) + Double(tf.synapticOps + tb.synapticOps)) / trainSamples
            let inf = inference.ledger.total(.inference)
            let inferFLOP = (2 * Double(inf.macs) + Double(inf.synapticOps)) / Double(inference.samples)
            let tr = trainRates.sorted(), ir = inferRates.sorted(), sm = stepMillis.sorted()
            func quantile(_ q: Double) -> Double { (sm[min(sm.count - 1, Int(q * Double(sm.count)))] * 100).rounded() / 100 }
            var usage = rusage(); getrusage(RUSAGE_SELF.rawValue, &usage)
            var obj: [String: Any] = [
                "workload": spec.name, "threads": threads, "batch": setup.settings.batchSize,
                "microBatch": setup.settings.microBatch, "timesteps": spec.timesteps,
                "train_samples_per_s": tr[tr.count / 2].rounded(), "train_range": [tr.first!.rounded(), tr.last!.rounded()],
                "inference_samples_per_s": ir[ir.count / 2].rounded(), "inference_range": [ir.first!.rounded(), ir.last!.rounded()],
                "peak_rss_mib": Double(usage.ru_maxrss) / 1024,
                "train_flop_per_sample": trainFLOP.rounded(), "inference_flop_per_sample": inferFLOP.rounded(),
                "train_gflops": (trainFLOP * tr[tr.count / 2] / 1e9 * 10).rounded() / 10,
                "inference_gflops": (inferFLOP * ir[ir.count / 2] / 1e9 * 10).rounded() / 10,
                "spikes_per_test_sample": Double(inf.spikes) / Double(inference.samples), "blas_core": BLAS.coreName,
                // Wall time per training step over all rounds: lowest, median, 90th percentile, highest (ms).
                "train_step_ms": [quantile(0), quantile(0.5), quantile(0.9), quantile(1)],
                // Medians of the step's parts (micro-batches on the threads; the commit) and CPU ms per step, all threads.
                "train_compute_commit_ms": [(PeerComparison.median(computeMillis) * 100).rounded() / 100,
                                            (PeerComparison.median(commitMillis) * 100).rounded() / 100],
                "train_cpu_ms_per_step": (cpuPerStep * 100).rounded() / 100,
            ]
            if !accuracies.isEmpty { obj["test_accuracy_per_epoch"] = accuracies.map { ($0 * 10000).rounded() / 100 } }
            let json = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
            print(String(decoding: json, as: UTF8.self))
            fflush(nil)
        }
    }
}
