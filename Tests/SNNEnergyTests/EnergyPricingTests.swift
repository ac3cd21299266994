import Foundation
import Testing
import SNNEnergy

@Suite("Energy pricing under the built-in profiles")
struct EnergyPricingTests {
    @Test func builtInCatalogHoldsTheFourProfiles() throws {
        let cat = try ProfileCatalog.load()
        #expect(cat.names == ["cmos45-fp32", "cmos45-int8", "loihi2018", "truenorth2014"])
        #expect(ProfileCatalog.defaultProfileName == "cmos45-fp32")
    }

    @Test func cmos45fp32PricesEveryTermExactly() throws {
        let r = EnergyReport.price(ledger: handLedger(), profile: try builtIn("cmos45-fp32"), samples: 2, trainingSteps: 5)
        let byTerm = Dictionary(uniqueKeysWithValues: r.terms.map { ($0.term, $0) })
        #expect(close(byTerm[.mac]?.energyJ, pJ(245 * 4.6)))
        #expect(close(byTerm[.synapticOp]?.energyJ, pJ(60 * 0.9)))
        #expect(close(byTerm[.neuronUpdate]?.energyJ, pJ(30 * 5.5)))
        #expect(close(byTerm[.weightRead]?.energyJ, pJ(260 * 50)))      // 100 pJ per 64-bit 1 MB read, half per word
        #expect(close(byTerm[.membraneRead]?.energyJ, pJ(30 * 10)))     // 32 KB: 20 pJ / 2
        #expect(close(byTerm[.savedStateWrite]?.energyJ, pJ(50 * 650))) // DRAM 1.3 nJ / 2
        #expect(close(byTerm[.spike]?.energyJ, pJ(7 * 0.1)))               // address computation, one int32 add
        #expect(byTerm[.spike]?.count == 7)
        #expect(r.unpriced.isEmpty && !r.isPartial)

        // inference 920 + 54 + 165 + 0.7 + 13000 + 300 + 300 = 14739.7; training 207 + 32500 + 32500 = 65207 pJ
        #expect(close(r.totalJ, pJ(79946.7)))
        #expect(close(r.inferenceJPerSample, pJ(14739.7) / 2))
        #expect(close(r.trainingJPerStep, pJ(65207) / 5))
        #expect(close(r.phaseTotals.first { $0.phase == "inference" }?.energyJ, pJ(14739.7)))
        // fc1 inference: 920 + 110 + 0.6 + 10000 + 200 + 200; fc2: 54 + 55 + 0.1 + 3000 + 100 + 100
        #expect(close(r.layers[0].phaseEnergyJ["inference"], pJ(11430.6)))
        #expect(close(r.layers[1].phaseEnergyJ["inference"], pJ(3309.1)))
        #expect(close(r.layers[0].energyJ + r.layers[1].energyJ, r.totalJ))
    }

    @Test func cmos45int8UsesInt32AccumulatorsAnd16BitMembranes() throws {
        let r = EnergyReport.price(ledger: handLedger(), profile: try builtIn("cmos45-int8"), phases: [.inference], samples: 2)
        // MAC int8 mult 0.2 + int32 add 0.1; AC int32 add 0.1; LIF 0.4; 8-bit weight words 100×8/64 = 12.5;
        // 16-bit membrane words 20×16/64 = 5: 200×0.3 + 60×0.1 + 30×0.4 + 260×12.5 + 30×5 + 30×5
        #expect(close(r.totalJ, pJ(60 + 6 + 12 + 3250 + 150 + 150)))
        #expect(r.phases == ["inference"])
        #expect(r.trainingJPerStep == nil)
    }

    @Test func loihiListsMacsAndSavedStateAsUnpricedWithCounts() throws {
        let r = EnergyReport.price(ledger: handLedger(), profile: try builtIn("loihi2018"), samples: 2, trainingSteps: 5)
        let unpriced = Dictionary(uniqueKeysWithValues: r.unpriced.map { ($0.term, $0.count) })
        #expect(unpriced == [.mac: 245, .savedStateRead: 50, .savedStateWrite: 50])
        #expect(r.isPartial)
        // 60 × 23.6 + 30 × 81 + 7 × 1.7; weight and membrane traffic is inside those constants
        #expect(close(r.totalJ, pJ(1416 + 2430 + 11.9)))
        #expect(r.terms.first { $0.term == .mac }?.energyJ == nil)
        let text = r.text()
        #expect(text.contains("UNPRICED [loihi2018]: MACs 245 (not counted, not zero)"))
        #expect(text.contains("partial"))
    }

    @Test func truenorthPricesSynapticEventsAndLeavesMacsAndSavedStateUnpriced() throws {
        let r = EnergyReport.price(ledger: handLedger(), profile: try builtIn("truenorth2014"), samples: 2, trainingSteps: 5)
        #expect(close(r.totalJ, pJ(60 * 26)))
        let unpriced = Dictionary(uniqueKeysWithValues: r.unpriced.map { ($0.term, $0.count) })
        #expect(unpriced == [.mac: 245, .savedStateRead: 50, .savedStateWrite: 50])
        #expect(r.isPartial && r.inferencePartial && r.trainingPartial)
        for line in r.terms where ![.synapticOp, .mac, .savedStateRead, .savedStateWrite].contains(line.term) {
            #expect(line.status == "included" && line.includedIn == .synapticOp, "\(line.term)")
        }
        let text = r.text()
        #expect(text.contains("per inference sample [truenorth2014]: 780 pJ (partial: inference counts UNPRICED below)"))
        #expect(text.contains("per training step [truenorth2014]: 0 J (partial: training counts UNPRICED below)"))
    }

    @Test func loihiPerSampleLineIsPartialWhenInferenceHasMacs() throws {
        let r = EnergyReport.price(ledger: handLedger(), profile: try builtIn("loihi2018"), phases: [.inference], samples: 2)
        #expect(r.inferencePartial)
        #expect(r.text().contains("per inference sample [loihi2018]: "))
        #expect(r.text().contains("(partial: inference counts UNPRICED below)"))
    }

    @Test func sameLedgerRescoredUnderTwoProfilesGivesBothTotals() throws {
        let ledger = handLedger()
        let a = EnergyReport.price(ledger: ledger, profile: try builtIn("cmos45-fp32"), phases: [.inference], samples: 2)
        let b = EnergyReport.price(ledger: ledger, profile: try builtIn("truenorth2014"), phases: [.inference], samples: 2)
        #expect(close(a.totalJ, pJ(14739.7)) && a.profile == "cmos45-fp32")
        #expect(close(b.totalJ, pJ(1560)) && b.profile == "truenorth2014")
    }

    @Test func literatureFigureAndAnnComparisonNameTheirConstants() throws {
        let fp = EnergyReport.price(ledger: handLedger(), profile: try builtIn("cmos45-fp32"), samples: 2, annMacsPerSample: 300)
        let lit = try #require(fp.literature)
        #expect(lit.synapticOpsPerSample == 30 && lit.macsPerSample == 100)
        #expect(close(lit.snnJPerSample, pJ(30 * 0.9 + 100 * 4.6)))
        #expect(close(lit.annJPerSample, pJ(300 * 4.6)))
        #expect(close(lit.snnOverAnn, 487.0 / 1380.0))
        #expect(lit.eACFrom.hasPrefix("Horowitz ISSCC 2014"))

        // Always 0.9 / 4.6 pJ, whatever the profile prices.
        let loihi = try #require(EnergyReport.price(ledger: handLedger(), profile: try builtIn("loihi2018"), samples: 2).literature)
        #expect(loihi.eACpJ == 0.9 && loihi.eMACpJ == 4.6)
        #expect(close(loihi.snnJPerSample, pJ(30 * 0.9 + 100 * 4.6)))
        #expect(loihi.annJPerSample == nil)

        let text = fp.text()
        #expect(text.contains("literature-style figure (METHODS §3.6 convention"))
        #expect(text.contains("SNN/ANN energy ratio (literature convention): 0.3529"))
        #expect(text.contains("per inference sample [cmos45-fp32]: 7.37 nJ"))
    }

    @Test func jsonFormParsesBackToTheSameReport() throws {
        let r = EnergyReport.price(ledger: handLedger(), profile: try builtIn("loihi2018"), samples: 2, trainingSteps: 5,
                                   annMacsPerSample: 300)
        let json = r.json()
        let back = try JSONDecoder().decode(EnergyReport.self, from: Data(json.utf8))
        #expect(back == r)
        #expect(json.contains("\"profile\" : \"loihi2018\""))
    }

    @Test func inferenceOnlyLedgerWithoutSamplesHasNoPerSampleFigures() throws {
        let r = EnergyReport.price(ledger: handLedger(), profile: try builtIn("cmos45-fp32"), samples: 0)
        #expect(r.inferenceJPerSample == nil && r.literature == nil && r.trainingJPerStep == nil)
    }
}
