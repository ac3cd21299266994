/// The energy of a ledger of counted events under one named hardware profile: a plain value, produced by
/// the pure function `EnergyReport.price(...)` and rendered by `text()` / `json()`.
///
/// Rules it keeps: every figure names its profile; a term the profile does not price is listed as UNPRICED
/// with its count and never counted as zero; terms folded into another constant are listed as "included";
/// the literature-style figure (METHODS §3.6) is labelled as such, with the source of each constant.
/// Energies are joules. Wire and codec costs are not priced here (a property of the cluster, not the hardware).
public struct EnergyReport: Sendable, Codable, Equatable {
    /// One term summed over the priced phases and all layers.
    public struct TermLine: Sendable, Codable, Equatable {
        public var term: EnergyTerm
        public var count: Int64
        /// "priced", "unpriced" or "included".
        public var status: String
        public var pJPerEvent: Double?
        /// nil unless priced.
        public var energyJ: Double?
        public var grade: EvidenceGrade?
        public var source: String?
        /// The term whose constant covers this one (status "included").
        public var includedIn: EnergyTerm?
        /// Reason (unpriced / included) or how the price was formed.
        public var note: String?
    }

    /// One layer's priced energy, in total and per phase.
    public struct LayerLine: Sendable, Codable, Equatable {
        public var layer: Int
        public var name: String
        public var energyJ: Double
        /// Keyed by `Phase.name`.
        public var phaseEnergyJ: [String: Double]
        /// Names of the phases in which this layer has counts the profile does not price (its figure is then partial).
        public var partialPhases: [String] = []
    }

    /// One phase's priced energy.
    public struct PhaseLine: Sendable, Codable, Equatable {
        public var phase: String
        public var energyJ: Double
        /// Some of this phase's counts carry no price: the figure is partial.
        public var partial: Bool = false
    }

    /// A training term derived from the recorded counts (`TrainingMemoryTraffic`), not a counter field.
    public struct DerivedTermLine: Sendable, Codable, Equatable {
        /// `gradient_rmw`, `gradient_reads` or `weight_write_back`.
        public var name: String
        public var phase: String
        public var count: Int64
        /// Words per layer (ledger order).
        public var perLayer: [Int64]
        /// "priced" or "unpriced".
        public var status: String
        public var pJPerEvent: Double?
        public var energyJ: Double?
        /// How the count was formed and how it is priced (or why not).
        public var note: String
    }

    /// The METHODS §3.6 (Panda-lab) figure `SOPs × E_AC + MACs × E_MAC` per inference sample, and the same-topology
    /// non-spiking network's `ANN MACs × E_MAC`. Compute only: no memory, no neuron updates.
    public struct LiteratureFigure: Sendable, Codable, Equatable {
        public var eACpJ: Double
        /// e.g. "profile cmos45-int8" or "cmos45 default (profile loihi2018 prices no MAC)".
        public var eACFrom: String
        public var eMACpJ: Double
        public var eMACFrom: String
        public var synapticOpsPerSample: Double
        public var macsPerSample: Double
        public var snnJPerSample: Double
        /// Σ_l fanIn_l × outputs_l, each synapse once, no time dimension (given by the caller).
        public var annMacsPerSample: Int64?
        public var annJPerSample: Double?
        /// snnJPerSample / annJPerSample.
        public var snnOverAnn: Double?
        /// True when BN and pooling layers were left out on both sides (the network's layers were known).
        public var bnAndPoolingExcluded: Bool = false
    }

    /// A profile-defined term (`CustomTerm`) summed over the priced phases; `count` may be fractional.
    public struct CustomTermLine: Sendable, Codable, Equatable {
        public var name: String
        public var count: Double
        public var counts: [String: Double]
        public var status: String
        public var pJPerEvent: Double?
        public var energyJ: Double?
        public var grade: EvidenceGrade?
        public var source: String?
        public var note: String?
    }

    /// One layer's raw counts per phase (keyed by `Phase.name`), for `query --energy`'s per-layer table.
    public struct LayerCounts: Sendable, Codable, Equatable {
        public var layer: Int
        public var name: String
        public var kind: String?
        public var counts: [String: EventCounts]
    }

    public var profile: String
    public var profileDescription: String
    public var profileSource: String
    /// Names of the priced phases, in `Phase` order.
    public var phases: [String]
    /// Inference samples the ledger's inference phase covers (divisor of the per-sample figures).
    public var samples: Int
    /// Optimizer steps the training phases cover (divisor of the per-step figure; 0 = not reported).
    public var trainingSteps: Int
    public var terms: [TermLine]
    public var layers: [LayerLine]
    public var phaseTotals: [PhaseLine]
    /// Sum of priced terms over the priced phases (excludes UNPRICED terms, which the report lists).
    public var totalJ: Double
    public var inferenceJPerSample: Double?
    public var trainingJPerStep: Double?
    public var literature: LiteratureFigure?
    public var profileNotes: [String]
    public var customTerms: [CustomTermLine] = []
    public var layerCounts: [LayerCounts] = []
    /// Training memory traffic derived from the counts (gradient buffer, optimizer write-back); empty when not derivable.
    public var derivedTerms: [DerivedTermLine] = []
    /// The full-model SNN/ANN comparison (needs the network's layers); printed first.
    public var comparison: DataflowComparison?
    /// Some inference (training) counts carry no price: the per-sample (per-step) figure is partial.
    public var inferencePartial: Bool = false
    public var trainingPartial: Bool = false

    /// The terms the profile does not price, with counts.
    public var unpriced: [TermLine] { terms.filter { $0.status == "unpriced" } }
    /// True when some counted events carry no price (totals are then partial).
    public var isPartial: Bool {
        unpriced.contains { $0.count != 0 } || customTerms.contains { $0.status == "unpriced" && $0.count != 0 }
            || derivedTerms.contains { $0.status == "unpriced" && $0.count != 0 }
    }

    /// The E_MAC / E_AC of METHODS §3.6 (Horowitz 2014, 45 nm fp32), used when a profile prices no MAC or AC.
    public static let conventionEMACpJ = 4.6
    public static let conventionEACpJ = 0.9

    /// Prices `ledger` under `profile`.
    /// - Parameters:
    ///   - phases: the phases to price (default all).
    ///   - samples: inference samples the ledger's `.inference` counts cover (0 = no per-sample figures).
    ///   - trainingSteps: optimizer steps the training phases cover (0 = no per-step figure).
    ///   - microBatches: micro-batches those steps were made of (0 = unknown: the gradient buffer and write-back
    ///     traffic, `TrainingMemoryTraffic`, is then not derived and the notes say so).
    ///   - annMacsPerSample: `Σ_l fanIn_l × outputs_l` of the same network run once without time, for the
    ///     SNN/ANN comparison (nil = no comparison).
    ///   - shapes: the network's layers (one per ledger layer). With them, IF and LIF updates are priced apart,
    ///     BN that is not per-step is folded at inference (its inference counts are not charged), the literature
    ///     figure leaves BN and pooling out on both sides, and the full-model comparison
    ///     (`DataflowComparison`) is computed.
    public static func price(ledger: EventLedger, profile: EnergyProfile, phases: Set<Phase> = Set(Phase.allCases),
                             samples: Int, trainingSteps: Int = 0, microBatches: Int = 0, annMacsPerSample: Int64? = nil,
                             shapes: [LayerShape]? = nil) -> EnergyReport {
        let priced = Phase.allCases.filter { phases.contains($0) }
        let shapes = shapes.flatMap { $0.count == ledger.layerNames.count ? $0 : nil }
        let stated = EnergyTerm.allCases.filter { $0 != .ifUpdate || profile.pricesIFUpdates }
        let resolved = Dictionary(uniqueKeysWithValues: stated.map { ($0, profile.resolved($0)) })
        /// The counts one layer is charged in one phase, per term, and its custom-term counts.
        func termCounts(_ c: EventCounts, layer l: Int, phase: Phase) -> [EnergyTerm: Int64] {
            if phase == .inference, let sh = shapes?[l], sh.kind == .batchNorm, sh.foldedAtInference { return [:] }
            let leaky = profile.pricesIFUpdates ? (shapes?[l].leaky ?? true) : true
            var out: [EnergyTerm: Int64] = [:]
            for t in stated { out[t] = t.count(in: c, leaky: leaky) }
            return out
        }
        func folded(_ l: Int, _ phase: Phase) -> Bool {
            phase == .inference && shapes?[l].kind == .batchNorm && shapes?[l].foldedAtInference == true
        }

        var all: [EnergyTerm: Int64] = [:]
        var customCounts = [Double](repeating: 0, count: profile.customTerms.count)
        var layers: [LayerLine] = []
        var layerCounts: [LayerCounts] = []
        var phasePJ = [Double](repeating: 0, count: Phase.allCases.count)
        var unpricedByPhase = [Bool](repeating: false, count: Phase.allCases.count)
        var layerUnpriced = [Set<Phase>](repeating: [], count: ledger.layerNames.count)
        for l in ledger.layerNames.indices {
            var line = LayerLine(layer: l, name: ledger.layerNames[l], energyJ: 0, phaseEnergyJ: [:])
            var lc = LayerCounts(layer: l, name: ledger.layerNames[l], kind: shapes?[l].kind.rawValue, counts: [:])
            var layerPJ = 0.0
            for ph in priced {
                let c = ledger.total(ph, layer: l)
                lc.counts[ph.name] = c
                var e = 0.0
                for (t, n) in termCounts(c, layer: l, phase: ph) {
                    all[t, default: 0] += n
                    switch resolved[t]! {
                    case .priced(let p, _, _, _): e += Double(n) * p
                    case .unpriced: if n != 0 { unpricedByPhase[ph.rawValue] = true; layerUnpriced[l].insert(ph) }
                    case .included: break
                    }
                }
                if !folded(l, ph) {
                    for (i, ct) in profile.customTerms.enumerated() {
                        let k = ct.count(in: c)
                        customCounts[i] += k
                        if let p = ct.price { e += k * p.pJ } else if k != 0 { unpricedByPhase[ph.rawValue] = true; layerUnpriced[l].insert(ph) }
                    }
                }
                layerPJ += e
                phasePJ[ph.rawValue] += e
                line.phaseEnergyJ[ph.name] = e * 1e-12
            }
            line.energyJ = layerPJ * 1e-12
            layers.append(line)
            layerCounts.append(lc)
        }
        // Training memory traffic derived from the counts (gradient buffer, optimizer gradient read and write-back).
        var derived: [DerivedTermLine] = []
        var derivedPJ = 0.0
        var notes: [String] = []
        if priced.contains(where: { $0 != .inference }) {
            if let traffic = TrainingMemoryTraffic.derive(ledger: ledger, optimizerSteps: trainingSteps, microBatches: microBatches) {
                for term in traffic.terms where priced.contains(term.phase) {
                    let how = traffic.derivation(term.name)
                    var line = DerivedTermLine(name: term.name, phase: term.phase.name, count: term.total, perLayer: term.perLayer,
                                               status: "unpriced", pJPerEvent: nil, energyJ: nil, note: how)
                    if let p = TrainingMemoryTraffic.pJPerWord(term.name, profile: profile) {
                        line.status = "priced"; line.pJPerEvent = p; line.energyJ = Double(term.total) * p * 1e-12
                        line.note = how + (term.name == "weight_write_back" ? "; one weight word in the weights' memory class (writes as reads)"
                                           : "; one \(TrainingMemoryTraffic.gradientWordBits)-bit gradient word in the weights' memory class (writes as reads)")
                        derivedPJ += Double(term.total) * p
                        phasePJ[term.phase.rawValue] += Double(term.total) * p
                        for l in layers.indices where term.perLayer[l] != 0 {
                            let e = Double(term.perLayer[l]) * p * 1e-12
                            layers[l].energyJ += e
                            layers[l].phaseEnergyJ[term.phase.name, default: 0] += e
                        }
                    } else {
                        line.note = how + "; UNPRICED: profile \(profile.name) prices weight memory only inside another constant (or not at all), and no chip constant covers a gradient buffer"
                        if term.total != 0 { unpricedByPhase[term.phase.rawValue] = true }
                        for l in layers.indices where term.perLayer[l] != 0 { layerUnpriced[l].insert(term.phase) }
                    }
                    derived.append(line)
                }
            } else if ledger.total(.optimizer).weightReads > 0 {
                notes.append("gradient-buffer read-modify-writes and the optimizer's weight write-back are not derived: the micro-batch count of these steps is not known to this report")
            }
        }
        for l in layers.indices {
            layers[l].partialPhases = priced.filter { layerUnpriced[l].contains($0) }.map(\.name)
        }
        // Network-level custom counter: timesteps = inference samples × T.
        if phases.contains(.inference) {
            for (i, ct) in profile.customTerms.enumerated() {
                guard let k = ct.counts["timesteps"] else { continue }
                let steps = k * Double(samples) * Double(ledger.timesteps)
                customCounts[i] += steps
                if let p = ct.price { phasePJ[Phase.inference.rawValue] += steps * p.pJ } else if steps != 0 { unpricedByPhase[0] = true }
            }
        }

        var totalPJ = derivedPJ
        let terms: [TermLine] = stated.map { term in
            let n = all[term] ?? 0
            switch resolved[term]! {
            case .priced(let p, let grade, let source, let note):
                let e = Double(n) * p
                totalPJ += e
                return TermLine(term: term, count: n, status: "priced", pJPerEvent: p, energyJ: e * 1e-12,
                                grade: grade, source: source, includedIn: nil, note: note)
            case .unpriced(let reason):
                return TermLine(term: term, count: n, status: "unpriced", pJPerEvent: nil, energyJ: nil,
                                grade: nil, source: nil, includedIn: nil, note: reason)
            case .included(let other, let reason):
                return TermLine(term: term, count: n, status: "included", pJPerEvent: nil, energyJ: nil,
                                grade: nil, source: nil, includedIn: other, note: reason)
            }
        }
        let custom: [CustomTermLine] = profile.customTerms.enumerated().map { i, ct in
            let e = ct.price.map { customCounts[i] * $0.pJ * 1e-12 }
            if let e { totalPJ += e * 1e12 }
            return CustomTermLine(name: ct.name, count: customCounts[i], counts: ct.counts, status: ct.price == nil ? "unpriced" : "priced",
                                  pJPerEvent: ct.price?.pJ, energyJ: e, grade: ct.price?.grade, source: ct.price?.source,
                                  note: ct.price?.note ?? ct.unpricedReason)
        }

        let inferencePJ = phasePJ[Phase.inference.rawValue]
        let trainingPJ = [Phase.trainForward, .trainBackward, .optimizer]
            .filter { phases.contains($0) }.reduce(0.0) { $0 + phasePJ[$1.rawValue] }
        let hasTraining = priced.contains { $0 != .inference }

        var literature: LiteratureFigure?
        if phases.contains(.inference), samples > 0 {
            // Always the convention's constants (not the profile's), so the figure compares with the literature.
            // BN and pooling are left out on both sides when the layers are known.
            var sopsTotal: Int64 = 0, macsTotal: Int64 = 0
            for l in ledger.layerNames.indices {
                if let k = shapes?[l].kind, k == .batchNorm || k == .pool { continue }
                let c = ledger.total(.inference, layer: l)
                sopsTotal += c.synapticOps; macsTotal += c.macs
            }
            let eAC = conventionEACpJ, eMAC = conventionEMACpJ
            let from = "Horowitz ISSCC 2014 45 nm fp32 (the convention's constant, whatever the profile)"
            let sops = Double(sopsTotal) / Double(samples)
            let macs = Double(macsTotal) / Double(samples)
            let snn = (sops * eAC + macs * eMAC) * 1e-12
            let ann = annMacsPerSample.map { Double($0) * eMAC * 1e-12 }
            literature = LiteratureFigure(
                eACpJ: eAC, eACFrom: from, eMACpJ: eMAC, eMACFrom: from,
                synapticOpsPerSample: sops, macsPerSample: macs, snnJPerSample: snn,
                annMacsPerSample: annMacsPerSample, annJPerSample: ann,
                snnOverAnn: ann.flatMap { $0 > 0 ? snn / $0 : nil },
                bnAndPoolingExcluded: shapes != nil)
        }
        let comparison = shapes.flatMap { sh in
            // Only for spiking runs: a run without a single spike (an `ann` run) has no SNN to compare.
            phases.contains(.inference) && ledger.total(.inference).spikes > 0 ? DataflowComparison.price(ledger: ledger, shapes: sh, profile: profile, samples: samples) : nil
        }
        notes = profile.notes + profile.memoryClassNotes + notes
        if let sh = shapes {
            for (l, s) in sh.enumerated() where s.kind == .batchNorm && s.foldedAtInference {
                notes.append("\(ledger.layerNames[l]): BN with statistics shared over steps, folded into the preceding weights at inference; its inference counts are listed per layer but not charged")
            }
        }
        if !profile.pricesIFUpdates { notes.append("no IF-update price: every neuron update is priced as a LIF update (an upper bound for IF layers)") }

        return EnergyReport(
            profile: profile.name, profileDescription: profile.description, profileSource: profile.source,
            phases: priced.map(\.name), samples: samples, trainingSteps: trainingSteps, terms: terms,
            layers: layers,
            phaseTotals: priced.map { PhaseLine(phase: $0.name, energyJ: phasePJ[$0.rawValue] * 1e-12, partial: unpricedByPhase[$0.rawValue]) },
            totalJ: totalPJ * 1e-12,
            inferenceJPerSample: phases.contains(.inference) && samples > 0 ? inferencePJ * 1e-12 / Double(samples) : nil,
            trainingJPerStep: hasTraining && trainingSteps > 0 ? trainingPJ * 1e-12 / Double(trainingSteps) : nil,
            literature: literature, profileNotes: notes, customTerms: custom, layerCounts: layerCounts,
            derivedTerms: derived, comparison: comparison, inferencePartial: unpricedByPhase[Phase.inference.rawValue],
            trainingPartial: unpricedByPhase.dropFirst().contains(true))
    }
}
