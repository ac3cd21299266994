import Foundation
import Testing
import SNNEnergy

/// The full-model comparison on a toy net whose every term is worked out by hand (pJ, one sample, T = 2):
///
/// fc1 (4→3, analog input, computed once: 12 MACs, 12 weight reads) → if1 (3 IF neurons: 6 updates, 3 spikes)
/// → fc2 (3→2, 3 synaptic ops, 3 weight reads) → if2 (2 IF neurons: 4 updates, 1 spike).
/// cmos45-fp32: MAC 4.6, AC 0.9, IF update 1.8, address 0.1; every datum fits 8 KB: 10 pJ per 64 bits = 5 pJ per
/// 32-bit word, 10/64 pJ per 1-bit read.
@Suite("Full-model SNN/ANN comparison, hand-worked")
struct DataflowComparisonTests {
    func toy() -> (EventLedger, [LayerShape]) {
        var l = EventLedger(layerNames: ["fc1", "if1", "fc2", "if2"], timesteps: 2)
        func c(macs: Int64 = 0, sops: Int64 = 0, nu: Int64 = 0, spikes: Int64 = 0, wr: Int64 = 0) -> EventCounts {
            EventCounts(fields: [macs, sops, nu, spikes, wr, nu, nu, 0, 0])
        }
        l.record(.inference, layer: 0, t: 0, c(macs: 12, wr: 12))
        l.record(.inference, layer: 1, t: 0, c(nu: 3, spikes: 1)); l.record(.inference, layer: 1, t: 1, c(nu: 3, spikes: 2))
        l.record(.inference, layer: 2, t: 0, c(sops: 1, wr: 1)); l.record(.inference, layer: 2, t: 1, c(sops: 2, wr: 2))
        l.record(.inference, layer: 3, t: 0, c(nu: 2)); l.record(.inference, layer: 3, t: 1, c(nu: 2, spikes: 1))
        let shapes = [
            LayerShape(name: "fc1", kind: .weighted, weights: 12, inputs: 4, outputs: 3, annMACs: 12),
            LayerShape(name: "if1", kind: .spiking, inputs: 3, outputs: 3, leaky: false),
            LayerShape(name: "fc2", kind: .weighted, weights: 6, inputs: 3, outputs: 2, annMACs: 6),
            LayerShape(name: "if2", kind: .spiking, inputs: 2, outputs: 2, leaky: false),
        ]
        return (l, shapes)
    }

    @Test func eventDrivenEveryTermByHand() throws {
        let (ledger, shapes) = toy()
        let c = try #require(DataflowComparison.price(ledger: ledger, shapes: shapes, profile: try builtIn("cmos45-fp32"), samples: 1))
        // fc1: 12×4.6 + 12 weights×5 + (12/12 steps × 3 outputs) membrane RMW × (5+5) = 55.2 + 60 + 30
        #expect(close(c.layers[0].snnJ.nominal, pJ(145.2)))
        // if1: 6×1.8 + 6×(5+5) + 3 spikes × 0.1; fed by MACs, so no low-end saving
        #expect(close(c.layers[1].snnJ.nominal, pJ(71.1)) && close(c.layers[1].snnJ.low, pJ(71.1)))
        // fc2: 3×0.9 + 3×5 + 3 synaptic ops × membrane RMW (5+5)
        #expect(close(c.layers[2].snnJ.nominal, pJ(47.7)))
        // if2: 4×1.8 + 4×10 + 0.1; low end: only min(4, 3 synaptic ops in) = 3 updates: 5.4 + 30 + 0.1
        #expect(close(c.layers[3].snnJ.nominal, pJ(47.3)) && close(c.layers[3].snnJ.low, pJ(35.5)))
        #expect(close(c.snnJ.nominal, pJ(311.3)) && close(c.snnJ.low, pJ(299.5)) && close(c.snnJ.high, pJ(311.3)))
        // ANN, same memory: fc1 12×4.6 + 12 weight + 12 input reads ×5 + 3 outputs ×5 = 190.2 (low: inputs read once, 4×5: 150.2);
        // ReLU 3×0.9; fc2 6×4.6 + 30 + 30 + 10 = 97.6 (low 82.6); ReLU 2×0.9.
        let ann = try #require(c.annJ)
        #expect(close(ann.nominal, pJ(292.3)) && close(ann.low, pJ(237.3)) && close(ann.high, pJ(292.3)))
        let r = try #require(c.ratio)
        #expect(close(r.nominal, 311.3 / 292.3) && close(r.low, 299.5 / 237.3))
        #expect(c.layers.allSatisfy { $0.weightClass.isEmpty || $0.weightClass == "sram8KB" })
        #expect(!c.isPartial && c.dataflow == "event-driven")
    }

    @Test func outputStationaryEveryTermByHand() throws {
        let (ledger, shapes) = toy()
        var p = try builtIn("cmos45-fp32")
        p.dataflow = .outputStationary
        let c = try #require(DataflowComparison.price(ledger: ledger, shapes: shapes, profile: p, samples: 1))
        // fc1 as before (MAC-fed): 145.2; if1 without address computation: 10.8 + 60
        #expect(close(c.layers[0].snnJ.nominal, pJ(145.2)) && close(c.layers[1].snnJ.nominal, pJ(70.8)))
        // fc2: 2.7 + 15 weights + membrane in a register, one RMW per neuron per step (2×2×10 = 40)
        //      + every input spike of the receptive field read, 6 ANN MACs × 2 steps × 1 bit × 10/64 = 1.875
        #expect(close(c.layers[2].snnJ.nominal, pJ(59.575)))
        // if2: 7.2 + 40, every step (no event-driven saving at the low end)
        #expect(close(c.layers[3].snnJ.nominal, pJ(47.2)) && close(c.layers[3].snnJ.low, pJ(47.2)))
        #expect(close(c.snnJ.nominal, pJ(322.775)))
        #expect(close(c.annJ?.nominal, pJ(292.3)))   // the ANN does not depend on the SNN's dataflow
    }

    @Test func memorySizedPerLayerWithARangeAcrossClassesAndDRAM() throws {
        // Two weighted layers, 10 weight reads each: 3,000 fp32 weights (12 KB → 32 KB SRAM, 10 pJ/word) and
        // 300,000 (1.2 MB → DRAM, 650 pJ/word at 1.3 nJ per 64 bits). Low: all at 8 KB (5 pJ/word).
        // High: one memory for all 1.212 MB of weights → DRAM at its high end, 1300 pJ/word.
        var l = EventLedger(layerNames: ["small", "big"], timesteps: 1)
        var e = EventCounts(); e.weightReads = 10
        l.record(.inference, layer: 0, t: 0, e); l.record(.inference, layer: 1, t: 0, e)
        let shapes = [LayerShape(name: "small", kind: .weighted, weights: 3_000, inputs: 0, outputs: 0),
                      LayerShape(name: "big", kind: .weighted, weights: 300_000, inputs: 0, outputs: 0)]
        let c = try #require(DataflowComparison.price(ledger: l, shapes: shapes, profile: try builtIn("cmos45-fp32"), samples: 1))
        #expect(c.layers[0].weightClass == "sram32KB" && c.layers[1].weightClass == "dram")
        #expect(close(c.snnJ.nominal, pJ(10 * 10 + 10 * 650)))
        #expect(close(c.snnJ.low, pJ(20 * 5)))
        #expect(close(c.snnJ.high, pJ(20 * 1300)))
    }

    @Test func profilesWithoutMacOrMemoryStayHonest() throws {
        let (ledger, shapes) = toy()
        // TrueNorth: 3 synaptic ops × 26 pJ; fc1's 12 MACs unpriced (partial); no ANN (no MAC price).
        let tn = try #require(DataflowComparison.price(ledger: ledger, shapes: shapes, profile: try builtIn("truenorth2014"), samples: 1))
        #expect(close(tn.snnJ.nominal, pJ(78)) && close(tn.snnJ.low, pJ(78)))
        #expect(tn.isPartial && tn.unpricedSNN == ["MACs: 12 per sample"])
        #expect(tn.annJ == nil && tn.ratio == nil && tn.annUnpricedReason != nil)
        // Loihi: 3×23.6 + 10 updates×81 + 4 spikes×1.7; the same 12 MACs unpriced.
        let lo = try #require(DataflowComparison.price(ledger: ledger, shapes: shapes, profile: try builtIn("loihi2018"), samples: 1))
        #expect(close(lo.snnJ.nominal, pJ(70.8 + 810 + 6.8)) && lo.isPartial)
    }

    @Test func reportPrintsTheComparisonBeforeTheLiteratureFigure() throws {
        let (ledger, shapes) = toy()
        let r = EnergyReport.price(ledger: ledger, profile: try builtIn("cmos45-fp32"), phases: [.inference], samples: 1,
                                   annMacsPerSample: 18, shapes: shapes)
        let text = r.text()
        let full = try #require(text.range(of: "full-model SNN vs equivalent ANN [cmos45-fp32]"))
        let lit = try #require(text.range(of: "literature-style figure"))
        #expect(full.lowerBound < lit.lowerBound)
        #expect(text.contains("  SNN: 311.3 pJ [299.5 pJ – 311.3 pJ]"))
        // IF updates priced apart in the term table: 10 × 1.8
        #expect(close(r.terms.first { $0.term == .ifUpdate }?.energyJ, pJ(18)))
        #expect(r.terms.first { $0.term == .neuronUpdate }?.count == 0)
        // Literature: 3 SOPs × 0.9 + 12 MACs × 4.6 vs 18 × 4.6
        #expect(close(r.literature?.snnJPerSample, pJ(2.7 + 55.2)) && close(r.literature?.annJPerSample, pJ(82.8)))
        // JSON carries the same content.
        let back = try JSONDecoder().decode(EnergyReport.self, from: Data(r.json().utf8))
        #expect(back.comparison == r.comparison && back.layerCounts.count == 4)
    }

    @Test func foldedBatchNormIsNotChargedAtInferenceButPerStepBNIs() throws {
        var l = EventLedger(layerNames: ["bn"], timesteps: 1)
        var e = EventCounts(); e.macs = 100
        l.record(.inference, layer: 0, t: 0, e)
        let folded = [LayerShape(name: "bn", kind: .batchNorm, inputs: 100, outputs: 100, foldedAtInference: true)]
        let perStep = [LayerShape(name: "bn", kind: .batchNorm, inputs: 100, outputs: 100, foldedAtInference: false)]
        let fp = try builtIn("cmos45-fp32")
        #expect(EnergyReport.price(ledger: l, profile: fp, samples: 1, shapes: folded).totalJ == 0)
        #expect(close(EnergyReport.price(ledger: l, profile: fp, samples: 1, shapes: perStep).totalJ, pJ(460)))
        #expect(DataflowComparison.price(ledger: l, shapes: folded, profile: fp, samples: 1)?.snnJ.nominal == 0)
    }

    @Test func userDefinedTermsArePricedInTheTableAndTheComparison() throws {
        let (ledger, shapes) = toy()
        let json = try String(contentsOf: ProfileCatalog.builtInDirectory().appendingPathComponent("cmos45-fp32.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"name\": \"cmos45-fp32\"", with: "\"name\": \"mesh\"")
            .replacingOccurrences(of: "\"terms\": {", with: """
            "terms": {
                "routingHop": {"pJ": 3, "grade": "pre-silicon", "source": "Davies 2018: 3.0 pJ per tile hop", "counts": {"spikes": 2}},
                "staticPower": {"pJ": 1000, "grade": "assumption", "source": "1 mW at 1 µs per step", "counts": {"timesteps": 1}},
            """)
        let p = try EnergyProfile.parse(Data(json.utf8), file: "mesh.json")
        #expect(p.customTerms.map(\.name) == ["routingHop", "staticPower"])
        let r = EnergyReport.price(ledger: ledger, profile: p, phases: [.inference], samples: 1, shapes: shapes)
        // 4 spikes × 2 hops × 3 pJ = 24; 1 sample × 2 steps × 1000 pJ = 2000
        let hop = try #require(r.customTerms.first { $0.name == "routingHop" })
        #expect(hop.count == 8 && close(hop.energyJ, pJ(24)))
        #expect(close(r.customTerms.first { $0.name == "staticPower" }?.energyJ, pJ(2000)))
        #expect(close(r.comparison?.snnJ.nominal, pJ(311.3 + 24 + 2000)))
        let base = EnergyReport.price(ledger: ledger, profile: try builtIn("cmos45-fp32"), phases: [.inference], samples: 1, shapes: shapes)
        #expect(close(r.totalJ, base.totalJ + pJ(2024)))
        #expect(r.text().contains("routingHop"))
    }
}
