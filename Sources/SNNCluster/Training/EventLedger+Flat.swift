import SNNEnergy

extension EventLedger {
    /// The ledger flattened to `Int64`s: cells in index order, `EventCounts.fields` per cell (RESULT's counters
    /// frame, checkpoints' epoch counters; PROTOCOL.md §5.1).
    public var flatCounts: [Int64] { counts.flatMap(\.fields) }

    /// A ledger shaped like `template` (layers, steps) from its flat counts; nil when the count does not fit.
    public init?(flatCounts flat: [Int64], like template: EventLedger) {
        let n = EventCounts.fieldNames.count
        guard flat.count == template.counts.count * n else { return nil }
        var l = template
        for i in 0..<template.counts.count {
            let cell = EventCounts(fields: Array(flat[(i * n)..<((i + 1) * n)]))
            let phase = Phase(rawValue: i / (l.layerNames.count * l.timesteps))!
            let rest = i % (l.layerNames.count * l.timesteps)
            l.record(phase, layer: rest / l.timesteps, t: rest % l.timesteps, cell)
        }
        self = l
    }
}
