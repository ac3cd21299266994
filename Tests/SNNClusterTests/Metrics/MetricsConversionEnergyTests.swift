import Foundation
import Testing
import SNNCluster
import SNNEnergy

/// The ECC conversion table's energy figures come from the v2 model (the same `DataflowComparison` that
/// `snn-coord query --energy` prints for a run), are stored and read back, and are rendered as intervals and ratios.
///
/// Toy net (hand-worked in `DataflowComparisonTests`, one sample, T = 2): fc1 (4→3, 12 MACs) → if1 (3 IF) → fc2 (3→2,
/// 3 synaptic ops) → if2 (2 IF). Under cmos45-fp32 (event-driven, all data in the 8 KB class): SNN 311.3 pJ
/// [299.5 – 311.3], ANN under the same memory model 292.3 pJ [237.3 – 292.3]; literature 3×0.9 + 12×4.6 = 57.9 pJ
/// against 18 × 4.6 = 82.8 pJ.
@Suite("Metrics store: ECC conversion energy figures (v2 model)")
struct MetricsConversionEnergyTests {
    func toy() -> (EventLedger, [LayerShape]) {
        var l = EventLedger(layerNames: ["fc1", "if1", "fc2", "if2"], timesteps: 2)
        func c(macs: Int64 = 0, sops: Int64 = 0, nu: Int64 = 0, spikes: Int64 = 0, wr: Int64 = 0) -> EventCounts {
            EventCounts(fields: [macs, sops, nu, spikes, wr, nu, nu, 0, 0])
        }
        l.record(.inference, layer: 0, t: 0, c(macs: 12, wr: 12))
        l.record(.inference, layer: 1, t: 0, c(nu: 3, spikes: 1)); l.record(.inference, layer: 1, t: 1, c(nu: 3, spikes: 2))
        l.record(.inference, layer: 2, t: 0, c(sops: 1, wr: 1)); l.record(.inference, layer: 2, t: 1, c(sops: 2, wr: 2))
        l.record(.inference, layer: 3, t: 0, c(nu: 2)); l.record(.inference, layer: 3, t: 1, c(nu: 2, spikes: 1))
        return (l, [LayerShape(name: "fc1", kind: .weighted, weights: 12, inputs: 4, outputs: 3, annMACs: 12),
                    LayerShape(name: "if1", kind: .spiking, inputs: 3, outputs: 3, leaky: false),
                    LayerShape(name: "fc2", kind: .weighted, weights: 6, inputs: 3, outputs: 2, annMACs: 6),
                    LayerShape(name: "if2", kind: .spiking, inputs: 2, outputs: 2, leaky: false)])
    }

    func row(_ profile: String, energy: ConversionEnergy?, snnJ: Double?, cnnJ: Double?) -> ConversionRecord {
        var r = ConversionRecord(conversionID: "ecc-toy", source: "toy", modelPath: "/tmp/toy.snn", modelDigest: "00", timesteps: 2,
                                 thresholding: 0.5, bits: 0, profile: profile, cnnAccuracy: 0.9, closedFormAccuracy: 0.8,
                                 closedFormSamples: 1, steppedAccuracy: 0.8, steppedSamples: 1, closedFormSpikesPerSample: 4,
                                 steppedSpikesPerSample: 4, synapticOpsPerSample: 3, snnJoulesPerInference: snnJ,
                                 cnnJoulesPerInference: cnnJ, at: 1)
        r.energy = energy
        return r
    }

    @Test func figuresAreTheQueryEnergyComparisonStoredAndRendered() throws {
        let (ledger, shapes) = toy()
        let fp = try ProfileCatalog.load().profile(named: "cmos45-fp32")
        let c = try #require(DataflowComparison.price(ledger: ledger, shapes: shapes, profile: fp, samples: 1))
        let e = try #require(ConversionEnergy(c))
        #expect(abs(e.snnJ.nominal - 311.3e-12) < 1e-20 && abs(e.snnJ.low - 299.5e-12) < 1e-20)
        #expect(abs((e.annJ?.nominal ?? 0) - 292.3e-12) < 1e-20 && abs((e.annJ?.low ?? 0) - 237.3e-12) < 1e-20)
        #expect(abs((e.ratio?.nominal ?? 0) - 311.3 / 292.3) < 1e-12)
        #expect(abs((e.literatureRatio ?? 0) - 57.9 / 82.8) < 1e-12)
        // The same figures `snn-coord query --energy` prints for a run with these counts and layers.
        let report = EnergyReport.price(ledger: ledger, profile: fp, phases: [.inference], samples: 1, shapes: shapes)
        #expect(ConversionEnergy(report.comparison) == e)

        // Loihi: no MAC price, so no ANN and no ratio; fc1's 12 MACs leave the SNN figure partial.
        let lo = try #require(ConversionEnergy(DataflowComparison.price(ledger: ledger, shapes: shapes,
                                                                        profile: try ProfileCatalog.load().profile(named: "loihi2018"), samples: 1)))
        #expect(lo.annJ == nil && lo.ratio == nil && lo.snnPartial)

        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try MetricsStore.open(path: dir.appendingPathComponent("m.sqlite").path)
        try store.recordConversion([row("cmos45-fp32", energy: e, snnJ: e.snnJ.nominal, cnnJ: e.annJ?.nominal),
                                    row("loihi2018", energy: lo, snnJ: nil, cnnJ: nil)])
        let back = try store.conversions(id: "ecc-toy")
        #expect(back.first { $0.profile == "cmos45-fp32" }?.energy == e)
        #expect(back.first { $0.profile == "loihi2018" }?.energy == lo)
        let table = renderConversionTable(back)
        // µJ, %.4g: 311.3 pJ = 0.0003113 µJ; ratio 1.065 (low 299.5/237.3 = 1.262, high = nominal), 3 digits; literature 0.6993.
        #expect(table.contains("0.0003113 [0.0002995 – 0.0003113]"), "\(table)")
        #expect(table.contains("0.0002923 [0.0002373 – 0.0002923]"), "\(table)")
        #expect(table.contains("1.07 (1.26, 1.07)") && table.contains("0.699"), "\(table)")
        #expect(table.contains("profile loihi2018: energy per inference in µJ (CNN — µJ)"))
        #expect(table.contains(" partial"))
    }

    @Test func rowsWithoutV2FiguresKeepTheirStoredSingleFigures() throws {
        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try MetricsStore.open(path: dir.appendingPathComponent("m.sqlite").path)
        try store.recordConversion([row("cmos45-fp32", energy: nil, snnJ: 2.5e-6, cnnJ: 1.25e-6)])
        let back = try store.conversions()
        #expect(back.count == 1 && back[0].energy == nil)
        // µJ ≥ 10,000 print without an exponent.
        var big = row("cmos45-fp32", energy: ConversionEnergy(dataflow: "event-driven", snnJ: .init(low: 3.321e-4, nominal: 3.855e-3, high: 2.4821e-2),
                                                              snnPartial: false, annJ: nil, ratio: nil, literatureRatio: nil), snnJ: nil, cnnJ: nil)
        big.conversionID = "ecc-big"
        try store.recordConversion([big])
        #expect(renderConversionTable(try store.conversions(id: "ecc-big")).contains("3855 [332.1 – 24821]"))
        let table = renderConversionTable(back)
        #expect(table.contains("2.500") && table.contains("1.250") && table.contains("(CNN 1.250 µJ)"), "\(table)")
    }

    @Test func microBatchesOfTheRecordedSteps() throws {
        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try MetricsStore.open(path: dir.appendingPathComponent("m.sqlite").path)
        try writeSampleRun(store)
        // Steps of 64, 64, 32 (epoch 1) and 64, 64 (epoch 2) samples, ⌈s / micro-batch⌉ each.
        #expect(try store.microBatchCount(run: "r1", microBatch: 16) == 4 + 4 + 2 + 4 + 4)
        #expect(try store.microBatchCount(run: "r1", epochs: [1], microBatch: 16) == 10)
        #expect(try store.microBatchCount(run: "r1", microBatch: 48) == 2 + 2 + 1 + 2 + 2)
        #expect(try store.microBatchCount(run: "nope", microBatch: 16) == 0)
    }
}
