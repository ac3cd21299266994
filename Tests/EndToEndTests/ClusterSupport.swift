import Foundation
import Testing
import SNNCluster

/// A small BNTT spec (Poisson input, per-step BN) that trains in well under a second per step.
/// `communication`: a `training.communication` object to add (rounded gradients and updates), or nil for exact.
func writeTinySpec(in dir: String, epochs: Int = 1, communication: String? = nil) throws -> String {
    let spec = """
    {
      "name": "e2e-bntt", "method": "bntt", "timesteps": 4,
      "input": {"shape": [28, 28, 1], "encoding": "poisson", "poissonScale": 2, "normalize": {"mean": 0.286, "std": 0.353}},
      "neuron": {"leak": 0.95, "threshold": 1, "reset": "soft", "compare": ">", "surrogate": {"kind": "triangular", "scale": 0.3}},
      "layers": [
        {"type": "conv", "channels": 4, "kernel": 3, "padding": 1},
        {"type": "batchnorm", "perStep": true, "shift": false, "epsilon": 1e-4},
        {"type": "spiking"},
        {"type": "avgpool", "size": 4},
        {"type": "flatten"},
        {"type": "dense", "units": 10}
      ],
      "output": {"readout": "mean-potential"},
      "training": {"epochs": \(epochs), "batchSize": 32, "microBatch": 8,\(communication.map { " \"communication\": \($0)," } ?? "")
                   "optimizer": {"kind": "sgd", "lr": 0.1, "momentum": 0.9, "weightDecay": 1e-4},
                   "initialization": {"kind": "xavier-uniform", "gain": 2}}
    }
    """
    let path = dir + "/tiny.json"
    try spec.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// A small DSR spec (IF neurons, trainable thresholds, stacked BN, rate readout).
func writeTinyDSRSpec(in dir: String) throws -> String {
    let spec = """
    {
      "name": "e2e-dsr", "method": "dsr", "timesteps": 4,
      "input": {"shape": [28, 28, 1], "encoding": "direct", "normalize": {"mean": 0.286, "std": 0.353}},
      "neuron": {"threshold": 2, "alpha": 0.5, "compare": ">=", "surrogate": {"kind": "triangular"},
                 "dsr": {"model": "if", "thresholdFloor": 0.01}},
      "layers": [
        {"type": "conv", "channels": 4, "kernel": 3, "padding": 1},
        {"type": "batchnorm"},
        {"type": "spiking"},
        {"type": "avgpool", "size": 4},
        {"type": "flatten"},
        {"type": "dense", "units": 10},
        {"type": "batchnorm"},
        {"type": "spiking"}
      ],
      "output": {"readout": "rate"},
      "training": {"epochs": 1, "batchSize": 32, "microBatch": 8,
                   "optimizer": {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "weightDecay": 5e-4},
                   "schedule": {"kind": "cosine", "warmupIterations": 3},
                   "initialization": {"kind": "kaiming-normal", "gain": 1}}
    }
    """
    let path = dir + "/tiny-dsr.json"
    try spec.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// A small TTFS spec (temporal-kernel surrogate, relaxation coins at p = 0.5 in epoch 0, kernel training, L2-I and
/// TKBN from epoch 1 on, SNN evaluation).
func writeTinyTTFSSpec(in dir: String, epochs: Int = 1) throws -> String {
    let spec = """
    {
      "name": "e2e-ttfs", "method": "ttfs", "timesteps": 1,
      "input": {"shape": [28, 28, 1], "encoding": "direct", "normalize": {"mean": 0.286, "std": 0.353}},
      "ttfs": {"relaxationEpochs": 2, "kernelTrainingFrom": 0, "tkbnAfter": 0, "tkbnWeight": 1e-3},
      "layers": [
        {"type": "conv", "channels": 4, "kernel": 3, "padding": 1},
        {"type": "batchnorm"},
        {"type": "spiking"},
        {"type": "maxpool", "size": 4},
        {"type": "flatten"},
        {"type": "dense", "units": 10}
      ],
      "output": {"readout": "mean-potential"},
      "training": {"epochs": \(epochs), "batchSize": 32, "microBatch": 8, "optimizer": {"kind": "adam", "lr": 0.001}}
    }
    """
    let path = dir + "/tiny-ttfs.json"
    try spec.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// The undisturbed standalone run a fault-injection test compares with (metrics `ref.sqlite`, checkpoints `ref/`).
func referenceRun(_ common: [String], dir: String) throws -> ProcessResult {
    try run("snn-coord", ["start", "--standalone", "--db", dir + "/ref.sqlite", "--checkpoint-dir", dir + "/ref"] + common, cwd: dir)
}

/// The stored event ledger of the latest run in `db` for `epoch`.
func latestLedger(db: String, epoch: Int) throws -> StoredLedger? {
    let store = try MetricsStore.open(path: db, readOnly: true)
    guard let run = try store.latestRun() else { return nil }
    return try store.loadLedger(run: run.runID, epoch: epoch)
}

/// The SHA-256 the summary prints.
func digest(_ out: String) -> String? {
    out.split(separator: "\n").first { $0.contains("sha256") }.flatMap { $0.split(separator: " ").last.map(String.init) }
}

/// A free loopback TCP port (bind to port 0, read it back, close).
func freePort() -> Int {
    let (fd, port) = loopbackSocket(listening: false)
    close(fd)
    return port
}

/// A TCP socket bound to a free loopback port (and listening, to hold the port against other binds); the caller
/// closes the descriptor.
func loopbackSocket(listening: Bool) -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET); addr.sin_port = 0; addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    if listening { _ = listen(fd, 1) }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return (fd, Int(UInt16(bigEndian: addr.sin_port)))
}

/// Polls until `condition` holds or `timeout` seconds pass.
func waitUntil(_ timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline { if condition() { return true }; Thread.sleep(forTimeInterval: 0.05) }
    return condition()
}

/// Number of committed steps recorded in a metrics database (via the public store API).
func committedSteps(db: String) -> Int {
    guard FileManager.default.fileExists(atPath: db), let store = try? MetricsStore.open(path: db, readOnly: true),
          let run = try? store.latestRun(), let steps = try? store.steps(run: run.runID) else { return 0 }
    return steps.count
}

/// A small non-spiking CNN (method ann: conv → BN → ReLU → avg pool → dense).
func writeTinyANNSpec(in dir: String) throws -> String {
    let spec = """
    {
      "name": "e2e-ann", "method": "ann", "timesteps": 1,
      "input": {"shape": [28, 28, 1], "encoding": "direct"},
      "neuron": {"surrogate": {"kind": "triangular"}},
      "layers": [
        {"type": "conv", "channels": 4, "kernel": 3, "padding": 1},
        {"type": "batchnorm", "epsilon": 0.001, "momentum": 0.1},
        {"type": "relu"},
        {"type": "avgpool", "size": 4},
        {"type": "flatten"},
        {"type": "dense", "units": 10}
      ],
      "output": {"readout": "mean-potential"},
      "training": {"epochs": 1, "batchSize": 32, "microBatch": 8,
                   "optimizer": {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": true, "weightDecay": 1e-4},
                   "initialization": {"kind": "kaiming-normal", "gain": 1}}
    }
    """
    let path = dir + "/tiny-ann.json"
    try spec.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
