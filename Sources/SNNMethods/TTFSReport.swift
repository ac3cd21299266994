import SNNCore
import SNNEnergy
import SNNModel

/// The SNN of a trained TTFS network over a test set, sample by sample (METHODS §1.4): accuracy, spikes per layer
/// (with the at-most-one-spike-per-neuron check), the step the decision is taken, and agreement with the surrogate DNN.
public struct TTFSReport: Sendable {
    public var samples = 0
    public var snnCorrect = 0
    /// The surrogate DNN evaluated with the quantiser the SNN's threshold matches (q = 0.5: round, q = 0: ceil).
    public var surrogateCorrect = 0
    /// Samples whose SNN prediction equals that surrogate's.
    public var agreement = 0
    /// Samples whose SNN prediction equals the reference's surrogate evaluation (ceil), whatever q is.
    public var agreementCeil = 0
    /// Samples whose SNN prediction equals the matching surrogate limited to the SNN's window (no value at step T_w).
    public var agreementWindow = 0
    public var layerNames: [String] = []
    public var neuronsPerLayer: [Int] = []
    /// Σ over samples of each TK layer's spikes; and the most any one sample had.
    public var spikeSums: [Int] = []
    public var spikeMax: [Int] = []
    /// The most spikes one neuron emitted for one sample (must be ≤ 1).
    public var maxSpikesPerNeuron = 0
    public var decisionStepSum = 0
    public var decisionStepMax = 0
    public var decisionStepMin = Int.max
    /// Full latency: weight layers × T_w.
    public var latency = 0
    public var thresholdOffset: Float = 0.5
    public var ledger: EventLedger?

    public var snnAccuracy: Double { Double(snnCorrect) / Double(max(1, samples)) }
    public var surrogateAccuracy: Double { Double(surrogateCorrect) / Double(max(1, samples)) }
    public var agreementRate: Double { Double(agreement) / Double(max(1, samples)) }
    public var agreementCeilRate: Double { Double(agreementCeil) / Double(max(1, samples)) }
    public var agreementWindowRate: Double { Double(agreementWindow) / Double(max(1, samples)) }
    public var spikesPerSample: [Double] { spikeSums.map { Double($0) / Double(max(1, samples)) } }
    public var totalSpikesPerSample: Double { spikesPerSample.reduce(0, +) }
    /// Average spikes per neuron per sample over all TK layers.
    public var spikesPerNeuron: Double { totalSpikesPerSample / Double(max(1, neuronsPerLayer.reduce(0, +))) }
    public var meanDecisionStep: Double { Double(decisionStepSum) / Double(max(1, samples)) }

    /// A plain-text table.
    public var rendered: String {
        var s = "TTFS SNN over \(samples) test samples (q = \(thresholdOffset), latency \(latency) steps)\n"
        s += "  SNN accuracy             \(pct(snnAccuracy))\n"
        s += "  surrogate accuracy       \(pct(surrogateAccuracy))  (quantiser matching q)\n"
        s += "  SNN = surrogate          \(pct(agreementRate))  (\(agreement)/\(samples)); vs the ceil surrogate \(pct(agreementCeilRate))\n"
        s += "  SNN = surrogate without step T_w   \(pct(agreementWindowRate))  (\(agreementWindow)/\(samples); the training clip keeps q = T_w, the SNN cannot fire there)\n"
        s += "  decision step            mean \(fmt(meanDecisionStep)), min \(decisionStepMin == Int.max ? 0 : decisionStepMin), max \(decisionStepMax) of \(latency)\n"
        s += "  max spikes per neuron    \(maxSpikesPerNeuron)\n"
        s += "  layer    neurons   spikes/sample   per neuron   max/sample\n"
        for (k, name) in layerNames.enumerated() {
            s += "  " + name.padding(toLength: 8, withPad: " ", startingAt: 0)
                + String(format: " %7d   %13.1f   %10.4f   %10d\n", neuronsPerLayer[k], spikesPerSample[k],
                         spikesPerSample[k] / Double(max(1, neuronsPerLayer[k])), spikeMax[k])
        }
        s += String(format: "  total    %7d   %13.1f   %10.4f\n", neuronsPerLayer.reduce(0, +), totalSpikesPerSample, spikesPerNeuron)
        return s
    }

    private func pct(_ x: Double) -> String { String(format: "%.2f %%", 100 * x) }
    private func fmt(_ x: Double) -> String { String(format: "%.2f", x) }
}

extension TTFS {
    /// Runs the SNN and the surrogate on the first `limit` samples of `data` (all when nil), `microBatch` at a time.
    public func report(parameters: [Float], state: [Float], data: LabeledImages, limit: Int? = nil, microBatch: Int = 250) -> TTFSReport {
        let snn = TTFSNetworkSNN(method: self, parameters: parameters, state: state)
        let n = min(limit ?? data.count, data.count)
        var r = TTFSReport()
        r.layerNames = kernelLayers.map(\.name)
        r.neuronsPerLayer = kernelLayers.map { $0.shape.reduce(1, *) }
        r.spikeSums = kernelLayers.map { _ in 0 }; r.spikeMax = r.spikeSums
        r.latency = snn.latency; r.thresholdOffset = settings.thresholdOffset
        var ledger = network.makeLedger()
        var start = 0
        while start < n {
            let ids = (start..<min(n, start + microBatch)).map { Int32($0) }
            let work = MicroBatch(epoch: 0, step: 0, index: start / microBatch, phase: .evaluate, samples: ids, seed: 0)
            let outs = snn.run(encoder.encode(work, data: data, steps: 1), ledger: &ledger)
            let matching = surrogateLogits(work, data: data, parameters: parameters, state: state, mode: matchingEvaluationMode)
            let ceil = surrogateLogits(work, data: data, parameters: parameters, state: state, mode: .evaluation)
            let window = surrogateLogits(work, data: data, parameters: parameters, state: state, mode: windowEvaluationMode)
            let c = network.classes
            for (i, o) in outs.enumerated() {
                let label = Int(data.labels[Int(ids[i])])
                let p = TTFSNetworkSNN.argmax(o.potentials)
                let pm = TTFSNetworkSNN.argmax(Array(matching[(i * c)..<((i + 1) * c)]))
                let pc = TTFSNetworkSNN.argmax(Array(ceil[(i * c)..<((i + 1) * c)]))
                let pw = TTFSNetworkSNN.argmax(Array(window[(i * c)..<((i + 1) * c)]))
                r.samples += 1
                if p == label { r.snnCorrect += 1 }
                if pm == label { r.surrogateCorrect += 1 }
                if p == pm { r.agreement += 1 }
                if p == pc { r.agreementCeil += 1 }
                if p == pw { r.agreementWindow += 1 }
                for k in o.spikesPerLayer.indices {
                    r.spikeSums[k] += o.spikesPerLayer[k]; r.spikeMax[k] = max(r.spikeMax[k], o.spikesPerLayer[k])
                }
                r.maxSpikesPerNeuron = max(r.maxSpikesPerNeuron, o.maxSpikesPerNeuron)
                r.decisionStepSum += o.decisionStep
                r.decisionStepMax = max(r.decisionStepMax, o.decisionStep)
                r.decisionStepMin = min(r.decisionStepMin, o.decisionStep)
            }
            start += microBatch
        }
        r.ledger = ledger
        return r
    }
}
