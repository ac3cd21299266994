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
    }

    /// One phase's priced energy.
    public struct PhaseLine: Sendable, Codable, Equatable {
        public var phase: String
        public var energyJ: Double
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

    /// The terms the profile does not price, with counts.
    public var unpriced: [TermLine] { terms.filter { $0.status == "unpriced" } }
    /// True when some counted events carry no price (totals are then partial).
    public var isPartial: Bool { unpriced.contains { $0.count != 0 } }

    /// The E_MAC / E_AC of METHODS §3.6 (Horowitz 2014, 45 nm fp32), used when a profile prices no MAC or AC.
    public static let conventionEMACpJ = 4.6
    public static let conventionEACpJ = 0.9

    /// Prices `ledger` under `profile`.
    /// - Parameters:
    ///   - phases: the phases to price (default all).
    ///   - samples: inference samples the ledger's `.inference` counts cover (0 = no per-sample figures).
    ///   - trainingSteps: optimizer steps the training phases cover (0 = no per-step figure).
    ///   - annMacsPerSample: `Σ_l fanIn_l × outputs_l` of the same network run once without time, for the
    ///     SNN/ANN comparison (nil = no comparison).
    public static func price(ledger: EventLedger, profile: EnergyProfile, phases: Set<Phase> = Set(Phase.allCases),
                             samples: Int, trainingSteps: Int = 0, annMacsPerSample: Int64? = nil) -> EnergyReport {
        let priced = Phase.allCases.filter { phases.contains($0) }
        let resolved = Dictionary(uniqueKeysWithValues: EnergyTerm.allCases.map { ($0, profile.resolved($0)) })
        func pJ(_ c: EventCounts) -> Double {
            var e = 0.0
            for term in EnergyTerm.allCases {
                if case .priced(let p, _, _, _) = resolved[term]! { e += Double(term.count(in: c)) * p }
            }
            return e
        }

        var all = EventCounts()
        var layers: [LayerLine] = []
        var phasePJ = [Double](repeating: 0, count: Phase.allCases.count)
        for l in ledger.layerNames.indices {
            var line = LayerLine(layer: l, name: ledger.layerNames[l], energyJ: 0, phaseEnergyJ: [:])
            var layerPJ = 0.0
            for ph in priced {
                let c = ledger.total(ph, layer: l)
                all += c
                let e = pJ(c)
                layerPJ += e
                phasePJ[ph.rawValue] += e
                line.phaseEnergyJ[ph.name] = e * 1e-12
            }
            line.energyJ = layerPJ * 1e-12
            layers.append(line)
        }

        var totalPJ = 0.0
        let terms: [TermLine] = EnergyTerm.allCases.map { term in
            let n = term.count(in: all)
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

        let inferencePJ = phasePJ[Phase.inference.rawValue]
        let trainingPJ = [Phase.trainForward, .trainBackward, .optimizer]
            .filter { phases.contains($0) }.reduce(0.0) { $0 + phasePJ[$1.rawValue] }
        let hasTraining = priced.contains { $0 != .inference }

        var literature: LiteratureFigure?
        if phases.contains(.inference), samples > 0 {
            let inf = ledger.total(.inference)
            let (eAC, eACFrom) = profile.pJ(.synapticOp).map { ($0, "profile \(profile.name)") }
                ?? (conventionEACpJ, "cmos45-fp32 convention (profile \(profile.name) prices no synaptic op)")
            let (eMAC, eMACFrom) = profile.pJ(.mac).map { ($0, "profile \(profile.name)") }
                ?? (conventionEMACpJ, "cmos45-fp32 convention (profile \(profile.name) prices no MAC)")
            let sops = Double(inf.synapticOps) / Double(samples)
            let macs = Double(inf.macs) / Double(samples)
            let snn = (sops * eAC + macs * eMAC) * 1e-12
            let ann = annMacsPerSample.map { Double($0) * eMAC * 1e-12 }
            literature = LiteratureFigure(
                eACpJ: eAC, eACFrom: eACFrom, eMACpJ: eMAC, eMACFrom: eMACFrom,
                synapticOpsPerSample: sops, macsPerSample: macs, snnJPerSample: snn,
                annMacsPerSample: annMacsPerSample, annJPerSample: ann,
                snnOverAnn: ann.flatMap { $0 > 0 ? snn / $0 : nil })
        }

        return EnergyReport(
            profile: profile.name, profileDescription: profile.description, profileSource: profile.source,
            phases: priced.map(\.name), samples: samples, trainingSteps: trainingSteps, terms: terms,
            layers: layers,
            phaseTotals: priced.map { PhaseLine(phase: $0.name, energyJ: phasePJ[$0.rawValue] * 1e-12) },
            totalJ: totalPJ * 1e-12,
            inferenceJPerSample: phases.contains(.inference) && samples > 0 ? inferencePJ * 1e-12 / Double(samples) : nil,
            trainingJPerStep: hasTraining && trainingSteps > 0 ? trainingPJ * 1e-12 / Double(trainingSteps) : nil,
            literature: literature, profileNotes: profile.notes + profile.memoryClassNotes)
    }
}
