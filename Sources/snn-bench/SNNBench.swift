import ArgumentParser
import Foundation
import SNNCore
import SNNEnergy
import SNNMethods
import SNNModel

/// Runs the BENCHMARKS.md workloads through the engine and prints one JSON object per workload.
@main
struct SNNBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snn-bench",
        abstract: "Measure training and inference throughput of run specs (BENCHMARKS.md workloads W1, W2).",
        discussion: "Prints one JSON object per spec: samples/s (train, inference), peak RSS, FLOP per sample, GFLOP/s, and test accuracy when --epochs is given.")

    @Argument(help: ArgumentHelp("Run specs to measure.", valueName: "spec"))
    var specs: [String]

    @Option(name: .long, help: "Threads (one micro-batch per thread).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: "Timed training steps per round.")
    var steps: Int = 30

    @Option(name: .long, help: "Rounds (the median round is reported, with the range).")
    var rounds: Int = 3

    @Option(name: .long, help: "Train this many full epochs first and report test accuracy after each.")
    var epochs: Int = 0

    @Option(name: .long, help: ArgumentHelp("Directory holding the IDX files.", valueName: "dir"))
    var data = IDXDataset.defaultDirectory

    func run() throws {
        Runtime.configure()
        for path in specs {
            let spec = try RunSpec.load(path: path)
            try spec.validate()
            let method = try MethodFactory.make(spec)
            let train = try IDXDataset.load(directory: data, split: .train)
            let test = try IDXDataset.load(directory: data, split: .test)
            let net = method.network
            var (params, state) = net.initialValues(seed: spec.training.seed)
            method.constrain(parameters: &params)
            let optimizer = try MethodFactory.optimizer(spec.training.optimizer)
            var optState = OptimizerState(kind: optimizer, parameterCount: params.count)
            let batch = spec.training.batchSize, mb = spec.training.microBatch
            var accuracies: [Double] = []

            func trainStep(epoch: Int, step: Int, perm: [Int32]) -> (samples: Int, ledger: EventLedger) {
                let lo = (step * batch) % max(1, perm.count - batch)
                let ids = Array(perm[lo..<(lo + batch)])
                let work = stride(from: 0, to: batch, by: mb).enumerated().map { i, s in
                    MicroBatch(epoch: epoch, step: step, index: i, phase: .train, samples: Array(ids[s..<min(batch, s + mb)]), seed: 1)
                }
                let (p0, s0) = (params, state)
                let results = parallel(work) { method.run($0, data: train, parameters: p0, state: s0) }
                var g = [Double](repeating: 0, count: params.count)
                var ledger = net.makeLedger()
                for r in results { for i in g.indices { g[i] += Double(r.gradient[i]) }; ledger.add(r.ledger) }
                let gf = g.map { Float($0 / Double(batch)) }
                optimizerStep(optimizer, learningRate: spec.training.optimizer.lr, parameters: &params, gradients: gf, state: &optState)
                method.constrain(parameters: &params)
                if net.statisticsCount > 0 {
                    var s = [Float](repeating: 0, count: net.statisticsCount)
                    for r in results { for i in s.indices { s[i] += r.statistics[i] / Float(results.count) } }
                    net.applyStatistics(s, to: &state, microBatchSize: mb)
                }
                return (batch, ledger)
            }

            func evaluate(limit: Int) -> (accuracy: Double, samplesPerSecond: Double, ledger: EventLedger) {
                let n = min(limit, test.count)
                let work = stride(from: 0, to: n, by: 250).enumerated().map { i, s in
                    MicroBatch(epoch: 0, step: 0, index: i, phase: .evaluate, samples: (Int32(s)..<Int32(min(n, s + 250))).map { $0 }, seed: 1)
                }
                let t0 = Date()
                let (p0, s0) = (params, state)
                let results = parallel(work) { method.run($0, data: test, parameters: p0, state: s0) }
                let dt = Date().timeIntervalSince(t0)
                var ledger = net.makeLedger()
                for r in results { ledger.add(r.ledger) }
                return (Double(results.reduce(0) { $0 + $1.correct }) / Double(n), Double(n) / dt, ledger)
            }

            let perm = (0..<Int32(train.count)).map { $0 }.shuffled()
            for e in 0..<epochs {
                let stepsPerEpoch = train.count / batch
                let t0 = Date()
                for s in 0..<stepsPerEpoch { _ = trainStep(epoch: e, step: s, perm: perm) }
                let acc = evaluate(limit: test.count).accuracy
                accuracies.append(acc)
                FileHandle.standardError.write("\(spec.name): epoch \(e + 1) test accuracy \(String(format: "%.2f", acc * 100)) % (\(String(format: "%.0f", Date().timeIntervalSince(t0))) s)\n".data(using: .utf8)!)
            }
            // Warm-up, then timed rounds.
            _ = trainStep(epoch: 99, step: 0, perm: perm)
            var trainRates: [Double] = []
            var ledger = net.makeLedger()
            for r in 0..<rounds {
                let t0 = Date()
                for s in 0..<steps { let out = trainStep(epoch: 100 + r, step: s, perm: perm); if r == 0 { ledger.add(out.ledger) } }
                trainRates.append(Double(steps * batch) / Date().timeIntervalSince(t0))
            }
            _ = evaluate(limit: 1000)
            var inferRates: [Double] = []
            var inferLedger = net.makeLedger()
            for _ in 0..<rounds { let e = evaluate(limit: 5000); inferRates.append(e.samplesPerSecond); inferLedger = e.ledger }
            // FLOP per sample: 2 per MAC and 1 per synaptic accumulate, from the exact event counts.
            let trainSamples = Double(steps * batch)
            let tf = ledger.total(.trainForward), tb = ledger.total(.trainBackward)
            let trainFLOP = (2 * Double(tf.macs + tb.macs) + Double(tf.synapticOps + tb.synapticOps)) / trainSamples
            let inf = inferLedger.total(.inference)
            let inferFLOP = (2 * Double(inf.macs) + Double(inf.synapticOps)) / 5000
            let tr = trainRates.sorted(), ir = inferRates.sorted()
            var usage = rusage(); getrusage(RUSAGE_SELF.rawValue, &usage)
            var obj: [String: Any] = [
                "workload": spec.name, "threads": threads, "batch": batch, "microBatch": mb, "timesteps": spec.timesteps,
                "train_samples_per_s": tr[tr.count / 2].rounded(), "train_range": [tr.first!.rounded(), tr.last!.rounded()],
                "inference_samples_per_s": ir[ir.count / 2].rounded(), "inference_range": [ir.first!.rounded(), ir.last!.rounded()],
                "peak_rss_mib": Double(usage.ru_maxrss) / 1024,
                "train_flop_per_sample": trainFLOP.rounded(), "inference_flop_per_sample": inferFLOP.rounded(),
                "train_gflops": (trainFLOP * tr[tr.count / 2] / 1e9 * 10).rounded() / 10,
                "inference_gflops": (inferFLOP * ir[ir.count / 2] / 1e9 * 10).rounded() / 10,
                "spikes_per_test_sample": Double(inf.spikes) / 5000, "blas_core": BLAS.coreName,
            ]
            if !accuracies.isEmpty { obj["test_accuracy_per_epoch"] = accuracies.map { ($0 * 10000).rounded() / 100 } }
            let json = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
            print(String(decoding: json, as: UTF8.self))
            fflush(nil)
        }
    }

    func parallel<T: Sendable>(_ work: [MicroBatch], _ body: @escaping @Sendable (MicroBatch) -> T) -> [T] {
        let box = ParallelBox<T>(work.count)
        DispatchQueue.concurrentPerform(iterations: min(threads, work.count)) { _ in
            while true {
                box.l.lock(); let i = box.next; box.next += 1; box.l.unlock()
                if i >= work.count { return }
                let r = body(work[i])
                box.l.lock(); box.v[i] = r; box.l.unlock()
            }
        }
        return box.v.map { $0! }
    }
}

final class ParallelBox<T>: @unchecked Sendable {
    var v: [T?]
    let l = NSLock()
    var next = 0
    init(_ n: Int) { v = Array(repeating: nil, count: n) }
}
