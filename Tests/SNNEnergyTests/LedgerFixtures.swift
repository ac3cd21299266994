import SNNEnergy

/// A hand-made two-layer, two-step ledger whose priced totals are worked out by hand in the tests.
///
/// Inference totals: 200 MACs, 60 SOPs, 30 neuron updates, 7 spikes, 260 weight reads, 30 membrane reads,
/// 30 membrane writes. Training: 45 MACs, 50 saved-state writes, 50 saved-state reads.
func handLedger() -> EventLedger {
    var l = EventLedger(layerNames: ["fc1", "fc2"], timesteps: 2)
    func c(macs: Int64 = 0, sops: Int64 = 0, nu: Int64 = 0, spikes: Int64 = 0, wr: Int64 = 0, mr: Int64 = 0,
           mw: Int64 = 0, ssr: Int64 = 0, ssw: Int64 = 0) -> EventCounts {
        EventCounts(fields: [macs, sops, nu, spikes, wr, mr, mw, ssr, ssw])
    }
    l.record(.inference, layer: 0, t: 0, c(macs: 100, nu: 10, spikes: 4, wr: 100, mr: 10, mw: 10))
    l.record(.inference, layer: 0, t: 1, c(macs: 100, nu: 10, spikes: 2, wr: 100, mr: 10, mw: 10))
    l.record(.inference, layer: 1, t: 0, c(sops: 40, nu: 5, spikes: 1, wr: 40, mr: 5, mw: 5))
    l.record(.inference, layer: 1, t: 1, c(sops: 20, nu: 5, wr: 20, mr: 5, mw: 5))
    l.record(.trainForward, layer: 0, t: 0, c(macs: 10, ssw: 50))
    l.record(.trainBackward, layer: 1, t: 0, c(macs: 30, ssr: 50))
    l.record(.optimizer, layer: 0, t: 0, c(macs: 5))
    return l
}

/// Equal to within a relative 1e-12 (the sums are of a few decimal constants).
func close(_ a: Double?, _ b: Double) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b)) + 1e-30
}

/// Picojoules to joules.
func pJ(_ x: Double) -> Double { x * 1e-12 }

func builtIn(_ name: String) throws -> EnergyProfile {
    try ProfileCatalog.load().profile(named: name)
}
