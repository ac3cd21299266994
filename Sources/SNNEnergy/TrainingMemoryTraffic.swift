/// Training memory traffic that the event counters do not hold as fields, derived exactly from what they do hold:
/// the gradient buffer's read-modify-writes and the optimizer's gradient read and weight write-back.
///
/// Assumed dataflow (stated in `Sources/SNNEnergy/README.md`): a micro-batch's weight gradient is accumulated in
/// registers over its samples, time steps and positions (those are the weight-gradient MACs already counted in
/// train-backward), then added into the step's gradient buffer, one read and one write per parameter per micro-batch
/// (the first micro-batch of a step reads a zeroed buffer; counted as a read-modify-write all the same). The optimizer
/// then reads each gradient word once per step and writes each parameter back once per step; its weight read and its
/// state words (momentum, Adam's moments) are counted by the trainer already (`weight_reads`, `saved_state_*` of the
/// optimizer phase).
///
/// Derivation, per layer `l`: the trainer records one optimizer-phase weight read per parameter per step, so
/// `P_l = optimizer weight reads_l / steps`; then gradient read-modify-write words `= 2 · P_l · micro-batches`
/// (train-backward), gradient reads `= P_l · steps` and weight write-backs `= P_l · steps` (optimizer). The words live
/// in the weights' memory class (the profile's `weightRead` class, writes priced as reads): a weight write-back is one
/// weight word (the profile's weight width), a gradient word is `gradientWordBits` (32) whatever the weight width
/// (gradients are accumulated in fp32 or int32); a profile whose weight reads are inside another constant or unpriced
/// leaves these words UNPRICED (no chip constant covers a gradient buffer).
public struct TrainingMemoryTraffic: Sendable, Codable, Equatable {
    /// One derived term: its name, the phase it belongs to, its words per layer.
    public struct Term: Sendable, Codable, Equatable {
        /// `gradient_rmw`, `gradient_reads` or `weight_write_back`.
        public var name: String
        public var phase: Phase
        /// Words per ledger layer.
        public var perLayer: [Int64]
        public var total: Int64 { perLayer.reduce(0, +) }
    }

    public var microBatches: Int
    public var optimizerSteps: Int
    /// Parameters per ledger layer (`P_l`).
    public var parameters: [Int64]
    public var terms: [Term]

    /// Derives the traffic of `ledger`'s training phases, which cover `optimizerSteps` optimizer steps made of
    /// `microBatches` micro-batches in all. Nil when there is nothing to derive from (no steps or micro-batches, no
    /// optimizer counts), or when some layer's optimizer weight reads are not a whole multiple of the steps (the
    /// ledger and the step count then cover different work, and no exact figure exists).
    public static func derive(ledger: EventLedger, optimizerSteps: Int, microBatches: Int) -> TrainingMemoryTraffic? {
        guard optimizerSteps > 0, microBatches > 0 else { return nil }
        let steps = Int64(optimizerSteps), mb = Int64(microBatches)
        var params: [Int64] = []
        for l in ledger.layerNames.indices {
            let reads = ledger.total(.optimizer, layer: l).weightReads
            guard reads % steps == 0 else { return nil }
            params.append(reads / steps)
        }
        guard params.contains(where: { $0 > 0 }) else { return nil }
        return TrainingMemoryTraffic(
            microBatches: microBatches, optimizerSteps: optimizerSteps, parameters: params,
            terms: [Term(name: "gradient_rmw", phase: .trainBackward, perLayer: params.map { 2 * $0 * mb }),
                    Term(name: "gradient_reads", phase: .optimizer, perLayer: params.map { $0 * steps }),
                    Term(name: "weight_write_back", phase: .optimizer, perLayer: params.map { $0 * steps })])
    }

    /// Bits of one gradient word (fp32 or an int32 accumulator), whatever the weights' width.
    public static let gradientWordBits = 32

    /// The price of one word of derived term `name` under `profile`: in the class of its weight reads, at the weight
    /// width for a write-back and at `gradientWordBits` for a gradient word; nil when weight reads are not priced
    /// (included in another constant, or unpriced).
    public static func pJPerWord(_ name: String, profile: EnergyProfile) -> Double? {
        switch profile.terms[.weightRead] {
        case .memory(let className, let wordBits)?:
            guard let m = profile.memoryClasses[className] else { return nil }
            return m.pJ(perWordOf: name == "weight_write_back" ? wordBits : gradientWordBits)
        case .priced(let c)?:
            return c.pJ
        default:
            return nil
        }
    }

    /// Human-readable label of a derived term, for tables.
    public static func label(_ name: String) -> String {
        switch name {
        case "gradient_rmw": "gradient accumulate RMW (words, derived)"
        case "gradient_reads": "optimizer gradient reads (words, derived)"
        case "weight_write_back": "weight write-back (words, derived)"
        default: name
        }
    }

    /// How a derived term's count was formed, in words.
    public func derivation(_ name: String) -> String {
        switch name {
        case "gradient_rmw": "2 × parameters × \(microBatches) micro-batches (one read + one write of the gradient buffer per micro-batch)"
        case "gradient_reads": "parameters × \(optimizerSteps) optimizer steps"
        case "weight_write_back": "parameters × \(optimizerSteps) optimizer steps"
        default: ""
        }
    }
}
