import Foundation
import SNNCluster
import SNNEnergy

/// A fresh temporary directory for one test's database.
func metricsTempDir() throws -> URL {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("snn-metrics-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    return d
}

let t0 = Date(timeIntervalSince1970: 1_800_000_000)

/// One layer × 2 steps: inference 10 SOPs + 4 MACs + 3 spikes; train-forward 6 MACs.
func smallLedger() -> EventLedger {
    var l = EventLedger(layerNames: ["conv1", "fc1"], timesteps: 2)
    var inf = EventCounts(); inf.synapticOps = 5; inf.macs = 2; inf.spikes = 1
    l.record(.inference, layer: 0, t: 0, inf)
    l.record(.inference, layer: 1, t: 1, inf)
    var sp = EventCounts(); sp.spikes = 1
    l.record(.inference, layer: 1, t: 0, sp)
    var tf = EventCounts(); tf.macs = 6; tf.savedStateWrites = 8
    l.record(.trainForward, layer: 1, t: 1, tf)
    return l
}

/// Writes run "r1": 2 epochs (3 + 2 steps), test/train evals, layer spikes, ledgers, wire, membership, a checkpoint.
func writeSampleRun(_ store: MetricsStore, finish: Bool = true) throws {
    try store.beginRun(RunRecord(runID: "r1", name: "fmnist-bntt", method: "bntt", specJSON: "{\"T\": 4}", seed: 42,
                                 startedAt: t0, buildID: "abc123-native", datasetFingerprint: "fmnist:sha256:00ff"))
    let e1: [(Double, Double, Int, Double)] = [(1.0, 0.5, 64, 500), (0.5, 0.75, 64, 500), (0.25, 0.875, 32, 250)]
    for (i, s) in e1.enumerated() {
        try store.recordStep("r1", StepRecord(epoch: 1, step: i, loss: s.0, accuracy: s.1, samples: s.2, samplesPerSec: 100,
                                              lr: 0.1, wallMs: s.3, computeMs: s.3 / 2, codecMs: 10, wireMs: 20, waitMs: 5,
                                              parameterVersion: Int64(i + 1), workers: 2))
    }
    for i in 0..<2 {
        try store.recordStep("r1", StepRecord(epoch: 2, step: i, loss: 0.5 - 0.25 * Double(i), accuracy: 0.9, samples: 64,
                                              wallMs: 500, parameterVersion: Int64(4 + i), workers: 3))
    }
    try store.recordEval("r1", EvalRecord(epoch: 1, split: "test", loss: 0.5, accuracy: 0.8125, samples: 100,
                                          spikesPerSample: 1234.5))
    try store.recordEval("r1", EvalRecord(epoch: 1, split: "train", loss: 0.4, accuracy: 0.84375, samples: 160))
    try store.recordEval("r1", EvalRecord(epoch: 2, split: "test", loss: 0.375, accuracy: 0.875, samples: 100,
                                          spikesPerSample: 1000, exitStep: 3.5))
    try store.recordLayerSpikes("r1", epoch: 1, split: "test", [LayerSpikes(layer: 0, name: "conv1", spikesPerSample: 100.5),
                                                              LayerSpikes(layer: 1, name: "fc1", spikesPerSample: 20.25)])
    try store.recordLedger("r1", epoch: 1, ledger: smallLedger(), samples: [.inference: 100, .trainForward: 160])
    try store.recordLedger("r1", epoch: 2, ledger: smallLedger(), samples: [.inference: 100, .trainForward: 128])
    try store.addWire("r1", epoch: 1, kind: "gradient", messages: 3, rawBytes: 3000, wireBytes: 2900)
    try store.addWire("r1", epoch: 1, kind: "gradient", messages: 1, rawBytes: 1000, wireBytes: 100)
    try store.addWire("r1", epoch: 1, kind: "spikes", messages: 2, rawBytes: 800, wireBytes: 200)
    try store.addWire("r1", epoch: 2, kind: "gradient", messages: 2, rawBytes: 2000, wireBytes: 1000)
    try store.recordMembership("r1", MembershipRecord(at: t0, workerID: "w1", workerName: "node-a", event: .joined))
    try store.recordMembership("r1", MembershipRecord(at: t0 + 1, workerID: "w2", workerName: "node-b", event: .joined))
    try store.recordMembership("r1", MembershipRecord(at: t0 + 5, workerID: "w2", workerName: "node-b", event: .lost,
                                                      detail: "silent for 3 s"))
    try store.recordMembership("r1", MembershipRecord(at: t0 + 9, workerID: "w2", workerName: "node-b", event: .joined))
    try store.recordMembership("r1", MembershipRecord(at: t0 + 10, workerID: "w9", workerName: "stranger", event: .refused,
                                                      detail: "key not on the allow-list"))
    try store.recordCheckpoint("r1", CheckpointRecord(epoch: 1, step: 2, path: "/ckpt/r1-e1.ckpt", digest: "d-e1", at: t0 + 60))
    if finish {
        try store.finishRun("r1", digest: "d-final", status: .completed, at: t0 + 120)
    }
}
