// Integrate-and-fire kernels of ECC's converted SNN (METHODS §4.2, §4.4): the event-driven synaptic accumulate,
// one soft-reset IF step, and the closed-form spike count. Each has a scalar reference beside it.

/// Event-driven accumulate of one pre-synaptic spike: `current[o] += row[o]` for `o < count`, 16 lanes at a time.
/// (A binary spike multiplies nothing: its weight row is added.)
public func accumulateRow(_ row: UnsafePointer<Float>, into current: UnsafeMutablePointer<Float>, count: Int) {
    var o = 0
    while o + 16 <= count { store16(load16(current + o) + load16(row + o), current + o); o += 16 }
    while o < count { current[o] += row[o]; o += 1 }
}

/// The scalar definition `accumulateRow` is checked against.
public func accumulateRowReference(_ row: [Float], into current: inout [Float]) {
    for o in row.indices { current[o] += row[o] }
}

/// One IF step with soft reset for `count` neurons: `V += I`; a neuron fires (output 1) when `V ≥ θ`, and then
/// `V −= θ`. At most one spike per step. Returns the number of spikes.
public func integrateAndFire(potential v: UnsafeMutablePointer<Float>, current: UnsafePointer<Float>, threshold: Float,
                             count: Int, spikes: UnsafeMutablePointer<Float>) -> Int {
    let th = Vec16(repeating: threshold), zero = Vec16(repeating: 0), one = Vec16(repeating: 1)
    var fired = 0
    var i = 0
    while i + 16 <= count {
        let u = load16(v + i) + load16(current + i)
        let m = u .>= th
        let s = zero.replacing(with: one, where: m)
        store16(u - s * th, v + i)
        store16(s, spikes + i)
        fired += Int(s.sum())
        i += 16
    }
    while i < count {
        let u = v[i] + current[i]
        if u >= threshold { v[i] = u - threshold; spikes[i] = 1; fired += 1 } else { v[i] = u; spikes[i] = 0 }
        i += 1
    }
    return fired
}

/// The scalar definition `integrateAndFire` is checked against.
public func integrateAndFireReference(potential v: inout [Float], current: [Float], threshold: Float) -> [Float] {
    v.indices.map { i in
        v[i] += current[i]
        guard v[i] >= threshold else { return 0 }
        v[i] -= threshold
        return 1
    }
}

/// ECC's closed-form spike count from accumulated charge (METHODS §4.2):
/// `n = clip(floor((max(Q, 0) + h·θ) / θ), 0, T)`, in place over `count` charges.
public func closedFormCounts(_ q: UnsafeMutablePointer<Float>, count: Int, threshold: Float, thresholding h: Float, timesteps: Int) {
    let ht = h * threshold, limit = Float(timesteps)
    for i in 0..<count {
        let c = ((max(q[i], 0) + ht) / threshold).rounded(.down)
        q[i] = min(max(c, 0), limit)
    }
}

/// The same count in Double arithmetic (the reference for tests).
public func closedFormCountReference(charge: Double, threshold: Double, thresholding h: Double, timesteps: Int) -> Double {
    min(max(((max(charge, 0) + h * threshold) / threshold).rounded(.down), 0), Double(timesteps))
}
