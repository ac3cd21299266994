/// How strong the evidence behind one price constant is. Every constant in a profile carries one, so a
/// report can say whether a figure rests on a measured chip or on someone's estimate.
public enum EvidenceGrade: String, CaseIterable, Sendable, Codable {
    /// Measured on fabricated silicon (e.g. TrueNorth's 26 pJ per synaptic event).
    case measuredSilicon = "measured-silicon"
    /// From simulation or design data before (or without) chip measurement (e.g. the Loihi 2018 table).
    case preSilicon = "pre-silicon"
    /// A survey or keynote table of process-level costs (e.g. Horowitz ISSCC 2014, 45 nm).
    case survey
    /// Computed by the profile's author from other graded constants (e.g. MAC = add + mult).
    case derived
    /// A modelling choice with no published number behind it; the note says what was assumed.
    case assumption
}

/// One price in picojoules with where it comes from.
public struct PricedConstant: Sendable, Codable, Equatable {
    public var pJ: Double
    public var grade: EvidenceGrade
    public var source: String
    public var note: String?

    public init(pJ: Double, grade: EvidenceGrade, source: String, note: String? = nil) {
        self.pJ = pJ; self.grade = grade; self.source = source; self.note = note
    }
}

/// A memory size class of a profile (e.g. "sram8KB", "dram"): the energy of one access of `accessBits` bits.
public struct MemoryClass: Sendable, Codable, Equatable {
    public var name: String
    public var pJPerAccess: Double
    public var accessBits: Int
    public var grade: EvidenceGrade
    public var source: String
    public var note: String?
    /// Bytes the class holds (nil = unbounded, e.g. DRAM). Per-layer sizing picks the smallest class that holds
    /// a layer's weights (or state).
    public var capacityBytes: Int64?
    /// The high end of a published range (e.g. DRAM 2.6 nJ against 1.3 nJ); nil = a single value.
    public var pJPerAccessHigh: Double?

    public init(name: String, pJPerAccess: Double, accessBits: Int, grade: EvidenceGrade, source: String,
                note: String? = nil, capacityBytes: Int64? = nil, pJPerAccessHigh: Double? = nil) {
        self.name = name; self.pJPerAccess = pJPerAccess; self.accessBits = accessBits
        self.grade = grade; self.source = source; self.note = note
        self.capacityBytes = capacityBytes; self.pJPerAccessHigh = pJPerAccessHigh
    }

    /// Energy of one word of `wordBits` bits, assuming an access costs in proportion to its width (an
    /// assumption: narrow accesses to a wide array usually cost somewhat more than this).
    public func pJ(perWordOf wordBits: Int) -> Double {
        pJPerAccess * Double(wordBits) / Double(accessBits)
    }
}

/// What a profile says about one term. Every term must be stated: a term is never silently zero.
public enum TermPrice: Sendable, Equatable {
    /// A fixed energy per event.
    case priced(PricedConstant)
    /// A memory term: every counted word is one `wordBits`-bit access to the named memory class.
    case memory(className: String, wordBits: Int)
    /// The profile has no price for this term; reports list its count as UNPRICED, never as zero.
    case unpriced(reason: String)
    /// The cost of this term is part of another (priced) term's constant, e.g. TrueNorth's all-in synaptic event.
    case included(in: EnergyTerm, reason: String)
}

/// A named hardware price profile: per-term energies with evidence grades and sources.
///
/// Profiles are data: one JSON file each, built in under `Sources/SNNEnergy/Profiles/` or loaded from a
/// user directory (`ProfileCatalog.load(extraDirectory:)`). The file format is documented on
/// `EnergyProfile.parse(_:file:)`. Counts are priced at query time, so one stored run can be re-scored
/// under any profile ("count, then price").
public struct EnergyProfile: Sendable, Equatable {
    public var name: String
    public var description: String
    /// The citation the profile as a whole rests on.
    public var source: String
    /// Bits of one counted memory word on this hardware (counters count one word per value).
    public var wordBits: Int
    /// One entry per `EnergyTerm`, all present.
    public var terms: [EnergyTerm: TermPrice]
    public var memoryClasses: [String: MemoryClass]
    public var notes: [String]
    /// How the hardware moves data (prices the full-model SNN/ANN comparison).
    public var dataflow: Dataflow
    /// False when the profile file did not state `dataflow` (then event-driven is assumed and reports say so).
    public var dataflowStated: Bool
    /// Terms the profile adds beyond `EnergyTerm` (routing hops, static power, ...).
    public var customTerms: [CustomTerm]

    public init(name: String, description: String, source: String, wordBits: Int,
                terms: [EnergyTerm: TermPrice], memoryClasses: [String: MemoryClass], notes: [String] = [],
                dataflow: Dataflow = .eventDriven, dataflowStated: Bool = true, customTerms: [CustomTerm] = []) {
        self.name = name; self.description = description; self.source = source; self.wordBits = wordBits
        self.terms = terms; self.memoryClasses = memoryClasses; self.notes = notes
        self.dataflow = dataflow; self.dataflowStated = dataflowStated; self.customTerms = customTerms
    }

    /// True when the profile states a separate price for IF neuron updates.
    public var pricesIFUpdates: Bool { terms[.ifUpdate] != nil }

    /// The resolved price of one term.
    public enum Resolved: Sendable, Equatable {
        case priced(pJ: Double, grade: EvidenceGrade, source: String, note: String?)
        case unpriced(reason: String)
        case included(in: EnergyTerm, reason: String)
    }

    /// Resolves memory mappings into a per-word price; a validated profile always resolves.
    public func resolved(_ term: EnergyTerm) -> Resolved {
        switch terms[term] ?? .unpriced(reason: "not stated by the profile") {
        case .priced(let c):
            return .priced(pJ: c.pJ, grade: c.grade, source: c.source, note: c.note)
        case .memory(let className, let bits):
            guard let m = memoryClasses[className] else {
                return .unpriced(reason: "memory class '\(className)' is not defined")
            }
            let scaled = bits == m.accessBits ? "" : " × \(bits)/\(m.accessBits)"
            let note = "\(className): \(Self.number(m.pJPerAccess)) pJ per \(m.accessBits)-bit access" + scaled
            return .priced(pJ: m.pJ(perWordOf: bits), grade: m.grade, source: m.source, note: note)
        case .unpriced(let reason):
            return .unpriced(reason: reason)
        case .included(let other, let reason):
            return .included(in: other, reason: reason)
        }
    }

    /// The notes of the memory classes that some term maps to ("dram: low end of ..."), for reports.
    public var memoryClassNotes: [String] {
        var used = Set<String>()
        for case .memory(let c, _) in terms.values { used.insert(c) }
        return used.sorted().compactMap { c in memoryClasses[c]?.note.map { "\(c): \($0)" } }
    }

    /// The price per event when the term is priced (nil when unpriced or included).
    public func pJ(_ term: EnergyTerm) -> Double? {
        if case .priced(let pJ, _, _, _) = resolved(term) { return pJ }
        return nil
    }

    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }
}
