import Foundation
import SNNCluster
import SNNCore
import SNNModel

/// A coordinator and workers in one process (issue 7, item 4): the real `CoordinatorServer` and `WorkerClient`
/// over an `InMemoryNetwork`, on one `ManualClock`, with computations run in place. Every turn polls each shell
/// once without waiting; time moves only when a test advances the clock, so no verdict depends on timing.
final class InProcessCluster {
    /// A BNTT net for 6×6 images (Poisson input, per-step batch norm with running state, mean-potential readout).
    static let specJSON = """
    {
      "name": "inproc-bntt", "method": "bntt", "timesteps": 3,
      "input": {"shape": [6, 6, 1], "encoding": "poisson", "poissonScale": 2},
      "neuron": {"leak": 0.95, "threshold": 1, "reset": "soft", "compare": ">", "surrogate": {"kind": "triangular", "scale": 0.3}},
      "layers": [
        {"type": "conv", "channels": 4, "kernel": 3, "padding": 1},
        {"type": "batchnorm", "perStep": true, "shift": false, "epsilon": 1e-4},
        {"type": "spiking"},
        {"type": "avgpool", "size": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 10}
      ],
      "output": {"readout": "mean-potential"},
      "training": {"epochs": 1, "batchSize": 24, "microBatch": 8,
                   "optimizer": {"kind": "sgd", "lr": 0.1, "momentum": 0.9, "weightDecay": 1e-4},
                   "initialization": {"kind": "xavier-uniform", "gain": 2}}
    }
    """
    static let train = tinyImages(count: 48, seed: 1)
    static let test = tinyImages(count: 20, seed: 2)

    let network = InMemoryNetwork()
    let clock = ManualClock()
    let setup: RunSetup
    let session: TrainingSession
    let coordinator: CoordinatorServer
    let options: CoordinatorOptions
    private(set) var workers: [WorkerClient] = []

    /// `specJSON` with `training.communication` set (rounded gradients and updates, WORK kind 3).
    static func quantizedSpecJSON(gradientBits: Int, updateBits: Int) -> String {
        specJSON.replacingOccurrences(of: #""training": {"#,
                                      with: #""training": {"communication": {"gradientBits": \#(gradientBits), "updateBits": \#(updateBits)}, "#)
    }

    static func setup(spec: String = specJSON) throws -> RunSetup {
        try RunSetup.make(spec: try RunSpec.decode(Data(spec.utf8), source: "in-process spec"), train: train, test: test)
    }

    static func session(_ setup: RunSetup) -> TrainingSession {
        TrainingSession(method: setup.method, settings: setup.settings, trainCount: setup.train.count, testCount: setup.test.count)
    }

    /// The digest a standalone run of `maxSteps` steps ends with: the reference the cluster must reproduce.
    static func standaloneDigest(maxSteps: Int, spec: String = specJSON) throws -> String {
        let setup = try setup(spec: spec)
        let trainer = StandaloneTrainer(session: session(setup), train: train, test: test, threads: 1, runID: "reference",
                                        specJSON: setup.specJSON, checkpointPath: nil)
        trainer.maxSteps = maxSteps
        try trainer.run(quiet: true)
        return trainer.session.digest
    }

    init(maxSteps: Int, minWorkers: Int, spec: String = specJSON) throws {
        setup = try Self.setup(spec: spec)
        session = Self.session(setup)
        var o = CoordinatorOptions(bind: "inproc://test", minWorkers: minWorkers,
                                   checkpointPath: FileManager.default.temporaryDirectory.appendingPathComponent("inproc-\(UUID()).ckpt").path)
        o.maxSteps = maxSteps
        o.quiet = true
        options = o
        coordinator = try CoordinatorServer(setup: setup, session: session, runID: "inproc", options: o, recorder: nil,
                                            buildID: BuildIdentity.current(blasCore: BLAS.coreName), clock: clock)
        coordinator.start(on: network.router())
    }

    deinit { try? FileManager.default.removeItem(atPath: options.checkpointPath) }

    /// A worker with `threads` slots connected to this cluster's network and clock, started (HELLO sent).
    @discardableResult
    func addWorker(threads: Int = 1, name: String = "w") throws -> WorkerClient {
        var o = WorkerOptions(address: "inproc://test", threads: threads, dataDirectory: "", name: name)
        o.quiet = true
        o.rasterSamples = 0
        let network = network
        let w = try WorkerClient(options: o, train: Self.train, test: Self.test, clock: clock, connect: { network.dealer() })
        w.dispatchCompute = { $0() }
        try w.start()
        workers.append(w)
        return w
    }

    /// Polls the coordinator and then `polled` workers (default: all), `turns` times or until the run finishes.
    func pump(_ polled: [WorkerClient]? = nil, turns: Int) throws {
        for _ in 0..<turns where !coordinator.isFinished {
            try coordinator.poll()
            for w in polled ?? workers { _ = try w.poll() }
        }
    }

    /// Pumps until the run finishes (at most `turns` turns), then ends it; true when every worker got its BYE.
    func runToEnd(turns: Int = 5000) throws -> Bool {
        try pump(turns: turns)
        guard coordinator.isFinished else { return false }
        _ = try coordinator.finish(drainFor: .zero)
        return try workers.allSatisfy { try $0.poll() }
    }
}
