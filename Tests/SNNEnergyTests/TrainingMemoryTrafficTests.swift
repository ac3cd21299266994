import Foundation
import Testing
import SNNEnergy

/// The training traffic derived from the counts (gradient buffer read-modify-writes, optimizer gradient reads and
/// weight write-back), worked out by hand.
///
/// Toy: two layers with 10 and 4 parameters, 3 optimizer steps made of 7 micro-batches. The trainer records one
/// optimizer weight read per parameter per step: 30 and 12. Derived, per layer: gradient RMW 2 × P × 7 = 140 and 56
/// words; gradient reads and write-backs P × 3 = 30 and 12 words each. cmos45-fp32 prices a weight word at the 1 MB
/// SRAM: 100 pJ per 64 bits = 50 pJ per 32-bit word.
@Suite("Training memory traffic derived from the counts, hand-worked")
struct TrainingMemoryTrafficTests {
    func ledger() -> EventLedger {
        var l = EventLedger(layerNames: ["fc1", "fc2"], timesteps: 2)
        var a = EventCounts(); a.weightReads = 30
        var b = EventCounts(); b.weightReads = 12
        l.record(.optimizer, layer: 0, t: 0, a)
        l.record(.optimizer, layer: 1, t: 0, b)
        return l
    }

    @Test func derivesParametersAndWordsExactly() throws {
        let t = try #require(TrainingMemoryTraffic.derive(ledger: ledger(), optimizerSteps: 3, microBatches: 7))
        #expect(t.parameters == [10, 4])
        let byName = Dictionary(uniqueKeysWithValues: t.terms.map { ($0.name, $0) })
        #expect(byName["gradient_rmw"]?.perLayer == [140, 56] && byName["gradient_rmw"]?.phase == .trainBackward)
        #expect(byName["gradient_reads"]?.perLayer == [30, 12] && byName["gradient_reads"]?.phase == .optimizer)
        #expect(byName["weight_write_back"]?.perLayer == [30, 12] && byName["weight_write_back"]?.phase == .optimizer)
        // Nothing to derive from: no steps, no micro-batches, or reads that are not whole steps' worth (30 / 4).
        #expect(TrainingMemoryTraffic.derive(ledger: ledger(), optimizerSteps: 0, microBatches: 7) == nil)
        #expect(TrainingMemoryTraffic.derive(ledger: ledger(), optimizerSteps: 3, microBatches: 0) == nil)
        #expect(TrainingMemoryTraffic.derive(ledger: ledger(), optimizerSteps: 4, microBatches: 7) == nil)
    }

    @Test func pricedAsWeightWordsInTheTablePhasesLayersAndPerStep() throws {
        let r = EnergyReport.price(ledger: ledger(), profile: try builtIn("cmos45-fp32"), samples: 0, trainingSteps: 3, microBatches: 7)
        let d = Dictionary(uniqueKeysWithValues: r.derivedTerms.map { ($0.name, $0) })
        #expect(d["gradient_rmw"]?.count == 196 && close(d["gradient_rmw"]?.energyJ, pJ(196 * 50)))
        #expect(d["gradient_reads"]?.count == 42 && close(d["gradient_reads"]?.energyJ, pJ(42 * 50)))
        #expect(d["weight_write_back"]?.count == 42 && close(d["weight_write_back"]?.energyJ, pJ(42 * 50)))
        // The counted optimizer weight reads (42 × 50 = 2,100) plus the derived 9,800 + 2,100 + 2,100.
        #expect(close(r.totalJ, pJ(16_100)))
        #expect(close(r.trainingJPerStep, pJ(16_100) / 3))
        #expect(close(r.phaseTotals.first { $0.phase == "train-backward" }?.energyJ, pJ(9_800)))
        #expect(close(r.phaseTotals.first { $0.phase == "optimizer" }?.energyJ, pJ(6_300)))
        // fc1: backward 140 × 50; optimizer (30 read + 30 gradient reads + 30 write-backs) × 50.
        #expect(close(r.layers[0].phaseEnergyJ["train-backward"], pJ(7_000)))
        #expect(close(r.layers[0].phaseEnergyJ["optimizer"], pJ(4_500)))
        #expect(close(r.layers[1].energyJ, pJ(2_800 + 1_800)))
        #expect(!r.isPartial && !r.trainingPartial)
        let text = r.text()
        #expect(text.contains("gradient accumulate RMW (words, derived) [train-backward]"))
        #expect(text.contains("weight write-back (words, derived) [optimizer]"))
        // JSON carries the derived lines.
        let back = try JSONDecoder().decode(EnergyReport.self, from: Data(r.json().utf8))
        #expect(back.derivedTerms == r.derivedTerms)
    }

    @Test func int8PricesTheWordsAt8BitsAndOnlyThePricedPhasesCount() throws {
        // cmos45-int8, 1 MB SRAM (100 pJ per 64 bits): a weight write-back is an 8-bit word, 12.5 pJ; a gradient word
        // is 32 bits whatever the weights' width, 50 pJ. Optimizer phase only: no RMW line.
        let r = EnergyReport.price(ledger: ledger(), profile: try builtIn("cmos45-int8"), phases: [.optimizer],
                                   samples: 0, trainingSteps: 3, microBatches: 7)
        #expect(r.derivedTerms.map(\.name) == ["gradient_reads", "weight_write_back"])
        #expect(close(r.derivedTerms[0].energyJ, pJ(42 * 50)) && close(r.derivedTerms[1].energyJ, pJ(42 * 12.5)))
    }

    @Test func profilesWithoutAWeightWordPriceLeaveThemUnpricedAndPartial() throws {
        // Loihi prices weight reads inside its synaptic op: no constant covers a gradient buffer.
        let r = EnergyReport.price(ledger: ledger(), profile: try builtIn("loihi2018"), samples: 0, trainingSteps: 3, microBatches: 7)
        #expect(r.derivedTerms.allSatisfy { $0.status == "unpriced" && $0.energyJ == nil })
        #expect(r.trainingPartial && r.isPartial)
        #expect(r.layers[0].partialPhases == ["train-backward", "optimizer"])
        #expect(r.phaseTotals.map(\.partial) == [false, false, true, true])   // inference, train-forward have no unpriced counts
        let text = r.text()
        #expect(text.contains("UNPRICED [loihi2018]: gradient accumulate RMW (words, derived) 196 (not counted, not zero)"))
        #expect(text.contains("(partial)"))
    }

    @Test func unknownMicroBatchCountIsSaidNotGuessed() throws {
        let r = EnergyReport.price(ledger: ledger(), profile: try builtIn("cmos45-fp32"), samples: 0, trainingSteps: 3)
        #expect(r.derivedTerms.isEmpty)
        #expect(r.profileNotes.contains { $0.contains("not derived") })
        #expect(close(r.totalJ, pJ(2_100)))
    }
}
