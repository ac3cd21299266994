import Foundation
import Testing
import SNNCluster
import SNNEnergy

@Suite("Metrics store: writing, reading back, concurrency")
struct MetricsStoreTests {
    @Test func summaryAggregatesEpochsExactly() throws {
        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try MetricsStore.open(path: dir.appendingPathComponent("m/metrics.sqlite").path)
        try writeSampleRun(store)
        let s = try store.summary(run: "r1")

        #expect(s.run.status == .completed && s.run.seed == 42 && s.run.finishedAt == t0 + 120)
        #expect(s.epochs.map(\.epoch) == [1, 2])
        let e1 = s.epochs[0], e2 = s.epochs[1]
        #expect(e1.steps == 3 && e1.samples == 160)
        let weighted: Double = (64.0 + 32.0 + 8.0) / 160.0  // Σ loss·samples ÷ Σ samples
        #expect(e1.meanLoss == weighted)
        #expect(e1.lastAccuracy == 0.875)
        #expect(e1.testAccuracy == 0.8125 && e1.testLoss == 0.5)
        #expect(e1.samplesPerSec == 128)                     // 160 samples / 1.25 s
        #expect(e1.wallSeconds == 1.25 && e1.computeSeconds == 0.625 && e1.codecSeconds == 0.03)
        #expect(e1.parameterVersion == 3)
        #expect(e1.evals.map(\.split) == ["test", "train"])
        #expect(e1.layerSpikes["test"] == [LayerSpikes(layer: 0, name: "conv1", spikesPerSample: 100.5),
                                           LayerSpikes(layer: 1, name: "fc1", spikesPerSample: 20.25)])
        #expect(e2.meanLoss == 0.375 && e2.samplesPerSec == 128 && e2.testAccuracy == 0.875)
        #expect(e2.evals.first?.exitStep == 3.5)

        // counters: the small ledger per epoch, twice over the run
        let inf1 = try #require(e1.counters.first { $0.phase == "inference" })
        #expect(inf1.samples == 100 && inf1.counts.synapticOps == 10 && inf1.counts.macs == 4 && inf1.counts.spikes == 3)
        #expect(e1.counters.map(\.phase) == ["inference", "train-forward"])
        #expect(s.counters.map(\.phase) == ["inference", "train-forward"])
        #expect(s.counters[0].counts.synapticOps == 20 && s.counters[0].samples == 200)
        #expect(s.counters[1].counts.macs == 12 && s.counters[1].counts.savedStateWrites == 16 && s.counters[1].samples == 288)

        // wire accumulates per kind; ratio = raw / wire
        #expect(e1.wire == [WireTotal(kind: "gradient", messages: 4, rawBytes: 4000, wireBytes: 3000),
                            WireTotal(kind: "spikes", messages: 2, rawBytes: 800, wireBytes: 200)])
        #expect(s.wire == [WireTotal(kind: "gradient", messages: 6, rawBytes: 6000, wireBytes: 4000),
                           WireTotal(kind: "spikes", messages: 2, rawBytes: 800, wireBytes: 200)])
        #expect(s.wire[0].ratio == 1.5 && s.wire[1].ratio == 4)

        #expect(s.workers.joined == 3 && s.workers.lost == 1 && s.workers.left == 0 && s.workers.refused == 1)
        #expect(s.workers.distinctWorkers == 2)
        #expect(s.latestParameterDigest == "d-final")
        #expect(s.latestCheckpoint?.digest == "d-e1")
    }

    @Test func runningRunReportsLatestCheckpointDigest() throws {
        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try MetricsStore.open(path: dir.appendingPathComponent("metrics.sqlite").path)
        try writeSampleRun(store, finish: false)
        let s = try store.summary(run: "r1")
        #expect(s.run.status == .running && s.run.finishedAt == nil)
        #expect(s.latestParameterDigest == "d-e1")
    }

    @Test func reRecordingAStepReplacesItInsteadOfDuplicating() throws {
        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try MetricsStore.open(path: dir.appendingPathComponent("metrics.sqlite").path)
        try writeSampleRun(store)
        try store.recordStep("r1", StepRecord(epoch: 1, step: 1, loss: 0.125, accuracy: 0.75, samples: 64, wallMs: 500))
        try store.recordStep("r1", StepRecord(epoch: 1, step: 1, loss: 0.125, accuracy: 0.75, samples: 64, wallMs: 500))
        let steps = try store.steps(run: "r1")
        #expect(steps.count == 5)
        #expect(steps.filter { $0.epoch == 1 && $0.step == 1 }.map(\.loss) == [0.125])
        #expect(try store.steps(run: "r1", last: 2).map { [$0.epoch, $0.step] } == [[2, 0], [2, 1]])
    }

    @Test func resumingARunKeepsItsRowAndMarksItRunning() throws {
        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try MetricsStore.open(path: dir.appendingPathComponent("metrics.sqlite").path)
        try writeSampleRun(store)
        let again = try store.beginRun(RunRecord(runID: "r1", name: "other", method: "bntt", specJSON: "{}", seed: 1,
                                                 startedAt: t0 + 500))
        #expect(!again)
        let r = try store.run("r1")
        #expect(r.status == .running && r.finishedAt == nil && r.name == "fmnist-bntt" && r.startedAt == t0)
        try store.beginRun(RunRecord(runID: "r2", name: "b", method: "dsr", specJSON: "{}", seed: 7, startedAt: t0 + 1000))
        #expect(try store.runs().map(\.runID) == ["r1", "r2"])
        #expect(try store.latestRun()?.runID == "r2")
    }

    @Test func storedLedgerSumsEpochsAndRepricesWithoutRerunning() throws {
        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try MetricsStore.open(path: dir.appendingPathComponent("metrics.sqlite").path)
        try writeSampleRun(store)
        let all = try #require(try store.loadLedger(run: "r1"))
        var twice = smallLedger()
        twice.add(smallLedger())
        #expect(all.ledger == twice)
        #expect(all.samples == [.inference: 200, .trainForward: 288])
        #expect(all.epochs == [1, 2] && all.trainingSteps == 5)

        let one = try #require(try store.loadLedger(run: "r1", epoch: 2))
        #expect(one.ledger == smallLedger() && one.samples[.inference] == 100 && one.trainingSteps == 2)
        #expect(try store.loadLedger(run: "nope") == nil)

        // Re-score the stored run under two profiles: inference 20 SOPs + 8 MACs over 200 samples.
        let catalog = try ProfileCatalog.load()
        let fp = all.energyReport(profile: try catalog.profile(named: "cmos45-fp32"), phases: [.inference])
        let tn = all.energyReport(profile: try catalog.profile(named: "truenorth2014"), phases: [.inference])
        // + the address computation of the 6 inference spikes (0.1 pJ each)
        #expect(abs(fp.totalJ - (20 * 0.9 + 8 * 4.6 + 6 * 0.1) * 1e-12) < 1e-24)
        #expect(abs(tn.totalJ - 20 * 26e-12) < 1e-24)
        #expect(fp.samples == 200 && fp.literature?.synapticOpsPerSample == 0.1)

        // Re-recording an epoch's ledger replaces it.
        try store.recordLedger("r1", epoch: 2, ledger: smallLedger(), samples: [.inference: 100, .trainForward: 128])
        #expect(try store.loadLedger(run: "r1")?.ledger == twice)
    }

    @Test func readOnlyReaderSeesCommitsWhileAnotherConnectionWrites() async throws {
        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("metrics.sqlite").path
        let writer = try MetricsStore.open(path: path)
        try writeSampleRun(writer, finish: false)
        let reader = try MetricsStore.open(path: path, readOnly: true)
        #expect(reader.isReadOnly)
        #expect(try reader.steps(run: "r1").count == 5)

        // The writer commits 200 more steps on another thread while the reader keeps querying.
        let writing = Task.detached {
            for i in 0..<200 {
                try writer.recordStep("r1", StepRecord(epoch: 3, step: i, loss: 0.1, accuracy: 0.9, samples: 16, wallMs: 1))
            }
        }
        var seen: [Int] = []
        for _ in 0..<50 {
            seen.append(try reader.steps(run: "r1").count)
            _ = try reader.summary(run: "r1")
            await Task.yield()
        }
        try await writing.value
        #expect(seen == seen.sorted())           // never goes back: readers see whole commits only
        #expect(try reader.steps(run: "r1").count == 205)
        #expect(try reader.summary(run: "r1").epochs.last?.samples == 3200)

        let e = #expect(throws: MetricsStoreError.self) {
            try reader.recordStep("r1", StepRecord(epoch: 9, step: 0, samples: 1))
        }
        #expect(e?.description == "metrics database '\(path)': opened read-only; cannot record")
    }

    @Test func queryReadsADatabaseWhoseWriterHasExited() throws {
        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("metrics.sqlite").path
        do {
            let writer = try MetricsStore.open(path: path)
            try writeSampleRun(writer)
        }  // last connection closed: SQLite checkpoints and removes the -wal and -shm files
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let reader = try MetricsStore.open(path: path, readOnly: true)
        #expect(try reader.summary(run: "r1").epochs.count == 2)
    }

    @Test func nonFiniteLossSurvivesTheRoundTrip() throws {
        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try MetricsStore.open(path: dir.appendingPathComponent("metrics.sqlite").path)
        try store.beginRun(RunRecord(runID: "r", name: "n", method: "dsr", specJSON: "{}", seed: 0, startedAt: t0))
        try store.recordStep("r", StepRecord(epoch: 0, step: 0, loss: .nan, samples: 8))
        try store.recordStep("r", StepRecord(epoch: 0, step: 1, loss: .infinity, samples: 8))
        let steps = try store.steps(run: "r")
        #expect(steps[0].loss?.isNaN == true && steps[1].loss == .infinity)
    }

    @Test func unwritablePathGivesOneLineNamingIt() throws {
        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("plain-file")
        try "x".write(to: file, atomically: true, encoding: .utf8)
        let path = file.appendingPathComponent("sub/metrics.sqlite").path
        let e = #expect(throws: MetricsStoreError.self) { try MetricsStore.open(path: path) }
        #expect(e?.path == path)
        #expect(e?.description.hasPrefix("metrics database '\(path)': cannot create its directory") == true)
        #expect(e?.description.contains("\n") == false)

        let missing = dir.appendingPathComponent("none.sqlite").path
        let e2 = #expect(throws: MetricsStoreError.self) { try MetricsStore.open(path: missing, readOnly: true) }
        #expect(e2?.description.contains("does not exist") == true)

        let e3 = #expect(throws: MetricsStoreError.self) { try MetricsStore.open(path: dir.path) }  // a directory
        #expect(e3?.description.hasPrefix("metrics database '\(dir.path)': cannot open") == true)
    }

    @Test func unknownRunListsKnownOnesAndForeignDatabaseIsRefused() throws {
        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("metrics.sqlite").path
        let store = try MetricsStore.open(path: path)
        try writeSampleRun(store)
        let e = #expect(throws: MetricsStoreError.self) { try store.summary(run: "r7") }
        #expect(e?.message == "no run 'r7' (known: r1)")

        let foreign = dir.appendingPathComponent("other.sqlite").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [foreign, "CREATE TABLE t(x);"]
        try p.run()
        p.waitUntilExit()
        let e2 = #expect(throws: MetricsStoreError.self) { try MetricsStore.open(path: foreign) }
        #expect(e2?.message.contains("not a metrics database") == true)
    }

    @Test func partialEpochTrainingCountersArePricedNotDropped() throws {
        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try MetricsStore.open(path: dir.appendingPathComponent("metrics.sqlite").path)
        try writeSampleRun(store)
        let before = try #require(try store.loadLedger(run: "r1"))
        // Epoch 3 stopped mid-way: only its training counters exist (12 MACs in train-forward, no evaluation).
        var partial = EventLedger(layerNames: ["conv1", "fc1"], timesteps: 2)
        var tf = EventCounts(); tf.macs = 12
        partial.record(.trainForward, layer: 0, t: 0, tf)
        try store.recordLedger("r1", epoch: 3, ledger: partial, samples: [.trainForward: 64, .trainBackward: 64, .optimizer: 64])
        let after = try #require(try store.loadLedger(run: "r1"))
        #expect(after.epochs == [1, 2, 3])
        #expect(after.ledger.total(.trainForward).macs == before.ledger.total(.trainForward).macs + 12)
        #expect(after.samples[.inference] == before.samples[.inference])   // per-sample inference figures unchanged
        let fp = try ProfileCatalog.load().profile(named: "cmos45-fp32")
        let e0 = before.energyReport(profile: fp), e1 = after.energyReport(profile: fp)
        #expect(abs(e1.totalJ - e0.totalJ - 12 * 4.6e-12) < 1e-22)
        #expect(e1.inferenceJPerSample == e0.inferenceJPerSample)
        #expect(try store.loadLedger(run: "r1", epoch: 3)?.ledger.total(.trainForward).macs == 12)
    }
}
