import Foundation
import Testing
import SNNCluster

/// The worker timeline: what the coordinator's buffer records for hand-outs, results, deaths and late answers,
/// and that the store gives the rows back; rasters round-trip through the store bit for bit.
@Suite struct MetricsMicroBatchTimelineTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func deathRequeuesOpenHandOutsAndLateAnswersAreNotRecorded() throws {
        let tl = MicroBatchTimeline()
        let a = WorkKey(epoch: 0, step: 3, microBatch: 0, phase: .train), b = WorkKey(epoch: 0, step: 3, microBatch: 1, phase: .train)
        tl.assigned(a, worker: "w1", name: "one", samples: 8, at: t0)
        tl.assigned(b, worker: "w1", name: "one", samples: 8, at: t0)
        tl.finished(a, worker: "w1", at: t0 + 1)
        tl.requeued([b], worker: "w1", at: t0 + 4)              // w1 declared dead
        tl.assigned(b, worker: "w2", name: "two", samples: 8, at: t0 + 4)
        tl.finished(b, worker: "w1", at: t0 + 5)                // w1's late answer: not w2's hand-out, ignored
        tl.finished(b, worker: "w2", at: t0 + 6)
        let rows = tl.drain()
        #expect(rows.map(\.outcome) == [.done, .requeued, .done])
        #expect(rows.map(\.workerID) == ["w1", "w1", "w2"])
        #expect(rows.map(\.duration) == [1, 4, 2])
        #expect(rows[1].microBatch == 1 && rows[1].step == 3 && rows[1].phase == "train")
        #expect(tl.drain().isEmpty)

        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try MetricsStore.open(path: dir.appendingPathComponent("m.sqlite").path)
        try store.beginRun(RunRecord(runID: "r", name: "n", method: "bntt", specJSON: "{}", seed: 1, startedAt: t0))
        try store.recordMicroBatches("r", rows)
        #expect(try store.microBatches(run: "r") == rows)
    }

    @Test func rasterRowsRoundTrip() throws {
        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try MetricsStore.open(path: dir.appendingPathComponent("m.sqlite").path)
        try store.beginRun(RunRecord(runID: "r", name: "n", method: "dsr", specJSON: "{}", seed: 1, startedAt: t0))
        let spikes: [UInt8] = [1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1]    // 1 step × 11 neurons
        let wire = SpikeRaster(epoch: 0, sample: 4, layer: 2, steps: 1, neurons: 11, spikes: spikes)
        let rec = SpikeRasterRecord(epoch: 0, sample: 4, layer: 2, name: "lif1", steps: 1, neurons: 11, spikes: Int(wire.spikeCount),
                                    bits: wire.bits, wireBytes: 77)
        try store.recordRaster("r", rec)
        try store.recordRaster("r", rec)                          // re-sent: replaced, not duplicated
        let back = try store.rasters(run: "r")
        #expect(back == [rec])
        #expect((0..<11).map { back[0].fired(t: 0, n: $0) ? UInt8(1) : 0 } == spikes)
        #expect(back[0].spikes == 5)
    }
}
